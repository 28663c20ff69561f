"""The mix-up defence (RFC 9207) against a third-party server: Authlib's authorization server
with its `iss` response parameter (tests/third_party/authlib_code_server.py)."""

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from flet_auth import AuthorizationService, IssuerMismatchError, OAuthProvider
from third_party.authlib_code_server import AuthlibCodeServer

REDIRECT_URL = "http://127.0.0.1:8550/callback"


@pytest.fixture
def authlib_server() -> Iterator[AuthlibCodeServer]:
    with AuthlibCodeServer() as server:
        yield server


def provider_of(server: AuthlibCodeServer, issuer: str) -> OAuthProvider:
    return OAuthProvider(
        server.client_id,
        server.client_secret,
        server.authorization_endpoint,
        server.token_endpoint,
        REDIRECT_URL,
        scopes=["profile"],
        issuer=issuer,
        authorization_response_iss_parameter_supported=True,
    )


def redirect_of(service: AuthorizationService) -> dict[str, str]:
    """Follows the authorization URL as the browser would; the redirect's query."""
    url, _ = service.get_authorization_data()
    answer = httpx.get(url, timeout=10)
    assert answer.status_code == 302, answer.text
    return dict(parse_qsl(urlsplit(answer.headers["location"]).query))


def test_a_login_through_authlib_checks_its_iss_and_completes(
    authlib_server: AuthlibCodeServer,
) -> None:
    service = AuthorizationService(
        provider_of(authlib_server, authlib_server.issuer), fetch_user=False, fetch_groups=False
    )
    redirect = redirect_of(service)
    assert redirect["iss"] == authlib_server.issuer
    service.request_token_sync(service.check_authorization_response(redirect))
    token = service.current_token
    assert token is not None and token.access_token and authlib_server.token_requests == 1


def test_authlib_s_iss_for_a_login_meant_for_another_issuer_is_refused(
    authlib_server: AuthlibCodeServer,
) -> None:
    # The mix-up: the app sent the user to the provider it knows as "honest", and the
    # redirect comes back from Authlib's server, which names itself.
    provider = provider_of(authlib_server, "https://honest.example")
    service = AuthorizationService(provider, fetch_user=False, fetch_groups=False)
    redirect = redirect_of(service)
    with pytest.raises(IssuerMismatchError):
        service.check_authorization_response(redirect)
    assert authlib_server.token_requests == 0
