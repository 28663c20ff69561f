"""Pushed authorization requests (RFC 9126) against the bundled provider: the authenticated
POST of every authorization parameter (§2.1), the authorization URL with only `client_id` and
`request_uri` (§4), when a login pushes (`use_par`, `require_pushed_authorization_requests`),
and the refusals: an expired or reused `request_uri`, an error answer (§2.3)."""

import base64
import hashlib
import json
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

from flet_auth import (
    AuthorizationService,
    AuthPage,
    ConfigurationError,
    OAuthError,
    OAuthProvider,
)
from flet_auth.testing import MockOAuthServer

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"


@pytest.fixture
def par_server() -> Iterator[MockOAuthServer]:
    """A provider that requires pushed authorization requests and says so in discovery."""
    with MockOAuthServer(require_par=True) as s:
        yield s


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_a_pushed_authorization_url_carries_only_client_id_and_request_uri(
    server: MockOAuthServer,
) -> None:
    service = AuthorizationService(server.provider(use_par=True), True, False)
    url, _ = service.start_authorization_sync()
    q = query(url)
    assert set(q) == {"client_id", "request_uri"}
    assert q["client_id"] == server.client_id
    assert q["request_uri"].startswith(REQUEST_URI_PREFIX)
    assert url.startswith(server.authorization_endpoint + "?")
    assert server.count("par") == 1


async def test_a_login_through_par_gets_the_token_and_the_user(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(use_par=True), True, False)
    url, state = await service.start_authorization()
    redirect = server.authorize(url, user="bob")
    assert redirect["state"] == state
    await service.request_token(service.check_authorization_response(redirect))
    assert service.current_token is not None and service.current_token.access_token
    assert service.user is not None and service.user.id == "1002"


async def test_the_pushed_request_carries_every_authorization_parameter_of_an_openid_login(
    par_server: MockOAuthServer,
) -> None:
    provider = par_server.openid_provider(authorization_params={"audience": "api"})
    service = AuthorizationService(provider, True, False)
    url, state = await service.start_authorization()
    saved = json.loads(service.save_login() or "{}")
    pushed = par_server.last_par_request()
    assert pushed is not None
    assert pushed["response_type"] == "code"
    assert pushed["client_id"] == par_server.client_id
    assert pushed["redirect_uri"] == provider.redirect_url
    assert pushed["scope"] == "openid profile email"
    assert pushed["state"] == state
    assert pushed["code_challenge_method"] == "S256"
    assert pushed["code_challenge"] == s256(saved["code_verifier"])
    assert pushed["nonce"] == saved["nonce"]
    assert pushed["audience"] == "api"
    assert "request_uri" not in pushed
    assert set(query(url)) == {"client_id", "request_uri"}
    redirect = par_server.authorize(url)
    await service.request_token(service.check_authorization_response(redirect))
    assert service.id_token_claims is not None
    assert service.id_token_claims["nonce"] == saved["nonce"]


def test_the_client_authenticates_at_the_par_endpoint(server: MockOAuthServer) -> None:
    provider = server.provider(use_par=True, token_endpoint_auth_method="client_secret_basic")
    provider.client_secret = "not-the-secret"
    service = AuthorizationService(provider, True, False)
    with pytest.raises(OAuthError) as refused:
        service.start_authorization_sync()
    assert refused.value.error == "invalid_client"
    assert server.count("par") == 1


def test_use_par_none_pushes_only_when_the_metadata_requires_it(
    server: MockOAuthServer, par_server: MockOAuthServer
) -> None:
    plain = AuthorizationService(server.openid_provider(), True, False)
    url, state = plain.start_authorization_sync()
    assert query(url)["state"] == state
    assert server.count("par") == 0
    pushed = AuthorizationService(par_server.openid_provider(), True, False)
    url, _ = pushed.start_authorization_sync()
    assert set(query(url)) == {"client_id", "request_uri"}
    assert par_server.count("par") == 1


