"""Login for Flask apps, with Authlib's names, that keeps working with several workers.

Example::

    from flask import Flask
    from flet_auth.flask import FletAuth, current_auth, login_required

    app = Flask(__name__)
    app.config.from_prefixed_env()   # FLASK_SECRET_KEY, FLASK_GITHUB_CLIENT_ID, ...
    auth = FletAuth(app)
    auth.register("github")          # GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET from the config

    @app.get("/")
    @login_required
    def home():
        return f"Hello {current_auth.user['login']}"

Routes come with it: `GET /login/<name>?next=/page`, the redirect endpoint
`/login/<name>/callback` and `POST /logout` (with `csrf_token`). Apps that write their own
routes call `auth.<name>.authorize_redirect(redirect_uri)` and
`auth.<name>.authorize_access_token()`, as with Authlib.

Tokens and users live server side, encrypted with `flet_auth.security` (key: `SECRET_KEY`, or
`FLET_AUTH_SECRET_KEY`), under an opaque id kept in Flask's signed session cookie: in a SQLite
file in the app's instance folder, or in Redis with `FLET_AUTH_STORE = "redis://..."`. A token
refreshed by one worker is seen by all, and when many requests find it expired at once a short
lock in the store lets exactly one of them refresh it while the others wait for the new one.
"""

import copy
import functools
import hmac
import logging
import secrets
import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from markupsafe import escape
from werkzeug.wrappers import Response as BaseResponse

from flet_auth._core import (
    AuthError,
    ConfigurationError,
    HTTPStatusError,
    IDTokenError,
    InvalidResponseError,
    OAuthError,
    OAuthToken,
    StateMismatchError,
    TransportError,
)
from flet_auth._core import TimeoutError as AuthTimeoutError
from flet_auth.authorization_service import AuthorizationService
from flet_auth.flask_store import (
    LoginStore,
    SQLiteStore,
    StoredLogin,
    StoreUnavailableError,
    TokenStore,
    open_store,
)

if TYPE_CHECKING:
    from flet_auth.authorization_service import _TokenUpdateHook
from flet_auth.login_event import LoginEvent
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.user import User

__all__ = [
    "AuthEvent",
    "CurrentAuth",
    "FlaskOAuthClient",
    "FletAuth",
    "StoreUnavailableError",
    "current_auth",
    "login_required",
]

logger = logging.getLogger("flet_auth.flask")

PENDING_LOGIN_TTL = 600.0
"""Seconds a login may take between `/login/<name>` and the redirect back (the engine's)."""
REFRESH_LEEWAY = 60.0
"""A token is refreshed this many seconds before it expires (the engine's)."""
DEFAULT_LOGIN_TTL = 30 * 24 * 3600.0
"""Seconds a login is kept in the store after its last write (`FLET_AUTH_LOGIN_TTL`)."""

_SESSION_LOGIN = "_flet_auth_login"
_SESSION_BROWSER = "_flet_auth_browser"
_SESSION_CSRF = "_flet_auth_csrf"
_EXTENSION = "flet_auth"
_LOCK_ROUNDS = 8

LoginHandler = Callable[["AuthEvent"], Optional[ResponseReturnValue]]
F = TypeVar("F", bound=Callable[..., Any])


class AuthEvent(LoginEvent):
    """What `on_login` and `on_logout` handlers receive: Flet's `LoginEvent` (`error` is empty
    on success, else the OAuth error code) plus `provider`, the registered name, and `user`."""

    def __init__(
        self,
        provider: str,
        user: Optional[User] = None,
        error: str = "",
        error_description: str = "",
        name: str = "login",
    ) -> None:
        super().__init__(error, error_description, name=name)
        self.provider = provider
        self.user = user

    def __repr__(self) -> str:
        return f"AuthEvent(name={self.name!r}, provider={self.provider!r}, error={self.error!r})"


# ---------------------------------------------------------------------------------------------
# Per app


