"""The revocation endpoint's client authentication is chosen for that endpoint (RFC 8414 §2
`revocation_endpoint_auth_methods_supported`, or `revocation_endpoint_auth_method=`), not
copied from the token endpoint's: against the bundled provider behind a loopback HTTP proxy
that announces the lists and refuses (401 `invalid_client`) a revocation authenticated
otherwise."""

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from flet_auth import (
    AuthorizationService,
    ConfigurationError,
    OAuthError,
    OAuthProvider,
    OpenIDProvider,
)
from flet_auth.testing import MockOAuthServer

_ABSENT = object()
REDIRECT_URL = "http://127.0.0.1:8550/oauth_callback"


class RevocationProxy:
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
        self.upstream = upstream
        self.token_methods = token_methods
        self.revocation_methods = revocation_methods
        self.accepted = accepted
        self.used: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.discovery_url = f"{self.url}/.well-known/openid-configuration"
        self.revocation_endpoint = f"{self.url}/revoke"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _document(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.upstream.discovery_url, timeout=10) as answer:
            doc: dict[str, Any] = json.loads(answer.read())
        doc["revocation_endpoint"] = self.revocation_endpoint
        doc["token_endpoint_auth_methods_supported"] = self.token_methods
        doc.pop("revocation_endpoint_auth_methods_supported", None)
        if self.revocation_methods is not _ABSENT:
            doc["revocation_endpoint_auth_methods_supported"] = self.revocation_methods
        return doc

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._send(200, json.dumps(outer._document()).encode())

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                basic = self.headers.get("Authorization", "").startswith("Basic ")
                post = "client_secret" in parse_qs(body.decode())
                method = {(True, False): "client_secret_basic", (False, True): "client_secret_post"}
                used = method.get((basic, post), "mixed")
                outer.used.append(used)
                if used not in outer.accepted:
                    self._send(401, b'{"error": "invalid_client"}')
                    return
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("authorization", "content-type", "accept")
                }
                request = urllib.request.Request(
                    f"{outer.upstream.url}/revoke", data=body, headers=headers, method="POST"
                )
                with urllib.request.urlopen(request, timeout=10) as answer:
                    self._send(answer.status, answer.read())

        return Handler


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
        revocation_endpoint_auth_method="private_key_jwt",
    )
    with pytest.raises(ConfigurationError, match="revocation_endpoint_auth_method"):
        AuthorizationService(provider, fetch_user=False, fetch_groups=False)