def test_use_par_false_where_the_metadata_requires_par_is_a_configuration_error(
    par_server: MockOAuthServer,
) -> None:
    service = AuthorizationService(par_server.openid_provider(use_par=False), True, False)
    with pytest.raises(ConfigurationError, match="use_par=False"):
        service.start_authorization_sync()
    with pytest.raises(ConfigurationError, match="use_par=False"):
        service.get_authorization_data()
    assert par_server.count("par") == 0


def test_use_par_true_without_an_endpoint_is_a_configuration_error(
    server: MockOAuthServer,
) -> None:
    provider = OAuthProvider(
        server.client_id,
        server.client_secret,
        server.authorization_endpoint,
        server.token_endpoint,
        "http://127.0.0.1:8550/cb",
        use_par=True,
    )
    service = AuthorizationService(provider, False, False)
    with pytest.raises(ConfigurationError, match="pushed_authorization_request_endpoint"):
        service.start_authorization_sync()


def test_get_authorization_data_cannot_push_and_says_what_to_call(
    par_server: MockOAuthServer,
) -> None:
    service = AuthorizationService(par_server.openid_provider(), True, False)
    with pytest.raises(ConfigurationError, match="start_authorization"):
        service.get_authorization_data()
    assert par_server.count("par") == 0


def test_get_authorization_data_hands_out_the_url_start_authorization_pushed(
    par_server: MockOAuthServer,
) -> None:
    service = AuthorizationService(par_server.openid_provider(), True, False)
    pushed = service.start_authorization_sync()
    assert service.get_authorization_data() == pushed
    with pytest.raises(ConfigurationError):
        service.get_authorization_data()  # once: a second login must push again


def test_the_require_par_switch_refuses_a_request_that_was_not_pushed(
    par_server: MockOAuthServer,
) -> None:
    provider = par_server.provider(require_pushed_authorization_requests=False)
    service = AuthorizationService(provider, True, False)
    url, _ = service.get_authorization_data()
    with pytest.raises(OAuthError) as refused:
        service.check_authorization_response(par_server.authorize(url))
    assert refused.value.error == "invalid_request"


def test_an_expired_request_uri_is_refused(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(use_par=True), True, False)
    url, _ = service.start_authorization_sync()
    server.expire_par_requests()
    with pytest.raises(OAuthError) as refused:
        service.check_authorization_response(server.authorize(url))
    assert refused.value.error == "invalid_request_uri"
    assert server.count("token") == 0


def test_a_request_uri_is_accepted_once(server: MockOAuthServer) -> None:
    service = AuthorizationService(server.provider(use_par=True), True, False)
    url, _ = service.start_authorization_sync()
    assert "code" in server.authorize(url)
    again = server.authorize(url)
    assert again["error"] == "invalid_request_uri"
    assert "code" not in again


def test_a_par_error_answer_is_an_oauth_error_with_its_error(server: MockOAuthServer) -> None:
    body = '{"error":"invalid_request","error_description":"the scope is not allowed"}'
    server.fail("par", status=400, body=body)
    service = AuthorizationService(server.provider(use_par=True), True, False)
    with pytest.raises(OAuthError) as refused:
        service.start_authorization_sync()
    assert refused.value.error == "invalid_request"
    assert refused.value.error_description == "the scope is not allowed"
    assert service.state is None


def test_a_pushed_login_survives_save_and_restore(par_server: MockOAuthServer) -> None:
    first = AuthorizationService(par_server.openid_provider(), True, False)
    url, _ = first.start_authorization_sync()
    saved = first.save_login()
    assert saved is not None
    second = AuthorizationService(par_server.openid_provider(), True, False)
    second.restore_login(saved)
    second.request_token_sync(second.check_authorization_response(par_server.authorize(url)))
    assert second.user is not None and second.user["sub"]


async def test_auth_page_logs_in_through_par(par_server: MockOAuthServer) -> None:
    page = AuthPage()
    provider = par_server.openid_provider("http://127.0.0.1:0/callback")
    service = await page.login(provider, on_open_authorization_url=par_server.browser("bob"))
    assert page.auth is service and service.user is not None
    assert par_server.count("par") == 1
    assert par_server.count("token.authorization_code") == 1
