"""`FletAuth`: the Flask extension, its routes and its registry of providers."""

import logging
from typing import Any, Callable, Optional, Union, cast

from flask import Blueprint, Flask, abort, redirect, request, session
from flask.typing import ResponseReturnValue

from flet_auth._core import AuthError, ConfigurationError
from flet_auth.flask import cookie_sessions
from flet_auth.flask._answers import error_response, home, store_unavailable
from flet_auth.flask._app import EXTENSION, AppState, request_login
from flet_auth.flask.client import FlaskOAuthClient
from flet_auth.flask.current import current_auth
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.web.clients import check_registration
from flet_auth.web.errors import (
    CSRF_REFUSED,
    PROVIDER_UNAVAILABLE,
    PROVIDER_UNREACHABLE,
    StoreUnavailableError,
    login_failure,
)
from flet_auth.web.events import AuthEvent, Handlers, failure_event
from flet_auth.web.logout import log_out
from flet_auth.web.redirect_host import warn_unpinned_redirect_host
from flet_auth.web.redirects import safe_next
from flet_auth.web.session import csrf_valid
from flet_auth.web.stores.protocol import TokenStore

__all__ = ["FletAuth"]

logger = logging.getLogger("flet_auth.flask")

LoginHandler = Callable[[AuthEvent], Optional[ResponseReturnValue]]


