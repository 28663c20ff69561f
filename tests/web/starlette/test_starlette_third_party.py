"""examples/fastapi/app.py (the Authgear guide's app) under uvicorn with 3 workers against
django-oauth-toolkit, an OpenID Connect provider nobody here wrote: a login through its own
login form, concurrent refreshes with its refresh-token rotation, logout to its
end_session with both tokens revoked."""

import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis

from asgi_apps.processes import UvicornApp
from flask_apps.clients import JSON, get_at_once
from flask_apps.processes import HTTP_TIMEOUT, RedisServer
from flet_auth import OAuthToken
from flet_auth.security import decrypt
from third_party.server import DjangoOAuthServer

TOKEN_LIFETIME = 63  # the app refreshes a token 60 s before it expires: 3 s after it got it
SECRET_KEY = "test-secret-key-of-the-fastapi-dot-login"
COOKIE = "flet_auth"


def stored_tokens(redis_url: str) -> list[OAuthToken]:
    """The tokens of the logins the app keeps in Redis, decrypted with the app's key."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5, decode_responses=True)
    tokens = []
    for key in client.scan_iter("flet_auth:login:*"):
        data = client.get(key)
        assert data is not None and "access_token" not in data  # encrypted at rest
        tokens.append(OAuthToken.from_json(json.loads(decrypt(data, SECRET_KEY))["token"]))
    return tokens


@pytest.fixture(scope="module")
def dot() -> Iterator[DjangoOAuthServer]:
    with DjangoOAuthServer(access_token_expire_seconds=TOKEN_LIFETIME) as server:
        yield server


@pytest.fixture(scope="module")
def dot_app(dot: DjangoOAuthServer, redis_server: RedisServer) -> Iterator[UvicornApp]:
    app = UvicornApp(
        "asgi_apps.authgear_asgi:app",
        {
            "APP_SECRET_KEY": SECRET_KEY,
            "AUTHGEAR_CLIENT_ID": dot.client_id,
            "AUTHGEAR_CLIENT_SECRET": dot.client_secret,
            "AUTHGEAR_SERVER_METADATA_URL": dot.discovery_url,
            # django-oauth-toolkit knows no offline_access (it always issues refresh tokens)
            # and lists its revocation endpoint only in its OAuth metadata.
            "AUTHGEAR_SCOPE": "openid profile email",
            "AUTHGEAR_REVOCATION_ENDPOINT": dot.revocation_endpoint,
            "FLET_AUTH_STORE": redis_server.url,
        },
    )
    app.start()
    try:
        yield app
    finally:
        app.close()


def test_login_refresh_and_logout_with_django_oauth_toolkit(
    dot: DjangoOAuthServer, dot_app: UvicornApp, redis_server: RedisServer
) -> None:
    redis_server.client().flushdb()
    with httpx.Client(base_url=dot_app.url, timeout=HTTP_TIMEOUT) as client:
        start = client.get("/login")
        assert start.status_code == 302 and start.headers["location"].startswith(dot.url)
        done = client.get("/callback", params=dot.authorize(start.headers["location"]))
        assert done.status_code == 302
        assert "Welcome alice!" in client.get("/").text
        before = client.get("/_test/token", headers=JSON).json()
        cookie = client.cookies[COOKIE]
    wait = before["expires_at"] - 60 - time.time() + 0.2
    assert 0 < wait < TOKEN_LIFETIME - 60 + 1
    time.sleep(wait)

    # django-oauth-toolkit rotates refresh tokens: a second refresh with the old one would be
    # refused and log the user out, so eight successes mean exactly one refresh.
    answers = get_at_once(dot_app.url, cookie, "/_test/token", 8, JSON, cookie=COOKIE)
    assert [a.status_code for a in answers] == [200] * 8
    digests = {a.json()["digest"] for a in answers}
    assert len(digests) == 1 and before["digest"] not in digests

    [token] = stored_tokens(redis_server.url)
    assert token.refresh_token is not None
    with httpx.Client(base_url=dot_app.url, cookies={COOKIE: cookie}, timeout=30) as c:
        assert c.get("/profile").json()["name"] == "alice"
        page = c.get("/").text
        csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        out = c.post("/logout", data={"csrf_token": csrf})
        assert out.status_code == 303
        assert out.headers["location"].startswith(dot.url + "/o/logout/")
        query = parse_qs(urlsplit(out.headers["location"]).query)
        assert query["client_id"] == [dot.client_id]
        assert query["post_logout_redirect_uri"] == [dot_app.url + "/"]
        assert query["id_token_hint"][0].count(".") == 2
        assert c.get("/profile", headers=JSON).status_code == 401
    assert stored_tokens(redis_server.url) == []
    bearer = {"Authorization": f"Bearer {token.access_token}"}
    assert httpx.get(dot.userinfo_endpoint, headers=bearer, timeout=HTTP_TIMEOUT).status_code == 401
    refresh = httpx.post(
        dot.token_endpoint,
        data={"grant_type": "refresh_token", "refresh_token": token.refresh_token},
        auth=(dot.client_id, dot.client_secret),
        timeout=HTTP_TIMEOUT,
    )
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"


def test_a_forged_state_is_refused_without_asking_the_provider(
    dot: DjangoOAuthServer, dot_app: UvicornApp
) -> None:
    with httpx.Client(base_url=dot_app.url, timeout=HTTP_TIMEOUT) as client:
        start = client.get("/login")
        redirect = dot.authorize(start.headers["location"], username="bob")
        forged = client.get("/callback", params={**redirect, "state": "forged"})
        assert forged.status_code == 400
        assert client.get("/profile", headers=JSON).status_code == 401
        assert client.get("/callback", params=redirect).status_code == 302
        assert client.get("/profile").json()["name"] == "bob"
