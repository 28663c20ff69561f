"""Browsers played with httpx against the apps under test."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import httpx

from flask_apps.processes import HTTP_TIMEOUT, GunicornApp
from flet_auth.testing import MockOAuthServer

JSON = {"Accept": "application/json"}
"""The headers of a request from an API client (answered with JSON, never a redirect)."""


def get_at_once(
    base_url: str,
    session: str,
    path: str,
    count: int,
    headers: dict[str, str],
    cookie: str = "session",
) -> list[httpx.Response]:
    """`count` GETs of `path` with `session` as the cookie `cookie`, each on its own
    connection and released together, so that they reach the workers at the same moment."""
    barrier = Barrier(count)

    def fetch(_: int) -> httpx.Response:
        with httpx.Client(base_url=base_url, cookies={cookie: session}, timeout=30) as c:
            barrier.wait(timeout=10)
            return c.get(path, headers=headers)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(fetch, range(count)))


def login(
    app: GunicornApp, provider: MockOAuthServer, user: str = "alice", next_path: str = "/profile"
) -> tuple[httpx.Client, httpx.Response]:
    """A client that went through a login (consent given at the provider without a browser);
    returns it and the answer of the callback."""
    client = httpx.Client(base_url=app.url, timeout=HTTP_TIMEOUT)
    start = client.get("/login/github", params={"next": next_path})
    assert start.status_code == 302, start.text
    redirect = provider.authorize(start.headers["location"], user=user)
    done = client.get("/login/github/callback", params=redirect)
    return client, done


def session_cookie(client: httpx.Client) -> str:
    value = client.cookies.get("session")
    assert value, "the app set no session cookie"
    return value
