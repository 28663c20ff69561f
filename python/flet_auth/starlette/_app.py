"""What the Starlette layer keeps per app (its settings, `AsyncLoginStore`, providers) and
per request (the browser's session and login), and the `ClientContext` its providers read."""

from collections.abc import Mapping, MutableMapping
from typing import Any, Optional

from starlette.requests import HTTPConnection

from flet_auth._core import ConfigurationError
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.starlette._config import AppConfig
from flet_auth.starlette._cookie import SCOPE_KEY, CookieSession, connection
from flet_auth.web.async_browser_login import AsyncBrowserLogin
from flet_auth.web.async_login_store import AsyncLoginStore
from flet_auth.web.clients import WebClient

__all__ = [
    "CALLBACK_ROUTE",
    "LOGIN_ROUTE",
    "LOGOUT_ROUTE",
    "AppState",
    "StarletteContext",
    "reload_request_login",
    "request_login",
    "session_of",
]

LOGIN_ROUTE, CALLBACK_ROUTE, LOGOUT_ROUTE = (
    "flet_auth.login",
    "flet_auth.callback",
    "flet_auth.logout",
)
"""The names of the built-in routes (for `request.url_for`)."""
_LOGIN_KEY = "flet_auth.login"  # where the request's AsyncBrowserLogin is kept in the scope


class AppState:
    """One app's settings (`config`), logins, registered `clients` and the providers built
    for them."""

    def __init__(
        self, config: AppConfig, logins: AsyncLoginStore, clients: Mapping[str, WebClient]
    ) -> None:
        self.config = config
        self.logins = logins
        self.clients = clients
        self.providers: dict[str, OAuthProvider] = {}
        self.redirect_host_warned = False
        """Whether the warning of a redirect_uri built from the Host header was logged."""


def session_of(request: HTTPConnection) -> CookieSession:
    """The browser's session of `request` (put there by the middleware `init_app` adds)."""
    session = request.scope.get(SCOPE_KEY)
    if not isinstance(session, CookieSession):
        raise ConfigurationError("this app has no FletAuth: call FletAuth(app) or init_app(app)")
    return session


def request_login(state: AppState, request: HTTPConnection) -> AsyncBrowserLogin:
    """The login of the request's browser (one object per request; `await .load()` reads)."""
    login = request.scope.get(_LOGIN_KEY)
    if not isinstance(login, AsyncBrowserLogin):
        login = AsyncBrowserLogin(state.logins, session_of(request), state.clients)
        request.scope[_LOGIN_KEY] = login
    return login


def reload_request_login(request: HTTPConnection) -> None:
    """Makes the request read its login again (after a login changed it)."""
    request.scope.pop(_LOGIN_KEY, None)


class StarletteContext:
    """The `ClientContext` of the Starlette layer: the app's settings and providers, and the
    URL of its built-in callback route for the request being handled."""

    def __init__(self, state: AppState) -> None:
        self._state = state

    @property
    def config(self) -> Mapping[str, Any]:
        """The app's settings."""
        return self._state.config

    @property
    def providers(self) -> MutableMapping[str, OAuthProvider]:
        """The providers built for the app."""
        return self._state.providers

    def callback_url(self, name: str) -> str:
        """The absolute URL of `/login/{name}/callback` on the request's host."""
        current: Optional[HTTPConnection] = connection()
        if current is None:
            raise ConfigurationError(
                f"no request to build the redirect URI from: set {name.upper()}_REDIRECT_URI"
            )
        return str(current.url_for(CALLBACK_ROUTE, name=name))
