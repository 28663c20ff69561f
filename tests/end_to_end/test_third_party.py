"""Logins against an authorization server nobody here wrote: django-oauth-toolkit, served by
cheroot on 127.0.0.1 (see third_party/server.py)."""

import asyncio
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from flet_auth import AuthorizationService, AuthPage, OAuthError, OAuthProvider, OAuthToken
from third_party.server import DjangoOAuthServer


@pytest.fixture(scope="module")
def dot() -> Iterator[DjangoOAuthServer]:
    with DjangoOAuthServer() as server:
        yield server


def dot_provider(
    dot: DjangoOAuthServer, *, public: bool = False, redirect_url: str = "", **settings: Any
) -> OAuthProvider:
    if public:
        settings.setdefault("token_endpoint_auth_method", "none")
    return OAuthProvider(
        client_id=dot.public_client_id if public else dot.client_id,
        client_secret=None if public else dot.client_secret,
        authorization_endpoint=dot.authorization_endpoint,
        token_endpoint=dot.token_endpoint,
        redirect_url=redirect_url or dot.redirect_uri,
        scopes=["read"],
        user_endpoint=dot.user_endpoint,
        user_id_fn=lambda u: u["id"],
        **settings,
    )


def log_in(
    dot: DjangoOAuthServer, provider: OAuthProvider, user: str = "alice"
) -> AuthorizationService:
    service = AuthorizationService(provider, fetch_user=True, fetch_groups=False)
    url, state = service.get_authorization_data()
    redirect = dot.authorize(url, username=user)
    assert redirect.get("state") == state, redirect
    service.check_state(redirect["state"])
    service.request_token_sync(redirect["code"])
    return service


@pytest.mark.parametrize("method", ["client_secret_post", "client_secret_basic"])
def test_confidential_client_with_pkce(dot: DjangoOAuthServer, method: str) -> None:
    service = log_in(dot, dot_provider(dot, token_endpoint_auth_method=method))
    token = service.get_token_sync()
    assert token is not None and token.token_type == "Bearer"
    assert token.refresh_token and token.expires_in == 3600
    assert service.user is not None
    assert service.user["username"] == "alice" and service.user.id == str(service.user["id"])


def test_public_client_with_pkce_and_no_secret(dot: DjangoOAuthServer) -> None:
    service = log_in(dot, dot_provider(dot, public=True), user="bob")
    assert service.user is not None and service.user["username"] == "bob"


async def test_async_login_and_refresh_with_rotation(dot: DjangoOAuthServer) -> None:
    service = AuthorizationService(dot_provider(dot), fetch_user=True, fetch_groups=False)
    url, _ = service.get_authorization_data()
    await service.request_token(dot.authorize(url)["code"])
    token = await service.get_token()
    assert token is not None
    old_access, old_refresh = token.access_token, token.refresh_token
    token.expires_at = time.time()
    fresh = await service.get_token()
    assert fresh is not None
    assert fresh.access_token != old_access and fresh.refresh_token != old_refresh
    # the fresh token is accepted where the user lives; the old refresh token is dead
    await service.dehydrate_token(fresh.to_json())
    assert service.user is not None and service.user["username"] == "alice"
    stale = OAuthToken(access_token=old_access, refresh_token=old_refresh, expires_at=0)
    other = AuthorizationService(dot_provider(dot), fetch_user=False, fetch_groups=False)
    with pytest.raises(OAuthError) as raised:
        await other.dehydrate_token(stale.to_json())
    assert raised.value.error == "invalid_grant"


def test_replayed_code_is_refused(dot: DjangoOAuthServer) -> None:
    provider = dot_provider(dot, pkce=False)
    service = AuthorizationService(provider, fetch_user=False, fetch_groups=False)
    url, _ = service.get_authorization_data()
    code = dot.authorize(url)["code"]
    service.request_token_sync(code)
    with pytest.raises(OAuthError) as raised:
        AuthorizationService(provider, False, False).request_token_sync(code)
    assert raised.value.error == "invalid_grant" and raised.value.status == 400


def test_wrong_client_secret_is_invalid_client(dot: DjangoOAuthServer) -> None:
    provider = dot_provider(dot)
    provider.client_secret = "wrong"
    with pytest.raises(OAuthError) as raised:
        log_in(dot, provider)
    assert raised.value.error == "invalid_client"


def test_public_client_without_pkce_is_refused_by_the_server(dot: DjangoOAuthServer) -> None:
    service = AuthorizationService(dot_provider(dot, public=True, pkce=False), False, False)
    url, _ = service.get_authorization_data()
    assert dot.authorize(url)["error"] == "invalid_request"


async def test_auth_page_desktop_login(dot: DjangoOAuthServer) -> None:
    """DOT ignores the port of loopback redirect URIs (RFC 8252), so port 0 works."""

    async def browser(url: str) -> None:
        def visit() -> None:
            query = dot.authorize(url, username="bob")
            callback = parse_qs(urlsplit(url).query)["redirect_uri"][0]
            httpx.get(f"{callback}?{urlencode(query)}", timeout=10)

        asyncio.get_running_loop().run_in_executor(None, visit)

    page = AuthPage()
    provider = dot_provider(dot, public=True, redirect_url="http://127.0.0.1:0/callback")
    await page.login(provider, on_open_authorization_url=browser)
    assert page.auth is not None and page.auth.user is not None
    assert page.auth.user["username"] == "bob"
