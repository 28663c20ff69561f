"""The per-worker login cache under gunicorn (3 workers x 4 threads) on a real redis-server,
its copies kept 10 minutes (so only an announcement can drop one): a logout in one worker
signs the session out in every worker, and a killed change feed (`CLIENT KILL TYPE pubsub`)
loses no logout."""

import time
from collections.abc import Iterator

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


def signed_in_everywhere(app: GunicornApp, cookie: str) -> None:
    """Every worker answers the cookie with 200, and has a copy of its login by then."""
    time.sleep(0.5)  # the workers' change feeds subscribe on their first cached read
    every_worker(app, cookie)
    assert set(every_worker(app, cookie).values()) == {frozenset({200})}


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
    time.sleep(1.0)  # resubscribed by now
    assert set(every_worker(github_app, cookie).values()) == {frozenset({401})}
