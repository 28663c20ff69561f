"""The token endpoint's client authentication is picked from the provider's
`token_endpoint_auth_methods_supported` (OpenID Connect Discovery 1.0 §3), against the bundled
provider behind a loopback HTTP proxy that rewrites that list and enforces it."""

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from joserfc.jwk import ECKey

from flet_auth import (
    AuthorizationService,
    ClientCredentialsService,
    ConfigurationError,
    OAuthError,
    OAuthProvider,
    OpenIDProvider,
)
from flet_auth.testing import MockOAuthServer
from json_server import (
    INVALID_CLIENT,
    Answer,
    JSONServer,
    client_auth_method,
    document_of,
    forward,
    json_answer,
)

_ABSENT = object()


class EnforcingProvider(JSONServer):
    """Serves the bundled provider's discovery document with `token_endpoint_auth_methods_supported`
    replaced, and refuses (401 `invalid_client`) a token request authenticated otherwise."""

    def __init__(self, upstream: MockOAuthServer, supported: Any) -> None:
        super().__init__()
        self.upstream = upstream
        self.supported = supported
        self.used: list[str] = []
        self._token_endpoint = upstream.token_endpoint

    def get(self, path: str) -> Answer:
        doc = document_of(self.upstream.discovery_url)
        self._token_endpoint = doc["token_endpoint"]
        doc["token_endpoint"] = f"{self.url}/token"
        doc.pop("token_endpoint_auth_methods_supported", None)
        if self.supported is not _ABSENT:
            doc["token_endpoint_auth_methods_supported"] = self.supported
        return json_answer(doc)

    def post(self, path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        method = client_auth_method(headers, body)
        self.used.append(method)
        allowed = self.supported if isinstance(self.supported, list) else ["client_secret_basic"]
        if method not in allowed:
            return INVALID_CLIENT
        return forward(self._token_endpoint, headers, body)


@pytest.fixture
def upstream() -> Iterator[MockOAuthServer]:
    with MockOAuthServer() as server:
        yield server


def provider_announcing(upstream: MockOAuthServer, supported: Any) -> Iterator[EnforcingProvider]:
    proxy = EnforcingProvider(upstream, supported)
    try:
        yield proxy
    finally:
        proxy.close()


def log_in(upstream: MockOAuthServer, proxy: EnforcingProvider, **settings: Any) -> None:
    provider = OpenIDProvider(
        upstream.client_id,
        upstream.client_secret,
        "http://127.0.0.1:8550/oauth_callback",
        server_metadata_url=f"{proxy.url}/.well-known/openid-configuration",
        issuer=upstream.url,
        **settings,
    )
    service = AuthorizationService(provider, fetch_user=False, fetch_groups=False)
    url, state = service.get_authorization_data()
    redirect = upstream.authorize(url, user="alice")
    service.check_state(state)
    service.request_token_sync(redirect["code"])
    assert service.token is not None


def test_without_a_supported_list_the_client_authenticates_with_basic(
    upstream: MockOAuthServer,
) -> None:
    for proxy in provider_announcing(upstream, _ABSENT):
        log_in(upstream, proxy)
        assert proxy.used == ["client_secret_basic"]


def test_basic_is_chosen_when_the_provider_lists_it(upstream: MockOAuthServer) -> None:
    for proxy in provider_announcing(upstream, ["client_secret_post", "client_secret_basic"]):
        log_in(upstream, proxy)
        assert proxy.used == ["client_secret_basic"]


def test_post_is_chosen_when_the_provider_lists_only_post(upstream: MockOAuthServer) -> None:
    for proxy in provider_announcing(upstream, ["client_secret_post"]):
        log_in(upstream, proxy)
        assert proxy.used == ["client_secret_post"]


def test_an_explicit_method_wins_over_the_metadata(upstream: MockOAuthServer) -> None:
    for proxy in provider_announcing(upstream, ["client_secret_post"]):
        with pytest.raises(OAuthError, match="invalid_client"):
            log_in(upstream, proxy, token_endpoint_auth_method="client_secret_basic")
        assert proxy.used == ["client_secret_basic"]


def test_a_provider_with_only_private_key_jwt_is_a_configuration_error(
    upstream: MockOAuthServer,
) -> None:
    for proxy in provider_announcing(upstream, ["private_key_jwt"]):
        with pytest.raises(ConfigurationError, match="private_key_jwt"):
            log_in(upstream, proxy)
        assert proxy.used == []


EC_KEY = ECKey.generate_key("P-256").as_dict(private=True)


def test_private_key_jwt_is_chosen_when_listed_and_the_app_gave_a_client_key(
    upstream: MockOAuthServer,
) -> None:
    for proxy in provider_announcing(upstream, ["client_secret_basic", "private_key_jwt"]):
        # The bundled provider does not know the key: the choice is what is checked.
        with pytest.raises(OAuthError, match="invalid_client"):
            log_in(upstream, proxy, client_key=EC_KEY)
        assert proxy.used == ["private_key_jwt"]


def test_a_client_key_is_not_used_when_the_provider_does_not_list_private_key_jwt(
    upstream: MockOAuthServer,
) -> None:
    for proxy in provider_announcing(upstream, ["client_secret_post", "client_secret_basic"]):
        log_in(upstream, proxy, client_key=EC_KEY)
        assert proxy.used == ["client_secret_basic"]


def test_the_flet_oauth_provider_keeps_client_secret_post() -> None:
    provider = OAuthProvider("id", "secret", "https://idp.invalid/a", "https://idp.invalid/t", "")
    assert provider.token_endpoint_auth_method == "client_secret_post"


def fetch_client_credentials(upstream: MockOAuthServer, proxy: EnforcingProvider) -> None:
    provider = OpenIDProvider(
        upstream.client_id,
        upstream.client_secret,
        "http://127.0.0.1:8550/oauth_callback",
        server_metadata_url=f"{proxy.url}/.well-known/openid-configuration",
        issuer=upstream.url,
    )
    assert ClientCredentialsService(provider).get_token_sync().access_token


def test_client_credentials_use_basic_when_the_provider_lists_it(
    upstream: MockOAuthServer,
) -> None:
    for proxy in provider_announcing(upstream, ["client_secret_post", "client_secret_basic"]):
        fetch_client_credentials(upstream, proxy)
        assert proxy.used == ["client_secret_basic"]


def test_client_credentials_use_post_when_the_provider_lists_only_post(
    upstream: MockOAuthServer,
) -> None:
    for proxy in provider_announcing(upstream, ["client_secret_post"]):
        fetch_client_credentials(upstream, proxy)
        assert proxy.used == ["client_secret_post"]
