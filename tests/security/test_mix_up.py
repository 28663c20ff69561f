"""The mix-up defence of RFC 9207: a redirect's `iss` must be the provider's issuer, and must be
there when the provider announces `authorization_response_iss_parameter_supported`. Against
the bundled provider, which sends `iss` and can spoil it (`forge_iss`)."""

from collections.abc import Iterator

import pytest

from flet_auth import (
    AuthorizationService,
    ConfigurationError,
    IssuerMismatchError,
    OAuthError,
    StateMismatchError,
)
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.testing import MockOAuthServer

WRONG_ISSUER = "https://attacker.invalid"


@pytest.fixture
def unannounced() -> Iterator[MockOAuthServer]:
    """A provider that neither sends `iss` nor announces it."""
    with MockOAuthServer(authorization_response_iss_parameter_supported=False) as server:
        yield server


def redirect_of(
    server: MockOAuthServer, provider: OAuthProvider
) -> tuple[AuthorizationService, dict[str, str]]:
    service = AuthorizationService(provider, fetch_user=True, fetch_groups=False)
    url, _ = service.get_authorization_data()
    return service, server.authorize(url)


def test_the_provider_s_own_iss_is_accepted_and_the_login_completes(
    server: MockOAuthServer,
) -> None:
    service, redirect = redirect_of(server, server.provider())
    assert redirect["iss"] == server.issuer
    service.request_token_sync(service.check_authorization_response(redirect))
    assert service.user is not None and service.user.id == "1001"


def test_a_wrong_iss_is_an_issuer_mismatch_and_ends_the_login(server: MockOAuthServer) -> None:
    server.forge_iss("wrong")
    service, redirect = redirect_of(server, server.provider())
    assert redirect["iss"] == WRONG_ISSUER
    with pytest.raises(IssuerMismatchError) as caught:
        service.check_authorization_response(redirect)
    assert server.issuer in str(caught.value) and WRONG_ISSUER not in str(caught.value)
    assert service.save_login() is None  # its PKCE verifier is gone
    fixed = {**redirect, "iss": server.issuer}
    with pytest.raises(StateMismatchError):
        service.check_authorization_response(fixed)
    assert server.count("token") == 0


def test_a_wrong_iss_is_refused_for_an_openid_provider(server: MockOAuthServer) -> None:
    server.forge_iss("wrong")
    service, redirect = redirect_of(server, server.openid_provider())
    with pytest.raises(IssuerMismatchError):
        service.check_authorization_response(redirect)


def test_a_missing_iss_is_refused_when_the_discovery_document_announces_it(
    server: MockOAuthServer,
) -> None:
    provider = server.openid_provider()
    assert provider.authorization_response_iss_parameter_supported is True
    server.forge_iss("missing")
    service, redirect = redirect_of(server, provider)
    assert "iss" not in redirect
    with pytest.raises(IssuerMismatchError, match="no iss"):
        service.check_authorization_response(redirect)


def test_a_missing_iss_is_refused_when_the_provider_setting_announces_it(
    server: MockOAuthServer,
) -> None:
    server.forge_iss("missing")
    provider = server.provider(authorization_response_iss_parameter_supported=True)
    service, redirect = redirect_of(server, provider)
    with pytest.raises(IssuerMismatchError):
        service.check_authorization_response(redirect)


def test_a_wrong_iss_is_refused_though_the_provider_does_not_announce_it(
    unannounced: MockOAuthServer,
) -> None:
    for provider in (unannounced.provider(), unannounced.openid_provider()):
        assert not provider.authorization_response_iss_parameter_supported
        unannounced.forge_iss("wrong")
        service, redirect = redirect_of(unannounced, provider)
        with pytest.raises(IssuerMismatchError):
            service.check_authorization_response(redirect)


def test_without_the_announcement_a_redirect_without_iss_is_accepted(
    unannounced: MockOAuthServer,
) -> None:
    service, redirect = redirect_of(unannounced, unannounced.openid_provider())
    assert "iss" not in redirect
    service.request_token_sync(service.check_authorization_response(redirect))
    assert service.current_token is not None


def test_an_iss_is_let_through_when_the_provider_s_issuer_is_unknown(
    server: MockOAuthServer,
) -> None:
    # RFC 9207 §2.4 leaves an unannounced `iss` to local policy; with no issuer to compare
    # (Flet's providers, GitHub) refusing it would break logins at providers that send it.
    server.forge_iss("wrong")
    provider = server.provider(issuer=None, authorization_response_iss_parameter_supported=None)
    service, redirect = redirect_of(server, provider)
    assert service.check_authorization_response(redirect) == redirect["code"]


def test_the_iss_is_compared_as_a_string(server: MockOAuthServer) -> None:
    service, redirect = redirect_of(server, server.provider())
    with pytest.raises(IssuerMismatchError):
        service.check_authorization_response({**redirect, "iss": server.issuer + "/"})


def test_an_error_redirect_stays_an_oauth_error(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(), fetch_user=True, fetch_groups=False)
    url, _ = service.get_authorization_data()
    redirect = server.authorize(url, approve=False)
    assert redirect["iss"] == server.issuer  # RFC 9207 §2: error responses carry it too
    with pytest.raises(OAuthError, match="access_denied"):
        service.check_authorization_response(redirect)


def test_an_explicit_setting_overrides_the_discovery_document(server: MockOAuthServer) -> None:
    provider = server.openid_provider(authorization_response_iss_parameter_supported=False)
    assert provider.authorization_response_iss_parameter_supported is False
    server.forge_iss("missing")
    service, redirect = redirect_of(server, provider)
    assert service.check_authorization_response(redirect) == redirect["code"]


def test_announcing_the_iss_parameter_without_an_issuer_is_a_configuration_error(
    server: MockOAuthServer,
) -> None:
    provider = server.provider(issuer=None, authorization_response_iss_parameter_supported=True)
    with pytest.raises(ConfigurationError, match="issuer"):
        AuthorizationService(provider, fetch_user=False, fetch_groups=False)
