"""`TokenStore`: what the web login needs of a store, expiring values and short locks, and
`AsyncTokenStore`, the same methods as coroutines for async apps.

Every method of a store raises `StoreUnavailableError` when the store cannot be reached.
"""

import inspect
from typing import Optional, Protocol

__all__ = [
    "TOKEN_STORE_METHODS",
    "AsyncTokenStore",
    "TokenStore",
    "is_async_token_store",
    "is_token_store",
]


class TokenStore(Protocol):
    """Opaque strings under keys that expire, and locks that let one worker refresh a token
    while the others wait::

        if store.acquire("lock:abc", owner, ttl=10.0):
            try:
                ...
            finally:
                store.release("lock:abc", owner)
    """

    def get(self, key: str) -> Optional[str]:
        """The value of `key`, or None when it is absent or expired."""

    def set(self, key: str, value: str, ttl: float) -> None:
        """Sets `key` to `value` for `ttl` seconds."""

    def pop(self, key: str) -> Optional[str]:
        """Removes `key` and returns its value, atomically: only one caller gets it."""

    def delete(self, key: str) -> None:
        """Removes `key` (nothing happens when it is absent)."""

    def acquire(self, lock: str, owner: str, ttl: float) -> bool:
        """Takes `lock` for `owner` for at most `ttl` seconds unless someone holds it."""

    def release(self, lock: str, owner: str) -> None:
        """Releases `lock` if `owner` still holds it."""

    def locked(self, lock: str) -> bool:
        """Whether someone holds `lock`."""

    def incr(self, counter: str, ttl: float) -> int:
        """Adds one to `counter` and returns its new value, atomically; a new counter starts
        at 0 and expires `ttl` seconds after it was made. It caps the logins in progress; a
        store without it (an app's own class from before) gets only the per-browser cap."""


TOKEN_STORE_METHODS = ("get", "set", "pop", "delete", "acquire", "release", "locked")
"""The methods of `TokenStore`, by name."""


def is_token_store(value: object) -> bool:
    """Whether `value` has every method of `TokenStore` (an app's own store class, say)."""
    return all(callable(getattr(value, name, None)) for name in TOKEN_STORE_METHODS)


class AsyncTokenStore(Protocol):
    """`TokenStore` for async apps: the same methods and meaning, each a coroutine that never
    blocks the event loop."""

    async def get(self, key: str) -> Optional[str]:
        """The value of `key`, or None when it is absent or expired."""

    async def set(self, key: str, value: str, ttl: float) -> None:
        """Sets `key` to `value` for `ttl` seconds."""

    async def pop(self, key: str) -> Optional[str]:
        """Removes `key` and returns its value, atomically: only one caller gets it."""

    async def delete(self, key: str) -> None:
        """Removes `key` (nothing happens when it is absent)."""

    async def acquire(self, lock: str, owner: str, ttl: float) -> bool:
        """Takes `lock` for `owner` for at most `ttl` seconds unless someone holds it."""

    async def release(self, lock: str, owner: str) -> None:
        """Releases `lock` if `owner` still holds it."""

    async def locked(self, lock: str) -> bool:
        """Whether someone holds `lock`."""

    async def incr(self, counter: str, ttl: float) -> int:
        """Adds one to `counter` and returns its new value, atomically (as `TokenStore`'s;
        optional in the same way)."""


def is_async_token_store(value: object) -> bool:
    """Whether every method of `TokenStore` is a coroutine function on `value`."""
    return all(
        inspect.iscoroutinefunction(getattr(value, name, None)) for name in TOKEN_STORE_METHODS
    )
