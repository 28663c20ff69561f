"""What a web login keeps in the browser's session (a signed cookie or a server-side session,
any mutable mapping): the opaque id of its login, the browser's id and the CSRF token. Never
a token or a user."""

import secrets
from collections.abc import Callable, MutableMapping
from typing import Any, Optional

from flet_auth.web.csrf import csrf_matches, new_csrf_token

__all__ = [
    "BROWSER_ID",
    "CSRF_TOKEN",
    "LOGIN_ID",
    "Regenerate",
    "Session",
    "browser_id",
    "csrf_token",
    "csrf_valid",
    "end_session",
    "forget_login",
    "login_id",
    "new_login_id",
    "start_browser",
    "start_session",
]

LOGIN_ID = "_flet_auth_login"
"""The session key of the login's id (the store key is a digest of it)."""
BROWSER_ID = "_flet_auth_browser"
"""The session key of the browser's id, which binds a login in progress to its browser."""
CSRF_TOKEN = "_flet_auth_csrf"
"""The session key of the CSRF token."""

Session = MutableMapping[str, Any]
"""The browser's session as the framework layer hands it over."""

Regenerate = Callable[[], None]
"""Gives the browser's session a new id, kept by the framework layer (Flask-Session's
`session_interface.regenerate(session)`); called at login, after the session is cleared."""


def login_id(session: Session) -> Optional[str]:
    """The id of the browser's login, or None."""
    value = session.get(LOGIN_ID)
    return value if isinstance(value, str) else None


def forget_login(session: Session) -> None:
    """Drops the login's id from the session."""
    session.pop(LOGIN_ID, None)


def browser_id(session: Session) -> Optional[str]:
    """The browser's id, or None when this browser started no login."""
    value = session.get(BROWSER_ID)
    return value if isinstance(value, str) else None


def start_browser(session: Session) -> str:
    """The browser's id, made now when it has none."""
    value = browser_id(session)
    if value is None:
        value = secrets.token_urlsafe(24)
        session[BROWSER_ID] = value
    return value


def new_login_id() -> str:
    """A fresh opaque login id (256 random bits)."""
    return secrets.token_urlsafe(32)


def start_session(session: Session, new_login: str) -> Optional[str]:
    """Clears the session (nothing written before the login survives it, against session
    fixation), then puts the new login's id in it with a new CSRF token; returns the id of
    the login it replaces (to be deleted from the store), or None."""
    old = login_id(session)
    session.clear()
    session[LOGIN_ID] = new_login
    session[CSRF_TOKEN] = new_csrf_token()
    return old


def end_session(session: Session) -> None:
    """Drops the login's id and the CSRF token (at logout)."""
    session.pop(LOGIN_ID, None)
    session.pop(CSRF_TOKEN, None)


def csrf_token(session: Session) -> str:
    """The session's CSRF token, made now when it has none."""
    value = session.get(CSRF_TOKEN)
    if not isinstance(value, str):
        value = new_csrf_token()
        session[CSRF_TOKEN] = value
    return value


def csrf_valid(session: Session, sent: Optional[str]) -> bool:
    """Whether `sent` is the session's CSRF token (a missing one never matches)."""
    expected = session.get(CSRF_TOKEN)
    return csrf_matches(sent, expected if isinstance(expected, str) else None)
