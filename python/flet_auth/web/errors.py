"""What a web login answers when something fails: the store's error, and the HTTP status,
JSON `error` and message of each failure, the same for every framework layer."""

import logging
from dataclasses import dataclass
from typing import Optional

from flet_auth._core import (
    AuthError,
    ConfigurationError,
    HTTPStatusError,
    IDTokenError,
    InternalError,
    InvalidResponseError,
    IssuerMismatchError,
    OAuthError,
    StateMismatchError,
    TransportError,
)

__all__ = [
    "CSRF_REFUSED",
    "LOGIN_REQUIRED",
    "PROVIDER_UNAVAILABLE",
    "PROVIDER_UNREACHABLE",
    "STORE_UNAVAILABLE",
    "ErrorAnswer",
    "StoreUnavailableError",
    "TooManyLoginsError",
    "login_failure",
]

logger = logging.getLogger("flet_auth.web")


class StoreUnavailableError(AuthError):
    """The login store (SQLite or Redis) cannot be reached or answered with an error."""


class TooManyLoginsError(StoreUnavailableError):
    """The store holds as many logins in progress as it may (answered like an unreachable
    store: 503, try again later)."""


PROVIDER_UNREACHABLE = (TransportError, HTTPStatusError, InvalidResponseError)
"""The errors that mean the provider could not be used for a moment (answered with 502)."""


@dataclass(frozen=True)
class ErrorAnswer:
    """An answer to a failed request: `status`, the page's `title`, the `message` shown to
    the user, the JSON `error` code (empty: the answer is always a page) and `Retry-After`."""

    status: int
    title: str
    message: str
    error: str = ""
    retry_after: Optional[int] = None

    def json(self) -> dict[str, str]:
        """The JSON body: `{"error": ..., "error_description": ...}`."""
        return {"error": self.error, "error_description": self.message}


STORE_UNAVAILABLE = ErrorAnswer(
    503,
    "Service unavailable",
    "Sign-in is unavailable for a moment. Please try again shortly.",
    "temporarily_unavailable",
    retry_after=5,
)
PROVIDER_UNAVAILABLE = ErrorAnswer(
    502,
    "Sign-in provider unavailable",
    "The sign-in provider cannot be reached. Please try again shortly.",
    "temporarily_unavailable",
)
LOGIN_REQUIRED = ErrorAnswer(401, "Login required", "Log in first.", "login_required")
CSRF_REFUSED = ErrorAnswer(403, "Forbidden", "The logout form's CSRF token is missing or wrong.")


def login_failure(e: AuthError) -> ErrorAnswer:
    """The page for a login that failed at the redirect back: 400 for a bad `state` or `iss`
    (RFC 9207), 401 for a refusal (the provider's `error`, an ID token that fails its checks),
    500 for a fault of this app (its settings, the engine), else 502. A 5xx page is generic:
    the exception's text (endpoint hosts and paths, socket errors) goes to the log only, as a
    warning."""
    if isinstance(e, (StateMismatchError, IssuerMismatchError)):
        answer = ErrorAnswer(400, "Sign-in failed", str(e))
    elif isinstance(e, (OAuthError, IDTokenError)):
        answer = ErrorAnswer(401, "Sign-in failed", str(e))
    elif isinstance(e, (InternalError, ConfigurationError)):
        answer = ErrorAnswer(
            500, "Sign-in failed", "Sign-in failed because of an error in this app."
        )
    else:
        answer = ErrorAnswer(
            502, "Sign-in failed: the provider could not be reached", PROVIDER_UNAVAILABLE.message
        )
    log = logger.warning if answer.status >= 500 else logger.info
    log("login failed at the redirect back with %d: %s: %s", answer.status, type(e).__name__, e)
    return answer