class FletAuth:
    """The Flask extension: `FletAuth(app)`, or `auth = FletAuth()` then `auth.init_app(app)`.

    `store` is a store object or URL (default: `FLET_AUTH_STORE`, else a SQLite file in the
    app's instance folder); `url_prefix` prefixes the built-in routes (default:
    `FLET_AUTH_URL_PREFIX`, else none). Other settings: `FLET_AUTH_SECRET_KEY` (default
    `SECRET_KEY`), `FLET_AUTH_LOGIN_TTL` (seconds), `FLET_AUTH_LOGIN_VIEW` (the endpoint
    `login_required` sends browsers to; default: the first registered provider's login),
    `FLET_AUTH_SESSION_CACHE` (False keeps Flask's session interface, which verifies the
    session cookie's signature on every request, not once per worker).
    """

    def __init__(
        self,
        app: Optional[Flask] = None,
        *,
        store: Union[TokenStore, str, None] = None,
        url_prefix: Optional[str] = None,
    ) -> None:
        self._clients: dict[str, FlaskOAuthClient] = {}
        self._store = store
        self._url_prefix = url_prefix
        self._handlers = Handlers()
        self._apps: list[Flask] = []
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Sets the extension up on `app`: routes, the 503 page of an unreachable store, and
        `current_auth` in templates."""
        if not isinstance(app, Flask):
            raise ConfigurationError("init_app needs a Flask app")
        if EXTENSION in app.extensions:
            raise ConfigurationError("FletAuth is already set up on this app")
        prefix = self._url_prefix
        if prefix is None:
            prefix = app.config.get("FLET_AUTH_URL_PREFIX", "")
        if not isinstance(prefix, str) or (prefix and not prefix.startswith("/")):
            raise ConfigurationError("the URL prefix must be empty or start with /")
        with app.app_context():
            for client in self._clients.values():
                client.check_settings()
        cookie_sessions.install(app)
        app.extensions[EXTENSION] = AppState(app, self._clients, self._store)
        routes = Blueprint(EXTENSION, __name__, url_prefix=prefix.rstrip("/") or None)
        routes.add_url_rule("/login/<name>", "login", self._login_view, methods=["GET"])
        routes.add_url_rule(
            "/login/<name>/callback", "callback", self._callback_view, methods=["GET", "POST"]
        )
        routes.add_url_rule("/logout", "logout", self._logout_view, methods=["POST"])
        app.register_blueprint(routes)
        app.register_error_handler(StoreUnavailableError, store_unavailable)
        app.context_processor(lambda: {"current_auth": current_auth})
        self._apps.append(app)
        self._check_redirect_host(app)

    def register(
        self,
        name: str,
        provider: Optional[OAuthProvider] = None,
        *,
        overwrite: bool = False,
        **settings: Any,
    ) -> FlaskOAuthClient:
        """Registers a provider as `auth.<name>`; returns its client.

        Give a provider object (`GitHubOAuthProvider(...)`, `OpenIDProvider(...)`), or settings
        as keywords or in the app config as `{NAME}_{KEY}`: `CLIENT_ID`, `CLIENT_SECRET`, and
        `SERVER_METADATA_URL` (OpenID Connect), or `AUTHORIZE_URL`, `ACCESS_TOKEN_URL` and
        `USERINFO_ENDPOINT` (OAuth 2.0); the names github, google, azure and auth0 need only
        the client's credentials. Also `CLIENT_KWARGS` (`{"scope": "openid offline_access"}`),
        `SCOPE`, `REVOCATION_ENDPOINT`, `END_SESSION_ENDPOINT`, `REDIRECT_URI`,
        `POST_LOGOUT_REDIRECT_URI`, `FETCH_USER`, `FETCH_GROUPS`, `TIMEOUT`... Keywords win over
        the config unless `overwrite=True`.
        """
        check_registration(type(self), self._clients, name, provider, settings)
        client = FlaskOAuthClient(
            name, provider, settings, overwrite=overwrite, handlers=self._handlers
        )
        for app in self._apps:
            with app.app_context():
                client.check_settings()
        self._clients[name] = client
        for app in self._apps:
            self._check_redirect_host(app)
        return client

    def _check_redirect_host(self, app: Flask) -> None:
        # Once per app: the first time a provider's redirect_uri would follow the Host header.
        state = app.extensions[EXTENSION]
        if state.redirect_host_warned or app.config.get("SERVER_NAME"):
            return
        if app.config.get("TRUSTED_HOSTS"):
            return
        with app.app_context():
            unpinned = [n for n, c in self._clients.items() if not c.setting("redirect_uri")]
        pins = ", ".join(f"{n.upper()}_REDIRECT_URI" for n in sorted(unpinned))
        how = f"{pins}, SERVER_NAME or TRUSTED_HOSTS (see the README's Flask section)"
        state.redirect_host_warned = warn_unpinned_redirect_host(unpinned, how)

    def __getattr__(self, name: str) -> FlaskOAuthClient:
        if not name.startswith("_"):
            client = self.__dict__.get("_clients", {}).get(name)
            if client is not None:
                return cast(FlaskOAuthClient, client)
        raise AttributeError(f"no provider named {name!r} is registered")

    def on_login(self, handler: LoginHandler) -> LoginHandler:
        """Decorator: `handler(event)` runs at the end of every login, successful
        (`event.error == ""`, `current_auth.user` is set) or not. In the built-in routes a
        handler may return a response to send instead of the default one."""
        return self._handlers.add("login", handler)

    def on_logout(self, handler: LoginHandler) -> LoginHandler:
        """Decorator: `handler(event)` runs after a logout; `event.user` is who logged out,
        `event.revocation_error` why revoking the tokens failed (None when they were revoked
        or the provider has no revocation endpoint). In the built-in route a handler may
        return a response to send instead."""
        return self._handlers.add("logout", handler)

    def logout(self, post_logout_redirect_uri: Optional[str] = None) -> Optional[str]:
        """Logs the current user out: revokes the tokens at the provider (RFC 7009, when it
        has a revocation endpoint), forgets the login and runs `on_logout` handlers (a failed
        revocation is their event's `revocation_error`).

        Returns the provider's end-session URL (OpenID Connect RP-initiated logout, with
        `id_token_hint`) to redirect the browser to, or None. `post_logout_redirect_uri`
        defaults to `{NAME}_POST_LOGOUT_REDIRECT_URI`, else the app's root URL.
        """
        return self._logout(post_logout_redirect_uri)[0]

    def _logout(
        self, post_logout_redirect_uri: Optional[str] = None
    ) -> tuple[Optional[str], Optional[ResponseReturnValue]]:
        done = log_out(request_login(), post_logout_redirect_uri, request.url_root)
        if done.login is None:
            return None, None
        logger.info("flask: logout from %s", done.login.client)
        event = AuthEvent(
            done.login.client,
            done.login.to_user(),
            name="logout",
            revocation_error=done.revocation_error,
        )
        return done.end_session_url, self._handlers.fire(event)

    # -- built-in routes ---------------------------------------------------------------------

    def _client(self, name: str) -> FlaskOAuthClient:
        client = self._clients.get(name)
        if client is None:
            abort(404)
        return client

    def _login_view(self, name: str) -> ResponseReturnValue:
        client = self._client(name)
        try:
            return client.authorize_redirect(next_url=safe_next(request.args.get("next")))
        except PROVIDER_UNREACHABLE as e:  # the discovery document could not be fetched
            logger.warning("flask: login with %s cannot start (%s: %s)", name, type(e).__name__, e)
            return error_response(PROVIDER_UNAVAILABLE)

    def _callback_view(self, name: str) -> ResponseReturnValue:
        client = self._client(name)
        try:
            done = client.complete_login()
        except (StoreUnavailableError, ConfigurationError):
            raise
        except AuthError as e:
            logger.info("flask: login with %s failed (%s)", name, type(e).__name__)
            answer = self._handlers.fire(failure_event(name, e))
            return answer if answer is not None else error_response(login_failure(e))
        answer = self._handlers.fire(AuthEvent(name, done.login.to_user()))
        if answer is not None:
            return cast(ResponseReturnValue, answer)
        return redirect(safe_next(done.next_url) or home(), code=302)

    def _logout_view(self) -> ResponseReturnValue:
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
        if not csrf_valid(session, sent):
            return error_response(CSRF_REFUSED)
        end_session, answer = self._logout()
        if answer is not None:
            return answer
        return redirect(end_session or safe_next(request.form.get("next")) or home(), code=302)

    def __repr__(self) -> str:
        return f"FletAuth(providers={list(self._clients)!r})"
