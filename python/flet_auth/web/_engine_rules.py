"""The engine's rules that the web login applies, each behind ONE function.

These are protocol rules the Rust engine owns (`src/`): when a token is due for refresh,
when a token can no longer be used, how long a login in progress lives, and what a redirect's
`error=` means. Until the engine exposes them to Python, each body below is a copy of the
engine's rule; the web login calls nothing else for them, so swapping a body for the engine
call changes the rule everywhere at once.
"""

import time
from collections.abc import Mapping
from typing import Optional

from flet_auth._core import OAuthError, OAuthToken

__all__ = [
    "REFRESH_LEEWAY",
    "expired_for_good",
    "login_in_progress_expired",
    "login_in_progress_lifetime",
    "needs_refresh",
    "redirect_error",
]

REFRESH_LEEWAY = 60.0
"""A token is refreshed this many seconds before it expires (the engine's `REFRESH_LEEWAY`)."""


def needs_refresh(token: OAuthToken, leeway: float = REFRESH_LEEWAY) -> bool:
    """Whether `token` expires within `leeway` seconds and can be refreshed.

    The engine's rule: `TokenData::needs_refresh` in `src/token.rs`.
    """
    return (
        token.refresh_token is not None
        and token.expires_at is not None
        and time.time() + leeway >= token.expires_at
    )


def expired_for_good(token: OAuthToken) -> bool:
    """Whether `token` expired and cannot be refreshed: the user must log in again.

    The engine's rule: a token with an `expires_at` in the past and no refresh token.
    """
    return (
        token.refresh_token is None
        and token.expires_at is not None
        and time.time() >= token.expires_at
    )


def login_in_progress_lifetime() -> float:
    """Seconds a login may take from the authorization request to the redirect back.

    The engine's rule: `STATE_TTL` in `src/service.rs` (10 minutes).
    """
    return 600.0


def login_in_progress_expired(issued_at: float) -> bool:
    """Whether a login started at the Unix time `issued_at` is too old to be completed."""
    return time.time() - issued_at > login_in_progress_lifetime()


def redirect_error(query: Mapping[str, str]) -> Optional[OAuthError]:
    """The `OAuthError` a redirect's query carries (`error`, `error_description`, RFC 6749
    §4.1.2.1), or None when it carries none.

    The engine's rule: the loopback listener's reading of the redirect (`src/loopback.rs`).
    """
    error = query.get("error")
    if not error:
        return None
    failure = OAuthError(f"the provider refused the login: {error}")
    failure.error = error
    failure.error_description = query.get("error_description") or None
    return failure
