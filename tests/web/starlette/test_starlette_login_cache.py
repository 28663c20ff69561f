"""The per-worker login cache under uvicorn --workers 3 on a real redis-server, its copies
kept 10 minutes (so only an announcement can drop one): a logout in one worker signs the
cookie out in every worker, a refresh in one is used by all, and a killed change feed
(`CLIENT KILL TYPE pubsub`) loses no logout."""

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from asgi_apps.processes import UvicornApp
from flask_apps.clients import JSON
from flask_apps.processes import HTTP_TIMEOUT, RedisServer
from flet_auth.testing import MockOAuthServer
from web.starlette.test_starlette_workers import COOKIE, cookie_of, login

PROFILE = "/profile"


@pytest.fixture(scope="module")
def provider() -> Iterator[MockOAuthServer]:
    with MockOAuthServer() as server:
        yield server


@pytest.fixture(scope="module")
def asgi_app(provider: MockOAuthServer, redis_server: RedisServer) -> Iterator[UvicornApp]:
    """examples/fastapi/app.py under uvicorn --workers 3, logins in Redis, cached 600 s."""
    app = UvicornApp(
        "asgi_apps.authgear_asgi:app",
        {
            "APP_SECRET_KEY": "test-secret-key-of-the-fastapi-example",
            "AUTHGEAR_CLIENT_ID": provider.client_id,
            "AUTHGEAR_CLIENT_SECRET": provider.client_secret,
            "AUTHGEAR_SERVER_METADATA_URL": provider.discovery_url,
            "FLET_AUTH_STORE": redis_server.url,
            "FLET_AUTH_LOGIN_CACHE_TTL": "600",
        },
    )
    app.start()
    try:
        yield app
    finally:
        app.close()


def every_worker(app: UvicornApp, cookie: str, path: str) -> dict[int, frozenset[int]]:
    """The statuses each worker answered `path` with, asked on new connections until every
    worker answered at least twice (its second read is served from its cache)."""
    seen: dict[int, list[int]] = {}
    with httpx.Client(base_url=app.url, cookies={COOKIE: cookie}, timeout=HTTP_TIMEOUT) as c:
        for _ in range(400):
            answer = c.get(path, headers={**JSON, "Connection": "close"})
            seen.setdefault(int(answer.headers["X-Worker-Pid"]), []).append(answer.status_code)
            if len(seen) == app.workers and all(len(s) >= 2 for s in seen.values()):
                break
    assert set(seen) == app.worker_pids()
    return {pid: frozenset(statuses) for pid, statuses in seen.items()}


def cache_of_every_worker(
    app: UvicornApp, cookie: str, wanted: Callable[[str], bool], path: str = PROFILE
) -> dict[int, str]:
    """Each worker's `X-Login-Cache` (`live 1`: its feed subscribed, one copy held), asked on
    new connections until every worker's is `wanted` (or 400 answers came)."""
    state: dict[int, str] = {}
    with httpx.Client(base_url=app.url, cookies={COOKIE: cookie}, timeout=HTTP_TIMEOUT) as c:
        for _ in range(400):
            answer = c.get(path, headers={**JSON, "Connection": "close"})
            state[int(answer.headers["X-Worker-Pid"])] = answer.headers["X-Login-Cache"]
            if set(state) == app.worker_pids() and all(map(wanted, state.values())):
                break
            time.sleep(0.01)
    return state


def holds_a_copy(state: str) -> bool:
    live, copies = state.split()
    return live == "live" and int(copies) >= 1


def signed_in_everywhere(app: UvicornApp, cookie: str) -> None:
    """Every worker answers the cookie with 200 and holds a copy of its login, its change
    feed subscribed: from then on only an announcement can drop the copy."""
    every_worker(app, cookie, PROFILE)  # a worker's feed subscribes on its first cached read
    assert set(every_worker(app, cookie, PROFILE).values()) == {frozenset({200})}
    state = cache_of_every_worker(app, cookie, holds_a_copy)
    assert set(state) == app.worker_pids() and all(map(holds_a_copy, state.values())), state


def log_out(client: httpx.Client) -> None:
    page = client.get("/").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303


def test_a_logout_in_one_worker_signs_the_cookie_out_in_every_worker(
    asgi_app: UvicornApp, provider: MockOAuthServer
) -> None:
    client, _ = login(asgi_app, provider)
    cookie = cookie_of(client)
    signed_in_everywhere(asgi_app, cookie)
    log_out(client)
    client.close()
    assert set(every_worker(asgi_app, cookie, PROFILE).values()) == {frozenset({401})}


def test_a_refresh_in_one_worker_is_used_by_every_worker(
    asgi_app: UvicornApp, provider: MockOAuthServer
) -> None:
    provider.access_token_ttl = 63  # refreshed from 3 s after the login on (60 s leeway)
    try:
        client, _ = login(asgi_app, provider)
    finally:
        provider.access_token_ttl = 3600
    before = client.get("/_test/token", headers=JSON).json()
    cookie = cookie_of(client)
    client.close()
    signed_in_everywhere(asgi_app, cookie)
    time.sleep(max(0.0, before["expires_at"] - 60 - time.time() + 0.2))
    provider.reset_counts()
    with httpx.Client(base_url=asgi_app.url, cookies={COOKIE: cookie}, timeout=30) as c:
        refreshed = c.get("/_test/token", headers=JSON).json()["digest"]
    assert refreshed != before["digest"]
    digests: set[str] = set()
    with httpx.Client(base_url=asgi_app.url, cookies={COOKIE: cookie}, timeout=30) as c:
        pids = set()
        for _ in range(400):
            answer = c.get("/_test/token", headers={**JSON, "Connection": "close"})
            digests.add(answer.json()["digest"])
            pids.add(int(answer.headers["X-Worker-Pid"]))
            if pids == asgi_app.worker_pids():
                break
    assert pids == asgi_app.worker_pids()
    assert digests == {refreshed}
    assert provider.count("token.refresh_token") == 1


def test_a_killed_change_feed_loses_no_logout(
    asgi_app: UvicornApp, provider: MockOAuthServer, redis_server: RedisServer
) -> None:
    client, _ = login(asgi_app, provider)
    cookie = cookie_of(client)
    signed_in_everywhere(asgi_app, cookie)
    redis_server.client().client_kill_filter(_type="pubsub")
    log_out(client)  # announced while the feeds are (re)subscribing
    client.close()
    assert set(every_worker(asgi_app, cookie, PROFILE).values()) == {frozenset({401})}
    state = cache_of_every_worker(asgi_app, cookie, lambda s: s.startswith("live "))
    assert all(s.startswith("live ") for s in state.values()), state  # resubscribed
    assert set(every_worker(asgi_app, cookie, PROFILE).values()) == {frozenset({401})}
