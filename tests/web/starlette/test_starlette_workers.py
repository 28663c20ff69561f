"""examples/fastapi/app.py under uvicorn with 3 worker processes, on a real redis-server and on
SQLite, against the bundled provider: a login seen by every worker, one refresh for 20
concurrent requests, open redirects, CSRF, tampered cookies, Redis going away."""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from asgi_apps.processes import UvicornApp
from flask_apps.clients import JSON, get_at_once
from flask_apps.processes import HTTP_TIMEOUT, RedisServer
from flet_auth.testing import MockOAuthServer

COOKIE = "flet_auth"


@pytest.fixture(scope="module")
def provider() -> Iterator[MockOAuthServer]:
    with MockOAuthServer() as server:
        yield server


def store_url(kind: str, request: pytest.FixtureRequest, tmp: Path) -> str:
    if kind == "redis":
        redis_server: RedisServer = request.getfixturevalue("redis_server")
        return redis_server.url
    return f"sqlite:///{tmp / 'flet_auth.sqlite3'}"


@pytest.fixture(scope="module", params=["redis", "sqlite"])
def asgi_app(
    request: pytest.FixtureRequest,
    provider: MockOAuthServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[UvicornApp]:
    """examples/fastapi/app.py under uvicorn --workers 3, its store Redis or SQLite."""
    store = store_url(request.param, request, tmp_path_factory.mktemp("fastapi-app"))
    app = UvicornApp(
        "asgi_apps.authgear_asgi:app",
        {
            "APP_SECRET_KEY": "test-secret-key-of-the-fastapi-example",
            "AUTHGEAR_CLIENT_ID": provider.client_id,
            "AUTHGEAR_CLIENT_SECRET": provider.client_secret,
            "AUTHGEAR_SERVER_METADATA_URL": provider.discovery_url,
            "FLET_AUTH_STORE": store,
        },
    )
    app.start()
    try:
        yield app
    finally:
        app.close()


def login(
    app: UvicornApp, provider: MockOAuthServer, user: str = "alice", next_path: str = "/profile"
) -> tuple[httpx.Client, httpx.Response]:
    """A client that went through a login with the built-in routes (consent given at the
    provider without a browser); returns it and the answer of the callback."""
    client = httpx.Client(base_url=app.url, timeout=HTTP_TIMEOUT)
    start = client.get("/login/authgear", params={"next": next_path})
    assert start.status_code == 302, start.text
    redirect = provider.authorize(start.headers["location"], user=user)
    done = client.get("/login/authgear/callback", params=redirect)
    return client, done


def cookie_of(client: httpx.Client) -> str:
    value = client.cookies.get(COOKIE)
    assert value, "the app set no login cookie"
    return value


def test_a_login_is_seen_by_every_worker(asgi_app: UvicornApp, provider: MockOAuthServer) -> None:
    client, done = login(asgi_app, provider, user="bob")
    assert done.status_code == 302 and done.headers["location"] == "/profile"
    cookie = cookie_of(client)
    client.close()
    pids = set()
    with httpx.Client(
        base_url=asgi_app.url, cookies={COOKIE: cookie}, timeout=HTTP_TIMEOUT
    ) as again:
        for _ in range(200):
            answer = again.get("/profile", headers={**JSON, "Connection": "close"})
            assert answer.status_code == 200
            assert answer.json()["name"] == "Bob Builder"
            pids.add(int(answer.headers["X-Worker-Pid"]))
            if pids == asgi_app.worker_pids():
                break
    assert pids == asgi_app.worker_pids() and len(pids) == 3


def test_twenty_concurrent_requests_with_an_expired_token_refresh_it_once(
    asgi_app: UvicornApp, provider: MockOAuthServer
) -> None:
    provider.access_token_ttl = 63  # refreshed from 3 s after the login on (60 s leeway)
    try:
        client, done = login(asgi_app, provider)
    finally:
        provider.access_token_ttl = 3600
    assert done.status_code == 302
    before = client.get("/_test/token", headers=JSON).json()
    cookie = cookie_of(client)
    client.close()
    wait = before["expires_at"] - 60 - time.time() + 0.2
    assert 0 < wait < 4, "the login took too long to test the refresh"
    time.sleep(wait)

    provider.reset_counts()
    answers = get_at_once(asgi_app.url, cookie, "/_test/token", 20, JSON, cookie=COOKIE)

    assert [a.status_code for a in answers] == [200] * 20
    assert provider.count("token.refresh_token") == 1
    digests = {a.json()["digest"] for a in answers}
    assert len(digests) == 1 and before["digest"] not in digests
    assert len({a.headers["X-Worker-Pid"] for a in answers}) >= 2
    with httpx.Client(base_url=asgi_app.url, cookies={COOKIE: cookie}, timeout=30) as again:
        later = [again.get("/_test/token", headers=JSON).json()["digest"] for _ in range(6)]
    assert set(later) == digests
    assert provider.count("token.refresh_token") == 1


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example/x"])
def test_next_pointing_elsewhere_is_not_followed(
    asgi_app: UvicornApp, provider: MockOAuthServer, next_path: str
) -> None:
    client, done = login(asgi_app, provider, next_path=next_path)
    assert done.status_code == 302 and done.headers["location"] == "/"
    client.close()


def test_logout_by_get_or_without_the_csrf_token_is_refused(
    asgi_app: UvicornApp, provider: MockOAuthServer
) -> None:
    client, _ = login(asgi_app, provider)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.get("/profile", headers=JSON).status_code == 200
    page = client.get("/").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    out = client.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert out.headers["location"].startswith(provider.url)  # the provider's end_session
    assert client.get("/profile", headers=JSON).status_code == 401
    client.close()


def test_a_tampered_cookie_means_signed_out(
    asgi_app: UvicornApp, provider: MockOAuthServer
) -> None:
    client, _ = login(asgi_app, provider)
    cookie = cookie_of(client)
    client.close()
    data, signature = cookie.rsplit(".", 1)
    tampered = f"{data}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    with httpx.Client(
        base_url=asgi_app.url, cookies={COOKIE: tampered}, timeout=HTTP_TIMEOUT
    ) as other:
        assert other.get("/profile", headers=JSON).status_code == 401
        page = other.get("/profile")
        assert page.status_code == 302 and page.headers["location"] == "/login?next=%2Fprofile"
    with httpx.Client(base_url=asgi_app.url, cookies={COOKIE: cookie}, timeout=HTTP_TIMEOUT) as c:
        assert c.get("/profile", headers=JSON).status_code == 200


@pytest.mark.parametrize("asgi_app", ["redis"], indirect=True)
def test_redis_going_away_gives_503_and_its_return_keeps_the_login(
    asgi_app: UvicornApp, provider: MockOAuthServer, redis_server: RedisServer
) -> None:
    client, _ = login(asgi_app, provider, user="bob")
    before = client.get("/_test/token", headers=JSON).json()["digest"]
    workers = asgi_app.worker_pids()

    redis_server.stop(save=True)
    try:
        page = client.get("/profile")
        assert page.status_code == 503 and "unavailable" in page.text
        assert page.headers["Retry-After"] == "5"
        api = client.get("/profile", headers=JSON)
        assert api.status_code == 503 and api.json()["error"] == "temporarily_unavailable"
        assert client.get("/login/authgear").status_code == 503
    finally:
        redis_server.start()
    assert asgi_app.worker_pids() == workers  # no worker died

    assert client.get("/profile", headers=JSON).json()["name"] == "Bob Builder"
    assert client.get("/_test/token", headers=JSON).json()["digest"] == before
    client.close()
