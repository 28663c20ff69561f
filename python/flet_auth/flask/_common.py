"""What the parts of the Flask extension share: settings, the per-app state, events and
error pages."""

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    jsonify,
    request,
)
from flask.typing import ResponseReturnValue
from markupsafe import escape

from flet_auth._core import (
    AuthError,
    ConfigurationError,
    HTTPStatusError,
    IDTokenError,
    InvalidResponseError,
    OAuthError,
    StateMismatchError,
    TransportError,
)
from flet_auth.flask.store import (
    LoginStore,
    StoreUnavailableError,
)
from flet_auth.login_event import LoginEvent
from flet_auth.oauth_provider import OAuthProvider
from flet_auth.user import User

if TYPE_CHECKING:
    from flet_auth.flask.extension import FletAuth


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


def _failure_event(name: str, e: AuthError) -> AuthEvent:
    if isinstance(e, OAuthError):
        return AuthEvent(name, None, e.error, e.error_description or "")
    return AuthEvent(name, None, type(e).__name__, str(e))


def _failure_status(e: AuthError) -> tuple[int, str]:
    if isinstance(e, StateMismatchError):
        return 400, "Sign-in failed"
    if isinstance(e, (OAuthError, IDTokenError)):
        return 401, "Sign-in failed"
    return 502, "Sign-in failed: the provider could not be reached"
