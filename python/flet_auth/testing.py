"""A local OAuth 2.0 provider for tests and offline development.

Example::

    from flet_auth.testing import MockOAuthServer

    with MockOAuthServer() as server:
        service = AuthorizationService(server.provider(), fetch_user=True, fetch_groups=True)
        url, state = service.get_authorization_data()
        redirect = server.authorize(url, user="alice")
        service.request_token_sync(redirect["code"])

With pytest, the fixture `oauth_server` gives a running server (this module is a pytest
plugin). `python -m flet_auth.testing --port 9000` serves one by hand.
"""

import threading
from collections.abc import Iterator
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import urlopen

from flet_auth._core import MockServerCore
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.providers.github_oauth_provider import GitHubOAuthProvider
from flet_auth.providers.openid_provider import OpenIDProvider

__all__ = ["MockOAuthServer"]

DEFAULT_REDIRECT_URL = "http://127.0.0.1:8550/oauth_callback"


class MockOAuthServer(MockServerCore):
    """An OAuth 2.0 provider on 127.0.0.1, served by the Rust engine.

    Endpoints: `/authorize` (approves at once, or shows a login form with Allow and Deny when
    `login_form=True`), `/token` (authorization code with PKCE, refresh with rotation, the
    device code; client authentication post, basic or none), `/userinfo`, GitHub's `/user`,
    `/user/emails`, `/user/teams`, and RFC 8628's `/device_authorization` with its
    verification page `/device` (`approve_device()` and `deny_device()` decide as the user
    would; `device_interval` and `device_expires_in` are its `interval` and `expires_in`).
    `fail()` injects faults, `slow_down_device()` answers `slow_down`, `counts()` tells what
    was asked. Redirects carry `iss` and discovery announces it (RFC 9207) unless
    `authorization_response_iss_parameter_supported=False`; `forge_iss("wrong")` or
    `forge_iss("missing")` spoils the next one. `/par` takes pushed authorization requests
    (RFC 9126; `request_uri` valid `par_expires_in` seconds, once; `require_par=True` refuses
    requests that were not pushed, and discovery says so); `last_par_request()` is the form it
    received, `expire_par_requests()` makes the pushed ones expire. DPoP (RFC 9449): proofs are
    checked at `/token` and the resources, tokens are bound to the proof's key (`token_type`
    DPoP, `access_token_jkt()`), `require_dpop_nonce=True` asks for a nonce
    (`rotate_dpop_nonce()` changes it), and `last_dpop_proof()` is the last proof accepted,
    decoded.

    The confidential client authenticates with its secret unless `token_endpoint_auth_method`
    is `private_key_jwt` (give its public keys as `client_jwks`, a JWK Set or one JWK, RSA or
    EC P-256) or `client_secret_jwt` (HS256 with `client_secret`); then the token, revocation
    and device endpoints take only a JWT assertion (RFC 7523) with `iss` = `sub` = the client
    id, `aud` the token endpoint URL or the issuer, `exp` ahead by at most 300 s and a `jti`
    never used before, and answer `invalid_client` otherwise.
    """

    def __enter__(self) -> "MockOAuthServer":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.url}/authorize"

    @property
    def token_endpoint(self) -> str:
        return f"{self.url}/token"

    @property
    def userinfo_endpoint(self) -> str:
        return f"{self.url}/userinfo"

    @property
    def device_authorization_endpoint(self) -> str:
        return f"{self.url}/device_authorization"

    @property
    def pushed_authorization_request_endpoint(self) -> str:
        return f"{self.url}/par"

    def provider(
        self,
        redirect_url: str = DEFAULT_REDIRECT_URL,
        *,
        public: bool = False,
        **settings: Any,
    ) -> OAuthProvider:
        """An `OAuthProvider` for this server: the confidential client, or the public one.
        It knows the server's `issuer`, so a redirect with a wrong `iss` is refused (RFC 9207);
        pass `authorization_response_iss_parameter_supported=True` to refuse one without. It
        knows the `/par` endpoint and whether the server requires pushed requests (RFC 9126)."""
        settings.setdefault("scopes", ["openid", "profile", "email"])
        settings.setdefault("issuer", self.issuer)
        settings.setdefault("user_endpoint", self.userinfo_endpoint)
        settings.setdefault("user_id_fn", lambda u: u["sub"])
        settings.setdefault("device_authorization_endpoint", self.device_authorization_endpoint)
        settings.setdefault(
            "pushed_authorization_request_endpoint", self.pushed_authorization_request_endpoint
        )
        settings.setdefault("require_pushed_authorization_requests", self.require_par)
        if public:
            settings.setdefault("token_endpoint_auth_method", "none")
        elif self.token_endpoint_auth_method.endswith("_jwt"):
            settings.setdefault("token_endpoint_auth_method", self.token_endpoint_auth_method)
        return OAuthProvider(
            client_id=self.public_client_id if public else self.client_id,
            client_secret=None if public else self.client_secret,
            authorization_endpoint=self.authorization_endpoint,
            token_endpoint=self.token_endpoint,
            redirect_url=redirect_url,
            **settings,
        )

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def openid_provider(
        self, redirect_url: str = DEFAULT_REDIRECT_URL, *, public: bool = False, **settings: Any
    ) -> OpenIDProvider:
        """An `OpenIDProvider` configured from this server's discovery document."""
        return OpenIDProvider(
            self.public_client_id if public else self.client_id,
            None if public else self.client_secret,
            redirect_url,
            server_metadata_url=self.discovery_url,
            **settings,
        )

    def browser(self, user: Optional[str] = None, approve: bool = True) -> Callable[[str], None]:
        """An `on_open_authorization_url` for `AuthPage` that plays the user's browser: it
        consents at this server as `user` and follows the redirect to the app's listener."""

        def visit(url: str) -> None:
            sent = parse_qs(urlsplit(url).query)
            query = self.authorize(url, user=user, approve=approve)
            if "redirect_uri" in sent:
                callback = sent["redirect_uri"][0]
            else:  # a pushed request (RFC 9126): the redirect URI went in the POST
                callback = (self.last_par_request() or {}).get("redirect_uri", "")
            with urlopen(f"{callback}?{urlencode(query)}", timeout=10) as answer:
                answer.read()

        def open_url(url: str) -> None:
            threading.Thread(target=visit, args=(url,), daemon=True).start()

        return open_url

    def github_provider(
        self, redirect_url: str = DEFAULT_REDIRECT_URL, **settings: Any
    ) -> GitHubOAuthProvider:
        """A `GitHubOAuthProvider` whose web and API hosts are this server."""
        return GitHubOAuthProvider(
            client_id=self.client_id,
            client_secret=self.client_secret,
            redirect_url=redirect_url,
            base_url=self.url,
            api_base_url=self.url,
            **settings,
        )


