"""What the web-core tests share: the plain values a framework layer hands the core (its
config, its providers, its callback URL), a provider registered on the bundled server, and a
whole login through the core without any web framework."""

from collections.abc import MutableMapping
from typing import Any, Optional

from flet_auth.oauth_provider import OAuthProvider
from flet_auth.testing import MockOAuthServer
from flet_auth.web.clients import WebClient
from flet_auth.web.login_flow import CompletedLogin, complete_login, start_login
from flet_auth.web.login_store import LoginStore
from flet_auth.web.stores import TokenStore

SECRET_KEY = "test-secret-key-of-the-web-core"
CALLBACK = "http://127.0.0.1:5000/login/{name}/callback"


class AppContext:
    """The `ClientContext` of an app whose config is a dict (what a framework layer gives)."""

    def __init__(self, config: Optional[dict[str, Any]] = None) -> None:
        self.config: dict[str, Any] = config if config is not None else {}
        self.providers: dict[str, OAuthProvider] = {}

    def callback_url(self, name: str) -> str:
        return CALLBACK.format(name=name)


def mock_settings(server: MockOAuthServer) -> dict[str, Any]:
    """Authlib-named settings of plain OAuth 2.0 with the bundled provider."""
    return {
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "authorize_url": server.authorization_endpoint,
        "access_token_url": server.token_endpoint,
        "userinfo_endpoint": server.userinfo_endpoint,
        "revocation_endpoint": f"{server.url}/revoke",
        "client_kwargs": {"scope": "openid profile email"},
    }


def mock_client(
    server: MockOAuthServer, context: Optional[AppContext] = None, **settings: Any
) -> WebClient:
    """The bundled provider registered as `mock` from its settings (`settings` added)."""
    return WebClient(
        "mock",
        None,
        {**mock_settings(server), **settings},
        overwrite=False,
        context=context or AppContext(),
    )


def login_store(store: TokenStore, **kwargs: Any) -> LoginStore:
    """The logins of a test app in `store`."""
    kwargs.setdefault("prefix", "flet_auth:")
    kwargs.setdefault("login_ttl", 3600.0)
    return LoginStore(store, SECRET_KEY, **kwargs)


def log_in(
    logins: LoginStore,
    client: WebClient,
    server: MockOAuthServer,
    session: MutableMapping[str, Any],
    *,
    user: str = "alice",
    next_url: Optional[str] = None,
) -> CompletedLogin:
    """A whole login through the core: authorization request, consent, redirect back."""
    url = start_login(
        logins, client, session, redirect_uri=client.default_redirect_uri(), next_url=next_url
    )
    return complete_login(logins, client, session, server.authorize(url, user=user))
