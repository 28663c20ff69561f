"""`VerifiedCookieSessionInterface`: Flask's signed-cookie sessions, each cookie value's
signature checked once per worker.

Every request of a signed-in browser sends the same session cookie, and Flask's default
interface builds a serializer, derives its key and checks the HMAC of that same value on each
one. `FletAuth.init_app` installs this subclass in apps that use the default interface
(`FLET_AUTH_SESSION_CACHE = False` keeps Flask's): a value verified before, under the same
secret keys, is only checked for age, the way itsdangerous checks it. Sessions holding a
list or a dict are verified every time, since their copies would share those values.
"""

from typing import Any, Optional, cast

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from flet_auth._core import ConfigurationError
from flet_auth.web.verified_cookies import VerifiedCookies

__all__ = ["VerifiedCookieSessionInterface", "install"]

SETTING = "FLET_AUTH_SESSION_CACHE"


class VerifiedCookieSessionInterface(SecureCookieSessionInterface):
    """`SecureCookieSessionInterface`, remembering the values it verified (`VerifiedCookies`)."""

    def __init__(self) -> None:
        self.verified = VerifiedCookies()

    def open_session(self, app: Flask, request: Request) -> Optional[SecureCookieSession]:
        value = request.cookies.get(self.get_cookie_name(app))
        if not value or not app.secret_key:
            return super().open_session(app, request)
        data = self.verified.loads(
            value,
            keys=(app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ())),
            max_age=int(app.permanent_session_lifetime.total_seconds()),
            serializer=lambda: cast(URLSafeTimedSerializer, self.get_signing_serializer(app)),
        )
        return self.session_class(data)


def install(app: Flask) -> None:
    """Puts a `VerifiedCookieSessionInterface` in `app` when it has Flask's default interface
    and `FLET_AUTH_SESSION_CACHE` is not False; an app's own interface is left alone."""
    wanted: Any = app.config.get(SETTING, True)
    if not isinstance(wanted, bool):
        raise ConfigurationError(f"{SETTING} must be True or False")
    if wanted and type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = VerifiedCookieSessionInterface()