class _AppState:
    """What one Flask app needs at run time: its logins and the providers built for it."""

    def __init__(self, ext: "FletAuth", app: Flask) -> None:
        self.ext = ext
        self.app = app
        self.providers: dict[str, OAuthProvider] = {}
        self._logins: Optional[LoginStore] = None
        self._lock = threading.Lock()

    @property
    def logins(self) -> LoginStore:
        """The login store, opened on first use (the config may be completed after init)."""
        if self._logins is None:
            with self._lock:
                if self._logins is None:
                    config = self.app.config
                    ttl = config.get("FLET_AUTH_LOGIN_TTL", DEFAULT_LOGIN_TTL)
                    if not isinstance(ttl, (int, float)) or isinstance(ttl, bool) or ttl <= 0:
                        raise ConfigurationError(
                            "FLET_AUTH_LOGIN_TTL must be a positive number of seconds"
                        )
                    self._logins = LoginStore(
                        self.ext._make_store(self.app),
                        _secret_key(self.app),
                        prefix=str(config.get("FLET_AUTH_KEY_PREFIX", "flet_auth:")),
                        login_ttl=float(ttl),
                    )
        return self._logins


def _secret_key(app: Flask) -> str:
    key = app.config.get("FLET_AUTH_SECRET_KEY") or app.config.get("SECRET_KEY")
    if isinstance(key, bytes):
        key = key.hex()
    if not isinstance(key, str) or not key:
        raise ConfigurationError(
            "set SECRET_KEY (or FLET_AUTH_SECRET_KEY): it encrypts the stored tokens"
        )
    return key


def _app_state() -> _AppState:
    state = current_app.extensions.get(_EXTENSION)
    if not isinstance(state, _AppState):
        raise ConfigurationError("this Flask app has no FletAuth: call FletAuth(app) first")
    return state


# ---------------------------------------------------------------------------------------------
# Small checks


def safe_next(value: Optional[str]) -> Optional[str]:
    """`value` when it is a same-site relative path (`/page?x=1`), else None.

    Absolute URLs, scheme-relative ones (`//evil.example`), backslashes and control characters
    are refused, so a `next` parameter can never send the browser to another site.
    """
    if not value or len(value) > 2048 or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def _home() -> str:
    return (request.script_root or "") + "/"


def _error_page(title: str, message: str, status: int) -> Response:
    body = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>"
        f'<p id="error">{escape(message)}</p><p><a href="{escape(_home())}">Home</a></p>'
        "</body></html>"
    )
    return Response(body, status=status, mimetype="text/html")


def _wants_json() -> bool:
    if request.is_json:
        return True
    accept = request.accept_mimetypes
    best = accept.best_match(["text/html", "application/json"])
    return best == "application/json" and accept[best] > accept["text/html"]


def _store_unavailable(error: StoreUnavailableError) -> ResponseReturnValue:
    logger.warning("login store unavailable: %s", error)
    message = "Sign-in is unavailable for a moment. Please try again shortly."
    if _wants_json():
        response = jsonify(error="temporarily_unavailable", error_description=message)
        response.status_code = 503
    else:
        response = _error_page("Service unavailable", message, 503)
    response.headers["Retry-After"] = "5"
    return response


_PROVIDER_UNREACHABLE = (TransportError, HTTPStatusError, InvalidResponseError)


def _provider_unavailable() -> ResponseReturnValue:
    message = "The sign-in provider cannot be reached. Please try again shortly."
    if _wants_json():
        response = jsonify(error="temporarily_unavailable", error_description=message)
        response.status_code = 502
        return response
    return _error_page("Sign-in provider unavailable", message, 502)


def _scope_list(value: Any, setting: str) -> Optional[list[str]]:
    if value is None:
        return None
    if isinstance(value, str):
        return value.split()
    if isinstance(value, (list, tuple)) and all(isinstance(s, str) for s in value):
        return list(value)
    raise ConfigurationError(f"{setting} must be a space-separated string or a list of strings")


def _user_id(data: Any) -> Any:
    if isinstance(data, dict):
        for key in ("sub", "id"):
            if data.get(key) is not None:
                return data[key]
    raise InvalidResponseError("the user info has neither `sub` nor `id`")


