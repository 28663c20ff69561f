"""The browser's side of a login: a signed cookie with only opaque random values in it (the
login's id, the browser's id, the CSRF token), read and written by an ASGI middleware. It
needs no `SessionMiddleware` and lives beside one under its own name."""

import contextvars
from collections.abc import Iterator, MutableMapping
from typing import Any, Optional

from itsdangerous import URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flet_auth._core import ConfigurationError
from flet_auth.web.verified_cookies import VerifiedCookies

__all__ = ["SCOPE_KEY", "CookieSession", "SessionCookie", "SessionCookieMiddleware", "connection"]

SCOPE_KEY = "flet_auth.session"
"""Where the middleware puts the request's `CookieSession` in the ASGI scope."""
_SALT = "flet_auth.starlette.session"
_SCOPE: contextvars.ContextVar[Optional[Scope]] = contextvars.ContextVar(
    "flet_auth_scope", default=None
)


def connection() -> Optional[HTTPConnection]:
    """The request (or websocket) being handled, or None outside one."""
    scope = _SCOPE.get()
    return HTTPConnection(scope) if scope is not None else None


def cookie_value(scope: Scope, name: str) -> Optional[str]:
    """The cookie `name` of a request, read as `HTTPConnection.cookies` reads it (the first
    `Cookie` header), without parsing a header that does not name it."""
    for key, raw in scope["headers"]:
        if key == b"cookie":
            header = raw.decode("latin-1")
            return cookie_parser(header).get(name) if name in header else None
    return None


class CookieSession(MutableMapping[str, Any]):
    """The values of the cookie, as the mapping the web core reads and writes; `modified`
    tells the middleware to write the cookie again."""

    def __init__(self, values: Optional[dict[str, Any]] = None) -> None:
        self._values = dict(values or {})
        self.modified = False

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._values[key] = value
        self.modified = True

    def __delitem__(self, key: str) -> None:
        del self._values[key]
        self.modified = True

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"CookieSession(keys={sorted(self._values)!r})"  # the values are secrets


class SessionCookie:
    """How the cookie is signed and sent: `name`, signed with `secret_key` (HMAC, with the
    time it was signed: older than `max_age` seconds reads as empty), `HttpOnly`,
    `SameSite=Lax`, `Secure` on https requests or when `secure` is True."""

    def __init__(
        self, secret_key: str, *, name: str, max_age: float, secure: Optional[bool]
    ) -> None:
        if not name or any(c in name for c in ' =;,"\\') or not name.isascii():
            raise ConfigurationError(f"{name!r} cannot be a cookie name")
        self.name = name
        self.max_age = int(max_age)
        self.secure = secure
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
        self._verified = VerifiedCookies()

    def load(self, value: Optional[str]) -> CookieSession:
        """The session in a cookie value; empty when it is missing, tampered with or old.

        A value whose signature was verified before is not verified again (the same bytes
        under the same key): only its age is checked, against the time it was signed."""
        if not value:
            return CookieSession()
        data = self._verified.loads(
            value, keys=None, max_age=self.max_age, serializer=lambda: self._serializer
        )
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            return CookieSession()
        return CookieSession(data)

    def header(self, session: CookieSession, scope: Scope) -> str:
        """The `Set-Cookie` value that stores `session` (or deletes the cookie when empty)."""
        path = scope.get("root_path") or "/"
        secure = self.secure if self.secure is not None else scope.get("scheme") == "https"
        flags = f"Path={path}; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
        if not session:
            return f"{self.name}=; Max-Age=0; {flags}"
        value = self._serializer.dumps(dict(session))
        return f"{self.name}={value}; Max-Age={self.max_age}; {flags}"


class SessionCookieMiddleware:
    """Reads the cookie into `scope[SCOPE_KEY]` and the current connection, and writes it
    back on the response when the request changed it."""

    def __init__(self, app: ASGIApp, cookie: SessionCookie) -> None:
        self.app = app
        self.cookie = cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        session = self.cookie.load(cookie_value(scope, self.cookie.name))
        scope[SCOPE_KEY] = session

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and session.modified:
                headers = MutableHeaders(scope=message)
                headers.append("set-cookie", self.cookie.header(session, scope))
                headers.add_vary_header("Cookie")
            await send(message)

        token = _SCOPE.set(scope)
        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            _SCOPE.reset(token)
