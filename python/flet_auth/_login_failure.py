"""How a failed login is reported to `on_login`, the same for `AuthPage` and Flet pages."""

from __future__ import annotations

from flet_auth._core import OAuthError


def refused_in_redirect(error: BaseException) -> bool:
    """Whether the provider refused in the redirect (`access_denied`, say): an `OAuthError`
    without HTTP status. That ends a login with an event, not an exception."""
    return isinstance(error, OAuthError) and error.status is None


def event_fields(error: BaseException) -> tuple[str, str]:
    """The `LoginEvent` fields of a failure: the OAuth error code (else the message), and the
    message."""
    code = error.error if isinstance(error, OAuthError) else str(error)
    return code, str(error)
