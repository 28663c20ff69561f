"""`FletAuth`: the Flask extension, its routes and its registry of providers."""

import hmac
from typing import Any, Optional, Union, cast

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from flet_auth._core import (
    AuthError,
    ConfigurationError,
)
from flet_auth.flask._common import (
    _EXTENSION,
    _PROVIDER_UNREACHABLE,
    _SESSION_CSRF,
    AuthEvent,
    LoginHandler,
    _AppState,
    _error_page,
    _failure_event,
    _failure_status,
    _home,
    _provider_unavailable,
    _store_unavailable,
    logger,
    safe_next,
)
from flet_auth.flask.client import (
    _SETTINGS,
    FlaskOAuthClient,
)
from flet_auth.flask.current import (
    _current_auth,
    current_auth,
)
from flet_auth.flask.store import (
    SQLiteStore,
    StoreUnavailableError,
    TokenStore,
    open_store,
)
from flet_auth.oauth_provider import OAuthProvider


class FletAuth:
    """The Flask extension: `FletAuth(app)`, or `auth = FletAuth()` then `auth.init_app(app)`.

    `store` is a store object or URL (default: `FLET_AUTH_STORE`, else a SQLite file in the
    app's instance folder); `url_prefix` prefixes the built-in routes (default:
    `FLET_AUTH_URL_PREFIX`, else none). Other settings: `FLET_AUTH_SECRET_KEY` (default
    `SECRET_KEY`), `FLET_AUTH_LOGIN_TTL` (seconds), `FLET_AUTH_LOGIN_VIEW` (the endpoint
    `login_required` sends browsers to; default: the first registered provider's login).
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
        self._handlers: dict[str, list[LoginHandler]] = {"login": [], "logout": []}
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Sets the extension up on `app`: routes, the 503 page of an unreachable store, and
        `current_auth` in templates."""
        if not isinstance(app, Flask):
            raise ConfigurationError("init_app needs a Flask app")
        if _EXTENSION in app.extensions:
            raise ConfigurationError("FletAuth is already set up on this app")
        prefix = self._url_prefix
        if prefix is None:
            prefix = app.config.get("FLET_AUTH_URL_PREFIX", "")
        if not isinstance(prefix, str) or (prefix and not prefix.startswith("/")):
            raise ConfigurationError("the URL prefix must be empty or start with /")
        app.extensions[_EXTENSION] = _AppState(self, app)
        routes = Blueprint(_EXTENSION, __name__, url_prefix=prefix.rstrip("/") or None)
        routes.add_url_rule("/login/<name>", "login", self._login_view, methods=["GET"])
        routes.add_url_rule(
            "/login/<name>/callback", "callback", self._callback_view, methods=["GET", "POST"]
        )
        routes.add_url_rule("/logout", "logout", self._logout_view, methods=["POST"])
        app.register_blueprint(routes)
        app.register_error_handler(StoreUnavailableError, _store_unavailable)
        app.context_processor(lambda: {"current_auth": current_auth})

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
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise ConfigurationError(f"{name!r} is not a valid provider name (use letters, _)")
        if hasattr(type(self), name):
            raise ConfigurationError(f"{name!r} is a name of FletAuth itself; choose another")
        if name in self._clients:
            raise ConfigurationError(f"a provider named {name!r} is already registered")
        if provider is not None and not (
            hasattr(provider, "client_id") and hasattr(provider, "authorization_endpoint")
        ):
            raise ConfigurationError("provider must be an OAuthProvider (or look like one)")
        if provider is not None and settings.keys() - {"fetch_user", "fetch_groups", "scope"}:
            raise ConfigurationError(
                "with a provider object, only fetch_user, fetch_groups and scope may be given"
            )
        unknown = sorted(set(settings) - set(_SETTINGS))
        if unknown:
            raise ConfigurationError(f"unknown settings {unknown}; known: {list(_SETTINGS)}")
        client = FlaskOAuthClient(self, name, provider, dict(settings), overwrite)
        self._clients[name] = client
        return client

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
        self._handlers["login"].append(handler)
        return handler

    def on_logout(self, handler: LoginHandler) -> LoginHandler:
        """Decorator: `handler(event)` runs after a logout; `event.user` is who logged out.
        In the built-in route a handler may return a response to send instead."""
        self._handlers["logout"].append(handler)
        return handler

    def _fire(self, kind: str, event: AuthEvent) -> Optional[ResponseReturnValue]:
        answer: Optional[ResponseReturnValue] = None
        for handler in self._handlers[kind]:
            result = handler(event)
            if result is not None and answer is None:
                answer = result
        return answer

    def _make_store(self, app: Flask) -> TokenStore:
        store = self._store if self._store is not None else app.config.get("FLET_AUTH_STORE")
        if store is None:
            return SQLiteStore(f"{app.instance_path}/flet_auth.sqlite3")
        if isinstance(store, str):
            return open_store(store)
        needed = ("get", "set", "pop", "delete", "acquire", "release", "locked")
        if all(callable(getattr(store, m, None)) for m in needed):
            return cast(TokenStore, store)
        raise ConfigurationError("FLET_AUTH_STORE must be a URL or a store object")

    def logout(self, post_logout_redirect_uri: Optional[str] = None) -> Optional[str]:
        """Logs the current user out: revokes the tokens at the provider (RFC 7009, when it
        has a `revocation_endpoint`), forgets the login and runs `on_logout` handlers.

        Returns the provider's end-session URL (OpenID Connect RP-initiated logout, with
        `id_token_hint`) to redirect the browser to, or None. `post_logout_redirect_uri`
        defaults to `{NAME}_POST_LOGOUT_REDIRECT_URI`, else the app's root URL.
        """
        return self._logout(post_logout_redirect_uri)[0]

    def _logout(
        self, post_logout_redirect_uri: Optional[str] = None
    ) -> tuple[Optional[str], Optional[ResponseReturnValue]]:
        auth = _current_auth()
        login = auth._load()
        login_id = auth._login_id
        end_session: Optional[str] = None
        client = self._clients.get(login.client) if login is not None else None
        if login is not None and client is not None:
            service = client._service(load_user=False)
            service.load_token(login.token_json)
            provider: Any = client.provider
            if getattr(provider, "end_session_endpoint", None):
                back = (
                    post_logout_redirect_uri
                    or client._setting("post_logout_redirect_uri")
                    or request.url_root
                )
                end_session = service.end_session_url(back)
            if getattr(provider, "revocation_endpoint", None):
                try:
                    service.revoke_sync()
                except AuthError as e:
                    logger.warning(
                        "flask: revoking the tokens failed (%s); the login is forgotten anyway",
                        type(e).__name__,
                    )
        if login_id is not None:
            auth._forget(login_id)
        session.pop(_SESSION_CSRF, None)
        if login is None:
            return None, None
        logger.info("flask: logout from %s", login.client)
        answer = self._fire("logout", AuthEvent(login.client, login.to_user(), name="logout"))
        return end_session, answer

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
        except _PROVIDER_UNREACHABLE as e:  # the discovery document could not be fetched
            logger.warning("flask: login with %s cannot start (%s)", name, type(e).__name__)
            return _provider_unavailable()

    def _callback_view(self, name: str) -> ResponseReturnValue:
        client = self._client(name)
        try:
            login, next_url = client._complete()
        except (StoreUnavailableError, ConfigurationError):
            raise
        except AuthError as e:
            status, title = _failure_status(e)
            logger.info("flask: login with %s failed (%s)", name, type(e).__name__)
            answer = self._fire("login", _failure_event(name, e))
            if answer is not None:
                return answer
            return _error_page(title, str(e), status)
        answer = self._fire("login", AuthEvent(name, login.to_user()))
        if answer is not None:
            return answer
        return redirect(safe_next(next_url) or _home(), code=302)

    def _logout_view(self) -> ResponseReturnValue:
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
        expected = session.get(_SESSION_CSRF)
        if not isinstance(expected, str) or not hmac.compare_digest(
            sent.encode(), expected.encode()
        ):
            return _error_page(
                "Forbidden", "The logout form's CSRF token is missing or wrong.", 403
            )
        end_session, answer = self._logout()
        if answer is not None:
            return answer
        return redirect(end_session or safe_next(request.form.get("next")) or _home(), code=302)

    def _login_url(self) -> str:
        view = current_app.config.get("FLET_AUTH_LOGIN_VIEW")
        here = request.full_path.rstrip("?") if request.query_string else request.path
        next_url = (request.script_root or "") + here
        if view:
            return url_for(view, next=next_url)
        if not self._clients:
            raise ConfigurationError("no provider is registered: call auth.register(...)")
        first = next(iter(self._clients))
        return url_for(f"{_EXTENSION}.login", name=first, next=next_url)

    def __repr__(self) -> str:
        return f"FletAuth(providers={list(self._clients)!r})"
