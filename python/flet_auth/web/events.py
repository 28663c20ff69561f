"""Login and logout events and the handlers an app registers for them (`on_login`,
`on_logout`)."""

import asyncio
import inspect
from typing import Any, Callable, Optional, TypeVar

from flet_auth._core import AuthError, OAuthError
from flet_auth.login_event import LoginEvent
from flet_auth.user import User

__all__ = ["AuthEvent", "Handlers", "failure_event"]


class AuthEvent(LoginEvent):
    """What `on_login` and `on_logout` handlers receive: Flet's `LoginEvent` (`error` is empty
    on success, else the OAuth error code) plus `provider`, the registered name, and `user`.
    A logout's `revocation_error` is why revoking its tokens at the provider failed (the
    login is forgotten anyway), None when they were revoked or there was nothing to revoke."""

    def __init__(
        self,
        provider: str,
        user: Optional[User] = None,
        error: str = "",
        error_description: str = "",
        name: str = "login",
        *,
        revocation_error: Optional[AuthError] = None,
    ) -> None:
        super().__init__(error, error_description, name=name)
        self.provider = provider
        self.user = user
        self.revocation_error = revocation_error

    def __repr__(self) -> str:
        failed = self.revocation_error
        revocation = "" if failed is None else f", revocation_error={type(failed).__name__}"
        return (
            f"AuthEvent(name={self.name!r}, provider={self.provider!r}, error={self.error!r}"
            f"{revocation})"
        )


def failure_event(provider: str, e: AuthError) -> AuthEvent:
    """The `login` event of a failed login: the OAuth `error` code when the provider refused,
    else the exception's type name."""
    if isinstance(e, OAuthError):
        return AuthEvent(provider, None, e.error, e.error_description or "")
    return AuthEvent(provider, None, type(e).__name__, str(e))


H = TypeVar("H", bound=Callable[[AuthEvent], Any])


class Handlers:
    """The `login` and `logout` handlers of an app, in the order they were added."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Callable[[AuthEvent], Any]]] = {
            "login": [],
            "logout": [],
        }

    def add(self, kind: str, handler: H) -> H:
        """Adds `handler` for events of `kind` (`login` or `logout`); returns it."""
        self._handlers[kind].append(handler)
        return handler

    def fire(self, event: AuthEvent) -> Any:
        """Calls every handler of `event.name`; returns the first answer that is not None
        (a framework layer may send it instead of its default response)."""
        answer = None
        for handler in self._handlers[event.name]:
            result = handler(event)
            if result is not None and answer is None:
                answer = result
        return answer

    async def fire_async(self, event: AuthEvent) -> Any:
        """`fire` for async apps: a coroutine handler is awaited on the loop, a plain one runs
        in a worker thread (it may block); the first answer that is not None is returned."""
        answer = None
        for handler in self._handlers[event.name]:
            if inspect.iscoroutinefunction(handler):
                result = await handler(event)
            else:
                result = await asyncio.to_thread(handler, event)
                if inspect.isawaitable(result):
                    result = await result
            if result is not None and answer is None:
                answer = result
        return answer