# ---------------------------------------------------------------------------------------------
# Registered providers

_SETTINGS = (
    "client_id",
    "client_secret",
    "server_metadata_url",
    "authorize_url",
    "access_token_url",
    "userinfo_endpoint",
    "revocation_endpoint",
    "end_session_endpoint",
    "base_url",
    "api_base_url",
    "tenant",
    "domain",
    "audience",
    "client_kwargs",
    "authorize_params",
    "scope",
    "groups_claim",
    "redirect_uri",
    "post_logout_redirect_uri",
    "fetch_user",
    "fetch_groups",
    "timeout",
    "allow_insecure_http",
    "token_endpoint_auth_method",
)
_CLIENT_KWARGS = ("scope", "token_endpoint_auth_method", "timeout", "code_challenge_method")
_BUILT_IN = ("github", "google", "azure", "auth0")


class FlaskOAuthClient:
    """One registered provider, `auth.<name>`: starts and completes logins (Authlib's names)."""

    def __init__(
        self,
        ext: "FletAuth",
        name: str,
        provider: Optional[OAuthProvider],
        settings: dict[str, Any],
        overwrite: bool,
    ) -> None:
        self.name = name
        self._ext = ext
        self._given = provider
        self._settings = settings
        self._overwrite = overwrite

    # -- settings --------------------------------------------------------------------------

    def _setting(self, key: str, default: Any = None) -> Any:
        """A setting from `register(...)` or the app config (`{NAME}_{KEY}`), as Authlib."""
        conf = current_app.config.get(f"{self.name.upper()}_{key.upper()}")
        given = self._settings.get(key)
        if isinstance(conf, dict) and isinstance(given, dict):
            return {**given, **conf} if self._overwrite else {**conf, **given}
        first, second = (conf, given) if self._overwrite else (given, conf)
        value = first if first is not None else second
        return default if value is None else value

    def _client_kwargs(self) -> dict[str, Any]:
        value = self._setting("client_kwargs", {})
        if not isinstance(value, dict):
            raise ConfigurationError(f"{self.name.upper()}_CLIENT_KWARGS must be a dict")
        unknown = sorted(set(value) - set(_CLIENT_KWARGS))
        if unknown:
            raise ConfigurationError(
                f"unknown client_kwargs {unknown} for {self.name!r}; known: {list(_CLIENT_KWARGS)}"
            )
        if value.get("code_challenge_method", "S256") != "S256":
            raise ConfigurationError("only code_challenge_method S256 is supported")
        return value

    def _scope(self) -> Optional[list[str]]:
        scope = self._setting("scope")
        if scope is None:
            scope = self._client_kwargs().get("scope")
        return _scope_list(scope, f"the scope of {self.name!r}")

    @property
    def fetch_user(self) -> bool:
        """Whether logins load the user (default True)."""
        return bool(self._setting("fetch_user", True))

    @property
    def fetch_groups(self) -> bool:
        """Whether logins load the user's groups (default False)."""
        return bool(self._setting("fetch_groups", False))

    @property
    def provider(self) -> OAuthProvider:
        """The provider: the one given to `register`, or one built from the settings."""
        if self._given is not None:
            return self._given
        providers = _app_state().providers
        provider = providers.get(self.name)
        if provider is None:
            provider = providers.setdefault(self.name, self._build_provider())
        return provider

    def _build_provider(self) -> OAuthProvider:
        from flet_auth import providers

        upper = self.name.upper()
        client_id = self._setting("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise ConfigurationError(f"{upper}_CLIENT_ID is not set (nor client_id=)")
        client_secret = self._setting("client_secret")
        if client_secret is not None and not isinstance(client_secret, str):
            raise ConfigurationError(f"{upper}_CLIENT_SECRET must be a string")
        redirect_url = self._setting("redirect_uri") or self._callback_url()
        kwargs = self._client_kwargs()
        settings: dict[str, Any] = {}
        for key in ("timeout", "allow_insecure_http", "token_endpoint_auth_method"):
            value = self._setting(key, kwargs.get(key))
            if value is not None:
                settings[key] = value
        scope = self._scope()
        metadata_url = self._setting("server_metadata_url")
        authorize_url = self._setting("authorize_url")
        token_url = self._setting("access_token_url")
        revocation = self._setting("revocation_endpoint")
        end_session = self._setting("end_session_endpoint")
        params = self._setting("authorize_params")
        if metadata_url:
            return providers.OpenIDProvider(
                client_id,
                client_secret,
                redirect_url,
                server_metadata_url=metadata_url,
                scopes=scope,
                groups_claim=self._setting("groups_claim", "groups"),
                authorization_params=params,
                revocation_endpoint=revocation,
                end_session_endpoint=end_session,
                **settings,
            )
        if authorize_url or token_url:
            if not (authorize_url and token_url):
                raise ConfigurationError(
                    f"set both {upper}_AUTHORIZE_URL and {upper}_ACCESS_TOKEN_URL"
                )
            provider = OAuthProvider(
                client_id,
                client_secret,
                authorize_url,
                token_url,
                redirect_url,
                scopes=scope,
                user_endpoint=self._setting("userinfo_endpoint"),
                user_id_fn=_user_id,
                authorization_params=params,
                **settings,
            )
            provider.revocation_endpoint = revocation
            provider.end_session_endpoint = end_session
            return provider
        kind = self.name.lower()
        if kind not in _BUILT_IN or client_secret is None:
            raise ConfigurationError(
                f"cannot tell which provider {self.name!r} is: set {upper}_SERVER_METADATA_URL "
                f"(OpenID Connect), or {upper}_AUTHORIZE_URL and {upper}_ACCESS_TOKEN_URL, or "
                f"name it github, google, azure or auth0 with {upper}_CLIENT_SECRET, or pass "
                "provider="
            )
        if kind == "github":
            return providers.GitHubOAuthProvider(
                client_id,
                client_secret,
                redirect_url,
                base_url=self._setting("base_url", "https://github.com"),
                api_base_url=self._setting("api_base_url"),
                **settings,
            )
        if kind == "google":
            return providers.GoogleOAuthProvider(client_id, client_secret, redirect_url, **settings)
        if kind == "azure":
            return providers.AzureOAuthProvider(
                client_id,
                client_secret,
                redirect_url,
                self._setting("tenant", "common"),
                **settings,
            )
        domain = self._setting("domain")
        if not domain:
            raise ConfigurationError(f"set {upper}_DOMAIN (your Auth0 tenant's domain)")
        return providers.Auth0OAuthProvider(
            domain, client_id, client_secret, redirect_url, self._setting("audience"), **settings
        )

    def _callback_url(self) -> str:
        return url_for(f"{_EXTENSION}.callback", name=self.name, _external=True)

    def _service(
        self,
        provider: Optional[OAuthProvider] = None,
        *,
        redirect_uri: Optional[str] = None,
        on_token_update: Optional["_TokenUpdateHook"] = None,
        load_user: bool = True,
    ) -> AuthorizationService:
        # The scope goes to the service too: it composes it with the provider's, without
        # duplicates, so a scope set on a built-in provider is added to the provider's own.
        return AuthorizationService(
            provider or self.provider,
            load_user and self.fetch_user,
            load_user and self.fetch_groups,
            self._scope(),
            on_token_update=on_token_update,
            redirect_url=redirect_uri,
        )

    @property
    def lock_ttl(self) -> float:
        """Seconds the refresh lock is held at most: the provider's timeout and a margin."""
        timeout = getattr(self.provider, "timeout", 30.0)
        return float(timeout if isinstance(timeout, (int, float)) else 30.0) + 10.0

    # -- Authlib's calls -------------------------------------------------------------------

    def authorize_redirect(
        self,
        redirect_uri: Optional[str] = None,
        *,
        next_url: Optional[str] = None,
        **authorization_params: str,
    ) -> BaseResponse:
        """Starts a login: remembers it server side and redirects the browser to the provider.

        `redirect_uri` is where the provider sends the browser back (default: the built-in
        `/login/<name>/callback`); that route calls `authorize_access_token()`. `next_url`, a
        same-site path, is where the built-in callback sends the browser after the login.
        Extra keywords become authorization parameters (`prompt="login"`, say).
        """
        if redirect_uri is None:
            redirect_uri = self._setting("redirect_uri") or self._callback_url()
        parts = urlsplit(str(redirect_uri))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError("redirect_uri must be an absolute http(s) URL")
        if next_url is not None and safe_next(next_url) is None:
            raise ConfigurationError("next_url must be a same-site path such as /page")
        logins = _app_state().logins  # first, so that a missing secret key is named as such
        provider = self.provider
        if authorization_params:
            provider = copy.copy(provider)
            params = dict(getattr(provider, "authorization_params", None) or {})
            params.update({k: str(v) for k, v in authorization_params.items()})
            provider.authorization_params = params
        service = self._service(provider, redirect_uri=redirect_uri)
        url, login_state = service.get_authorization_data()
        browser = session.get(_SESSION_BROWSER)
        if not isinstance(browser, str):
            browser = secrets.token_urlsafe(24)
            session[_SESSION_BROWSER] = browser
        pending = {
            "client": self.name,
            "redirect_uri": redirect_uri,
            # state, PKCE verifier and OpenID nonce, for whichever worker gets the redirect
            "login": service.save_login(),
            "next": next_url,
            "issued_at": time.time(),
        }
        # Keyed by this browser's id and the state: a redirect delivered to another browser
        # finds nothing (login CSRF) and cannot use up this browser's login either.
        logins.put_pending(f"{browser}:{login_state}", pending, PENDING_LOGIN_TTL)
        return redirect(url, code=302)

    def authorize_access_token(self) -> OAuthToken:
        """Completes the login from the provider's redirect and returns the token.

        Checks `state` (single use, this browser's, not expired), exchanges the code (with the
        PKCE verifier; for OpenID Connect the ID token is verified and its `nonce` checked),
        loads the user, stores the login and rotates the session's login id. `on_login`
        handlers run. Raises `StateMismatchError`, `OAuthError` (the provider's `error`, such as
        `access_denied`), `IDTokenError`, or the transport errors of the exchange.
        """
        try:
            login = self._complete()[0]
        except AuthError as e:
            if not isinstance(e, StoreUnavailableError):
                self._ext._fire("login", _failure_event(self.name, e))
            raise
        self._ext._fire("login", AuthEvent(self.name, login.to_user()))
        return login.token

    def _complete(self) -> tuple[StoredLogin, Optional[str]]:
        logins = _app_state().logins
        values = request.values
        login_state = values.get("state", "")
        if not login_state:
            raise StateMismatchError("the redirect carries no state")
        browser = session.get(_SESSION_BROWSER)
        if not isinstance(browser, str):
            raise StateMismatchError("no login was started in this browser session")
        pending = logins.pop_pending(f"{browser}:{login_state}")
        if pending is None:
            raise StateMismatchError(
                "the state is unknown, already used, expired or from another browser session"
            )
        if pending["client"] != self.name:
            raise StateMismatchError("this state belongs to a login with another provider")
        if time.time() - float(pending["issued_at"]) > PENDING_LOGIN_TTL:
            raise StateMismatchError("the login expired; start a new one")
        error = values.get("error")
        if error:
            description = values.get("error_description", "")
            failure = OAuthError(f"the provider refused the login: {error}")
            failure.error = error
            failure.error_description = description or None
            raise failure
        code = values.get("code", "")
        if not code:
            raise InvalidResponseError("the redirect carries no code")
        saved = pending.get("login")
        if not isinstance(saved, str):
            raise StateMismatchError("the login was started by another version; start a new one")
        service = self._service(redirect_uri=pending["redirect_uri"])
        service.restore_login(saved)
        service.check_state(login_state)
        service.request_token_sync(code)  # PKCE verifier sent; ID token and nonce verified
        token = service.current_token  # as issued: a short-lived one is refreshed when used
        if token is None:
            raise InvalidResponseError("the provider issued no token")
        login = StoredLogin.of(self.name, token, service.user)
        login_id = secrets.token_urlsafe(32)
        logins.write(login_id, login)
        old = session.get(_SESSION_LOGIN)
        if isinstance(old, str):
            logins.delete(old)
        session[_SESSION_LOGIN] = login_id
        session[_SESSION_CSRF] = secrets.token_urlsafe(32)
        g.pop("_flet_auth", None)
        logger.info("flask: login with %s completed", self.name)
        return login, pending.get("next")

    def __repr__(self) -> str:
        return f"FlaskOAuthClient({self.name!r})"


def _failure_event(name: str, e: AuthError) -> AuthEvent:
    if isinstance(e, OAuthError):
        return AuthEvent(name, None, e.error, e.error_description or "")
    return AuthEvent(name, None, type(e).__name__, str(e))


# ---------------------------------------------------------------------------------------------
# The request's login


class _RequestAuth:
    """The login of one request (kept in `flask.g`); `current_auth` forwards to it."""

    def __init__(self, state: _AppState) -> None:
        self._state = state
        self._loaded = False
        self._login: Optional[StoredLogin] = None
        self._login_id: Optional[str] = None

    def _load(self) -> Optional[StoredLogin]:
        if not self._loaded:
            self._loaded = True
            login_id = session.get(_SESSION_LOGIN)
            if isinstance(login_id, str):
                self._login_id = login_id
                self._login = self._state.logins.read(login_id)
                if self._login is None:
                    session.pop(_SESSION_LOGIN, None)
        return self._login

    @property
    def is_authenticated(self) -> bool:
        return self._load() is not None

    @property
    def provider(self) -> Optional[str]:
        login = self._load()
        return login.client if login is not None else None

    @property
    def user(self) -> Optional[User]:
        login = self._load()
        return login.to_user() if login is not None else None

    @property
    def csrf_token(self) -> str:
        token = session.get(_SESSION_CSRF)
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            session[_SESSION_CSRF] = token
        return token

    def get_token(self) -> Optional[OAuthToken]:
        # The lock: whoever takes it re-reads the login (another worker may have refreshed it
        # meanwhile) and refreshes only if it still must; the others wait for the lock to go,
        # then re-read the login and use the token the holder stored.
        login = self._load()
        if login is None or self._login_id is None:
            return None
        if login.needs_refresh(REFRESH_LEEWAY):
            return self._refresh(login, self._login_id)
        if login.expired_for_good():
            self._forget(self._login_id)
            return None
        return login.token

    def _reload(self, login_id: str) -> Optional[StoredLogin]:
        self._login = self._state.logins.read(login_id)
        return self._login

    def _refresh(self, login: StoredLogin, login_id: str) -> Optional[OAuthToken]:
        client = self._state.ext._clients.get(login.client)
        if client is None:
            self._forget(login_id)
            return None
        logins = self._state.logins
        owner = secrets.token_hex(16)
        ttl = client.lock_ttl
        deadline = time.monotonic() + ttl + 5.0
        for _ in range(_LOCK_ROUNDS):
            if logins.acquire(login_id, owner, ttl):
                try:
                    fresh = self._reload(login_id)
                    if fresh is None:
                        return None
                    if not fresh.needs_refresh(REFRESH_LEEWAY):
                        return fresh.token
                    return self._refresh_locked(client, fresh, login_id)
                finally:
                    logins.release(login_id, owner)
            _wait_unlocked(logins, login_id, deadline)
            fresh = self._reload(login_id)
            if fresh is None:
                return None
            if not fresh.needs_refresh(REFRESH_LEEWAY):
                return fresh.token
            if time.monotonic() >= deadline:
                break
        raise AuthTimeoutError(
            "the token is being refreshed by another request that did not finish"
        )

    def _refresh_locked(
        self, client: FlaskOAuthClient, login: StoredLogin, login_id: str
    ) -> Optional[OAuthToken]:
        written: list[StoredLogin] = []

        def save(token: OAuthToken) -> None:
            new = replace(login, token_json=token.to_json())
            self._state.logins.write(login_id, new)
            written.append(new)

        service = client._service(on_token_update=save, load_user=False)
        try:
            service.dehydrate_token_sync(login.token_json)
        except (OAuthError, IDTokenError) as e:
            # The grant is gone (revoked, expired, reused) or the new ID token is not to be
            # trusted: the user must log in again.
            logger.info(
                "flask: the refresh was refused (%s); the login is forgotten", type(e).__name__
            )
            self._forget(login_id)
            return None
        if not written:
            return login.token
        self._login = written[-1]
        return self._login.token

    def _forget(self, login_id: str) -> None:
        self._state.logins.delete(login_id)
        session.pop(_SESSION_LOGIN, None)
        self._login = None

    def __repr__(self) -> str:
        return f"CurrentAuth(provider={self.provider!r})"


def _wait_unlocked(logins: LoginStore, login_id: str, deadline: float) -> None:
    delay = 0.01
    while time.monotonic() < deadline and logins.locked(login_id):
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _current_auth() -> _RequestAuth:
    if not has_request_context():
        raise RuntimeError("current_auth is only available while handling a request")
    auth = g.get("_flet_auth")
    if not isinstance(auth, _RequestAuth):
        auth = _RequestAuth(_app_state())
        g._flet_auth = auth
    return auth


class CurrentAuth:
    """The login of the request being handled: use the instance `current_auth` (in
    templates too). Outside a request its members raise RuntimeError."""

    @property
    def is_authenticated(self) -> bool:
        """Whether someone is logged in (their token may still need a refresh)."""
        return _current_auth().is_authenticated

    @property
    def provider(self) -> Optional[str]:
        """The registered name of the provider the user logged in with."""
        return _current_auth().provider

    @property
    def user(self) -> Optional[User]:
        """The logged-in user (`user.id`, the provider's fields, `user.groups`), or None."""
        return _current_auth().user

    @property
    def csrf_token(self) -> str:
        """The value a form must send as `csrf_token` (or header `X-CSRF-Token`) to log out."""
        return _current_auth().csrf_token

    def get_token(self) -> Optional[OAuthToken]:
        """The access token, refreshed first when it expires within 60 s; None when nobody is
        logged in or the provider refused the refresh (the login is then forgotten).

        Of all requests (in all workers) that find the token expired at once, one refreshes
        it under a lock in the store; the others wait for it and use the new token.
        """
        return _current_auth().get_token()

    def __repr__(self) -> str:
        return repr(_current_auth()) if has_request_context() else "CurrentAuth(unbound)"


current_auth = CurrentAuth()
"""The login of the request being handled."""


# ---------------------------------------------------------------------------------------------
# The extension


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


def _failure_status(e: AuthError) -> tuple[int, str]:
    if isinstance(e, StateMismatchError):
        return 400, "Sign-in failed"
    if isinstance(e, (OAuthError, IDTokenError)):
        return 401, "Sign-in failed"
    return 502, "Sign-in failed: the provider could not be reached"


def login_required(view: F) -> F:
    """Decorator for views that need a logged-in user with a usable token (refreshed here
    when it expires soon). Others get a redirect to the login (pages) or a 401 JSON answer
    (requests that accept JSON rather than HTML)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        state = _app_state()
        try:
            token = current_auth.get_token()
        except _PROVIDER_UNREACHABLE as e:
            logger.warning("flask: refreshing the token failed (%s)", type(e).__name__)
            return _provider_unavailable()
        if token is None:
            if _wants_json():
                response = jsonify(error="login_required", error_description="Log in first.")
                response.status_code = 401
                return response
            return redirect(state.ext._login_url(), code=302)
        return current_app.ensure_sync(view)(*args, **kwargs)

    return cast(F, wrapper)