try:
    import pytest
except ImportError:  # pragma: no cover - the plugin needs pytest, the module does not
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def oauth_server() -> Iterator[MockOAuthServer]:
        """A running `MockOAuthServer` on a free port, stopped after the test."""
        with MockOAuthServer() as server:
            yield server


def main(argv: Optional[list[str]] = None) -> None:
    """`python -m flet_auth.testing`: serve the mock provider until Ctrl-C."""
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="python -m flet_auth.testing", description=main.__doc__)
    parser.add_argument("--port", type=int, default=9000, help="port on 127.0.0.1 (0: any)")
    parser.add_argument("--login-form", action="store_true", help="show an Allow/Deny page")
    args = parser.parse_args(argv)
    with MockOAuthServer(args.port, login_form=args.login_form) as server:
        print(f"Mock OAuth provider on {server.url}")
        print(f"  authorization_endpoint {server.authorization_endpoint}")
        print(f"  token_endpoint         {server.token_endpoint}")
        print(f"  userinfo_endpoint      {server.userinfo_endpoint}")
        print(f"  device_authorization_endpoint {server.device_authorization_endpoint}")
        print(f"  pushed_authorization_request_endpoint {server.url}/par")
        print(f"  client_id {server.client_id}  client_secret {server.client_secret}")
        print(f"  public client_id {server.public_client_id}; users {', '.join(server.users)}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
