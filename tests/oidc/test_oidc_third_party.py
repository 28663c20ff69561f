"""OpenID Connect against django-oauth-toolkit (OIDC on, RS256), a provider nobody here wrote."""

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from flet_auth import AuthorizationService, OAuthError, OpenIDProvider
from third_party.server import HTTP_TIMEOUT, DjangoOAuthServer


@pytest.fixture(scope="module")
def dot() -> Iterator[DjangoOAuthServer]:
    with DjangoOAuthServer() as server:
        yield server


def provider(dot: DjangoOAuthServer, **settings: object) -> OpenIDProvider:
    return OpenIDProvider(
        dot.client_id,
        dot.client_secret,
        dot.redirect_uri,
        server_metadata_url=dot.discovery_url,
        **settings,  # type: ignore[arg-type]
    )


def log_in(dot: DjangoOAuthServer, p: OpenIDProvider) -> AuthorizationService:
    service = AuthorizationService(p, fetch_user=True, fetch_groups=False)
    url, state = service.get_authorization_data()
    query = parse_qs(urlsplit(url).query)
    assert query["nonce"][0] and query["code_challenge_method"] == ["S256"]
    redirect = dot.authorize(url)
    assert redirect["state"] == state
    service.check_state(redirect["state"])
    service.request_token_sync(redirect["code"])
    return service


def test_discovery_gives_the_endpoints(dot: DjangoOAuthServer) -> None:
    p = provider(dot)
    assert p.issuer == dot.issuer
    assert p.authorization_endpoint == dot.authorization_endpoint
    assert p.token_endpoint == dot.token_endpoint
    assert p.user_endpoint == dot.userinfo_endpoint
    assert p.jwks_uri == dot.jwks_uri
    assert p.end_session_endpoint  # RP-initiated logout is on


def test_login_verifies_the_id_token_and_reads_the_user(dot: DjangoOAuthServer) -> None:
    service = log_in(dot, provider(dot))
    claims = service.id_token_claims
    assert claims is not None and claims["iss"] == dot.issuer and claims["aud"] == dot.client_id
    token = service.get_token_sync()
    assert token is not None and token.id_token
    assert service.user is not None
    assert service.user.id == claims["sub"]
    assert service.user["email"] == "alice@example.com"  # from userinfo too


async def test_refresh_brings_a_new_verified_id_token(dot: DjangoOAuthServer) -> None:
    service = log_in(dot, provider(dot))
    token = await service.get_token()
    assert token is not None
    first_id_token = token.id_token
    token.expires_at = time.time()
    fresh = await service.get_token()
    assert fresh is not None and fresh.id_token and fresh.id_token != first_id_token


async def test_a_token_handed_out_keeps_its_values_after_a_refresh(dot: DjangoOAuthServer) -> None:
    service = log_in(dot, provider(dot))
    first = await service.get_token()
    assert first is not None
    before = (first.access_token, first.refresh_token, first.id_token)
    first.expires_at = time.time()
    fresh = await service.get_token()
    assert fresh is not None and fresh.access_token != before[0]
    assert (first.access_token, first.refresh_token, first.id_token) == before


def test_public_client_with_pkce_and_nonce(dot: DjangoOAuthServer) -> None:
    p = OpenIDProvider(
        dot.public_client_id, None, dot.redirect_uri, server_metadata_url=dot.discovery_url
    )
    service = log_in(dot, p)
    assert service.user is not None and service.user["preferred_username"] == "alice"


def test_revocation_ends_the_tokens(dot: DjangoOAuthServer) -> None:
    service = log_in(dot, provider(dot))
    token = service.get_token_sync()
    assert token is not None
    refresh_token = token.refresh_token
    service.revoke_sync()
    assert service.get_token_sync() is None
    again = AuthorizationService(provider(dot), fetch_user=False, fetch_groups=False)
    token.refresh_token = refresh_token
    token.expires_at = 0
    with pytest.raises(OAuthError) as raised:
        again.dehydrate_token_sync(token.to_json())
    assert raised.value.error == "invalid_grant"


async def test_revoke_finds_the_endpoint_only_django_oauth_toolkits_rfc_8414_metadata_has(
    dot: DjangoOAuthServer,
) -> None:
    p = provider(dot)
    assert p.revocation_endpoint is None  # not in the OpenID Connect discovery document
    service = log_in(dot, p)
    token = service.current_token
    assert token is not None
    bearer = {"Authorization": f"Bearer {token.access_token}"}
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
        assert (await client.get(dot.userinfo_endpoint, headers=bearer)).status_code == 200
        await service.revoke()
        assert (await client.get(dot.userinfo_endpoint, headers=bearer)).status_code == 401


def test_end_session_url_carries_the_id_token_hint(dot: DjangoOAuthServer) -> None:
    service = log_in(dot, provider(dot))
    token = service.get_token_sync()
    assert token is not None
    url = service.end_session_url("http://127.0.0.1:8550/bye", state="s1")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(provider(dot).end_session_endpoint or "-")
    assert query["id_token_hint"] == [token.id_token]
    assert query["post_logout_redirect_uri"] == ["http://127.0.0.1:8550/bye"]
    assert query["state"] == ["s1"] and query["client_id"] == [dot.client_id]


def test_discovery_issuer_mismatch_is_refused(dot: DjangoOAuthServer) -> None:
    from flet_auth import ConfigurationError

    p = OpenIDProvider(
        dot.client_id,
        dot.client_secret,
        dot.redirect_uri,
        server_metadata_url=dot.discovery_url,
        issuer="http://127.0.0.1:1/other",
    )
    with pytest.raises(ConfigurationError, match="issuer"):
        AuthorizationService(p, True, False)
