"""The revocation endpoint's client authentication is chosen for that endpoint (RFC 8414 §2
`revocation_endpoint_auth_methods_supported`, or `revocation_endpoint_auth_method=`), not
copied from the token endpoint's: against the bundled provider behind a loopback HTTP proxy
that announces the lists and refuses (401 `invalid_client`) a revocation authenticated
otherwise."""

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from flet_auth import (
    AuthorizationService,
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
REDIRECT_URL = "http://127.0.0.1:8550/oauth_callback"


class RevocationProxy(JSONServer):
    """Serves the bundled provider's discovery document with its revocation endpoint here,
    `token_endpoint_auth_methods_supported` set to `token_methods` and
    `revocation_endpoint_auth_methods_supported` to `revocation_methods` (or removed), and
    passes to the provider only a revocation authenticated by one of `accepted`."""

    def __init__(
        self,
        upstream: MockOAuthServer,
        token_methods: list[str],
        revocation_methods: Any,
        accepted: list[str],
    ) -> None:
        super().__init__()
        self.upstream = upstream
        self.token_methods = token_methods
        self.revocation_methods = revocation_methods
        self.accepted = accepted
        self.used: list[str] = []
        self.discovery_url = f"{self.url}/.well-known/openid-configuration"
        self.revocation_endpoint = f"{self.url}/revoke"

    def get(self, path: str) -> Answer:
        doc = document_of(self.upstream.discovery_url)
        doc["revocation_endpoint"] = self.revocation_endpoint
        doc["token_endpoint_auth_methods_supported"] = self.token_methods
        doc.pop("revocation_endpoint_auth_methods_supported", None)
        if self.revocation_methods is not _ABSENT:
            doc["revocation_endpoint_auth_methods_supported"] = self.revocation_methods
        return json_answer(doc)

    def post(self, path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        used = client_auth_method(headers, body)
        self.used.append(used)
        if used not in self.accepted:
            return INVALID_CLIENT
        return forward(f"{self.upstream.url}/revoke", headers, body)


@pytest.fixture
def upstream() -> Iterator[MockOAuthServer]:
    with MockOAuthServer() as server:
        yield server


def proxy(
    upstream: MockOAuthServer, revocation_methods: Any, accepted: list[str]
) -> Iterator[RevocationProxy]:
    """The proxy; its token endpoint lists only `client_secret_post`."""
    p = RevocationProxy(upstream, ["client_secret_post"], revocation_methods, accepted)
    try:
        yield p
    finally:
        p.close()


def logged_in(upstream: MockOAuthServer, provider: Any) -> AuthorizationService:
    service = AuthorizationService(provider, fetch_user=False, fetch_groups=False)
    url, state = service.get_authorization_data()
    redirect = upstream.authorize(url, user="alice")
    service.check_state(state)
    service.request_token_sync(redirect["code"])
    assert service.current_token is not None
    return service


def openid(upstream: MockOAuthServer, p: RevocationProxy, **settings: Any) -> OpenIDProvider:
    return OpenIDProvider(
        upstream.client_id,
        upstream.client_secret,
        REDIRECT_URL,
        server_metadata_url=p.discovery_url,
        issuer=upstream.url,
        **settings,
    )


def test_a_revocation_endpoint_listing_only_basic_is_called_with_basic(
    upstream: MockOAuthServer,
) -> None:
    for p in proxy(upstream, ["client_secret_basic"], accepted=["client_secret_basic"]):
        service = logged_in(upstream, openid(upstream, p))  # the token endpoint lists only post
        service.revoke_sync()
        assert p.used == ["client_secret_basic", "client_secret_basic"]
        assert upstream.count("revoke") == 2 and service.current_token is None


def test_without_a_revocation_list_the_token_endpoints_method_is_used(
    upstream: MockOAuthServer,
) -> None:
    for p in proxy(upstream, _ABSENT, accepted=["client_secret_post"]):
        logged_in(upstream, openid(upstream, p)).revoke_sync()
        assert p.used == ["client_secret_post", "client_secret_post"]


def test_an_explicit_revocation_endpoint_auth_method_wins_over_the_metadata(
    upstream: MockOAuthServer,
) -> None:
    for p in proxy(upstream, ["client_secret_basic"], accepted=["client_secret_basic"]):
        provider = openid(upstream, p, revocation_endpoint_auth_method="client_secret_post")
        service = logged_in(upstream, provider)
        with pytest.raises(OAuthError, match="invalid_client"):
            service.revoke_sync()
        assert p.used == ["client_secret_post"]


def test_a_revocation_endpoint_with_only_private_key_jwt_is_a_configuration_error(
    upstream: MockOAuthServer,
) -> None:
    for p in proxy(upstream, ["private_key_jwt"], accepted=[]):
        service = logged_in(upstream, openid(upstream, p))
        with pytest.raises(ConfigurationError, match="private_key_jwt"):
            service.revoke_sync()
        assert p.used == []


def test_the_flet_oauth_provider_takes_a_revocation_endpoint_auth_method(
    upstream: MockOAuthServer,
) -> None:
    for p in proxy(upstream, _ABSENT, accepted=["client_secret_basic"]):
        provider = upstream.provider(revocation_endpoint_auth_method="client_secret_basic")
        provider.revocation_endpoint = p.revocation_endpoint  # type: ignore[attr-defined]
        assert provider.token_endpoint_auth_method == "client_secret_post"
        logged_in(upstream, provider).revoke_sync()
        assert p.used == ["client_secret_basic", "client_secret_basic"]


def test_an_unknown_revocation_endpoint_auth_method_is_refused_by_name() -> None:
    provider = OAuthProvider(
        "id",
        "secret",
        "https://idp.invalid/a",
        "https://idp.invalid/t",
        REDIRECT_URL,
        revocation_endpoint_auth_method="tls_client_auth",
    )
    with pytest.raises(ConfigurationError, match="revocation_endpoint_auth_method"):
        AuthorizationService(provider, fetch_user=False, fetch_groups=False)


def test_private_key_jwt_at_the_revocation_endpoint_without_a_client_key_is_refused() -> None:
    provider = OAuthProvider(
        "id",
        "secret",
        "https://idp.invalid/a",
        "https://idp.invalid/t",
        REDIRECT_URL,
        revocation_endpoint_auth_method="private_key_jwt",
    )
    with pytest.raises(ConfigurationError, match=r"revocation_endpoint_auth_method.*client_key"):
        AuthorizationService(provider, fetch_user=False, fetch_groups=False)
