"""What the Flask layer keeps per app (its `LoginStore` and providers) and per request (the
browser's login), and the `ClientContext` its registered providers read."""

import threading
from collections.abc import Mapping, MutableMapping
from typing import Any, Optional

from flask import Flask, current_app, g, has_request_context, session, url_for

from flet_auth._core import ConfigurationError
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.web.browser_login import BrowserLogin
from flet_auth.web.clients import WebClient
from flet_auth.web.login_store import LoginStore
from flet_auth.web.session import Regenerate
from flet_auth.web.settings import open_logins

__all__ = [
    "EXTENSION",
    "AppState",
    "FlaskContext",
    "app_state",
    "reload_request_login",
    "request_app_state",
    "request_login",
    "session_regenerator",
]

EXTENSION = "flet_auth"
"""The key of the app's state in `app.extensions` and the name of the routes' blueprint."""
_REQUEST_LOGIN = "_flet_auth"  # the name of the request's BrowserLogin in flask.g


class AppState:
    """One Flask app's logins (opened on first use: the config may be completed after
    `init_app`), the providers built for it, and the registered `clients`."""

    def __init__(self, app: Flask, clients: Mapping[str, WebClient], store: object) -> None:
        self.app = app
        self.clients = clients
        self.providers: dict[str, OAuthProvider] = {}
        self._store = store
        self._logins: Optional[LoginStore] = None
        self._lock = threading.Lock()
        self.redirect_host_warned = False
        """Whether the warning of a redirect_uri built from the Host header was logged."""

    @property
    def logins(self) -> LoginStore:
        """The login store: `store`, else `FLET_AUTH_STORE`, else SQLite in the instance
        folder."""
        if self._logins is None:
            with self._lock:
                if self._logins is None:
                    default = f"{self.app.instance_path}/flet_auth.sqlite3"
                    self._logins = open_logins(self.app.config, self._store, default)
        return self._logins


def app_state() -> AppState:
    """The state of the app being served."""
    state = current_app.extensions.get(EXTENSION)
    if not isinstance(state, AppState):
        raise ConfigurationError("this Flask app has no FletAuth: call FletAuth(app) first")
    return state


def request_app_state() -> AppState:
    """The state of the app serving the request being handled; a RuntimeError outside one."""
    if not has_request_context():
        raise RuntimeError("current_auth is only available while handling a request")
    return app_state()


def request_login() -> BrowserLogin:
    """The login of the request's browser (read once per request)."""
    if not has_request_context():
        raise RuntimeError("current_auth is only available while handling a request")
    login = g.get(_REQUEST_LOGIN)
    if not isinstance(login, BrowserLogin):
        state = app_state()
        login = BrowserLogin(state.logins, session, state.clients)
        g.setdefault(_REQUEST_LOGIN, login)
    return login


def session_regenerator() -> Optional[Regenerate]:
    """What gives the request's session a new id at login: the session interface's
    `regenerate(session)` (Flask-Session's server-side sessions), or None when it has none
    (Flask's signed cookie is rewritten whole once cleared)."""
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if not callable(regenerate):
        return None
    live = session._get_current_object()  # type: ignore[attr-defined]
    return lambda: regenerate(live)


def reload_request_login() -> None:
    """Makes the request read its login again (after a login changed it)."""
    g.pop(_REQUEST_LOGIN, None)


class FlaskContext:
    """The `ClientContext` of Flask: the current app's config and providers, and its
    built-in callback route."""

    @property
    def config(self) -> Mapping[str, Any]:
        """`current_app.config`."""
        return current_app.config

    @property
    def providers(self) -> MutableMapping[str, OAuthProvider]:
        """The providers built for the current app."""
        return app_state().providers

    def callback_url(self, name: str) -> str:
        """The absolute URL of `/login/<name>/callback`."""
        return url_for(f"{EXTENSION}.callback", name=name, _external=True)
