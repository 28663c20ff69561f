"""The per-worker login cache under gunicorn (3 workers x 4 threads) on a real redis-server,
its copies kept 10 minutes (so only an announcement can drop one): a logout in one worker
signs the session out in every worker, and a killed change feed (`CLIENT KILL TYPE pubsub`)
loses no logout."""

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from flask_apps.clients import JSON, login, session_cookie
from flask_apps.processes import HTTP_TIMEOUT, GunicornApp, RedisServer
from flet_auth.testing import MockOAuthServer

ME = "/api/me"


@pytest.fixture(scope="module")
def provider() -> Iterator[MockOAuthServer]:
    with MockOAuthServer() as server:
        yield server


@pytest.fixture(scope="module")
def github_app(provider: MockOAuthServer, redis_server: RedisServer) -> Iterator[GunicornApp]:
    """examples/flask/github_app.py under gunicorn, logins in Redis, cached 600 s."""
    app = GunicornApp(
        "flask_apps.github_wsgi:app",
        {
            "FLASK_SECRET_KEY": "test-secret-key-of-the-github-example",
            "FLASK_GITHUB_CLIENT_ID": provider.client_id,
            "FLASK_GITHUB_CLIENT_SECRET": provider.client_secret,
            "FLASK_GITHUB_BASE_URL": provider.url,
            "FLASK_GITHUB_API_BASE_URL": provider.url,
            "FLASK_FLET_AUTH_STORE": redis_server.url,
            "FLASK_FLET_AUTH_LOGIN_CACHE_TTL": "600",
        },
    )
    app.start()
    try:
        yield app
    finally:
        app.close()


def every_worker(app: GunicornApp, cookie: str) -> dict[int, frozenset[int]]:
    """The statuses each worker answered `/api/me` with, asked on new connections until every
    worker answered at least twice (its second read is served from its cache)."""
    seen: dict[int, list[int]] = {}
    with httpx.Client(base_url=app.url, cookies={"session": cookie}, timeout=HTTP_TIMEOUT) as c:
        for _ in range(400):
            answer = c.get(ME, headers={**JSON, "Connection": "close"})
            seen.setdefault(int(answer.headers["X-Worker-Pid"]), []).append(answer.status_code)
            if len(seen) == app.workers and all(len(s) >= 2 for s in seen.values()):
                break
    assert set(seen) == app.worker_pids()
    return {pid: frozenset(statuses) for pid, statuses in seen.items()}


def cache_of_every_worker(
    app: GunicornApp, cookie: str, wanted: Callable[[str], bool], path: str = ME
) -> dict[int, str]:
    """Each worker's `X-Login-Cache` (`live 1`: its feed subscribed, one copy held), asked on
    new connections until every worker's is `wanted` (or 400 answers came)."""
    state: dict[int, str] = {}
    with httpx.Client(base_url=app.url, cookies={"session": cookie}, timeout=HTTP_TIMEOUT) as c:
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


def signed_in_everywhere(app: GunicornApp, cookie: str) -> None:
    """Every worker answers the cookie with 200 and holds a copy of its login, its change
    feed subscribed: from then on only an announcement can drop the copy."""
    every_worker(app, cookie)  # a worker's feed subscribes on its first cached read
    assert set(every_worker(app, cookie).values()) == {frozenset({200})}
    state = cache_of_every_worker(app, cookie, holds_a_copy)
    assert set(state) == app.worker_pids() and all(map(holds_a_copy, state.values())), state


def log_out(client: httpx.Client) -> None:
    page = client.get("/").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302


def test_a_logout_in_one_worker_signs_the_session_out_in_every_worker(
    github_app: GunicornApp, provider: MockOAuthServer
) -> None:
    client, _ = login(github_app, provider)
    cookie = session_cookie(client)
    signed_in_everywhere(github_app, cookie)
    log_out(client)
    client.close()
    assert set(every_worker(github_app, cookie).values()) == {frozenset({401})}


def test_a_killed_change_feed_loses_no_logout(
    github_app: GunicornApp, provider: MockOAuthServer, redis_server: RedisServer
) -> None:
    client, _ = login(github_app, provider)
    cookie = session_cookie(client)
    signed_in_everywhere(github_app, cookie)
    redis_server.client().client_kill_filter(_type="pubsub")
    log_out(client)  # announced while the feeds are (re)subscribing
    client.close()
    assert set(every_worker(github_app, cookie).values()) == {frozenset({401})}
    state = cache_of_every_worker(github_app, cookie, lambda s: s.startswith("live "))
    assert all(s.startswith("live ") for s in state.values()), state  # resubscribed
    assert set(every_worker(github_app, cookie).values()) == {frozenset({401})}
