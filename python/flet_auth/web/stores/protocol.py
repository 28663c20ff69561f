"""`TokenStore`: what the web login needs of a store, expiring values and short locks, and
`AsyncTokenStore`, the same methods as coroutines for async apps.

Every method of a store raises `StoreUnavailableError` when the store cannot be reached.
"""

import inspect
from typing import Optional, Protocol

__all__ = [
    "TOKEN_STORE_METHODS",
    "AsyncChangeFeed",
    "AsyncTokenStore",
    "ChangeFeed",
    "ChangeListener",
    "TokenStore",
    "has_change_feed",
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


class ChangeListener(Protocol):
    """What a store's change feed tells (from its own thread or task): a message announced
    on the channel, and when the subscription comes up or goes down."""

    def changed(self, message: str) -> None:
        """`message` was announced (by this or another process)."""

    def connected(self) -> None:
        """The subscription is up: every announcement from now on is told."""

    def disconnected(self) -> None:
        """The subscription is down: announcements may be missed until `connected`."""


class ChangeFeed(Protocol):
    """A store that tells other processes of changes (`RedisStore`)."""

    def announce(self, channel: str, message: str) -> None:
        """Tells every process listening to `channel` of `message`."""

    def listen(self, channel: str, listener: ChangeListener) -> None:
        """Tells `listener` of every announcement on `channel` from now on (in this
        process; nothing when it listens already)."""


class AsyncChangeFeed(Protocol):
    """`ChangeFeed` of an async store (`AsyncRedisStore`): `announce` is a coroutine,
    `listen` starts a task on the running loop."""

    async def announce(self, channel: str, message: str) -> None:
        """Tells every process listening to `channel` of `message`."""

    def listen(self, channel: str, listener: ChangeListener) -> None:
        """Tells `listener` of every announcement on `channel` from now on (on this loop;
        nothing when it listens already)."""


def has_change_feed(store: object) -> bool:
    """Whether `store` announces to other processes (`announce(channel, message)`) and lets
    this one listen (`listen(channel, listener)`): the Redis stores."""
    return callable(getattr(store, "announce", None)) and callable(getattr(store, "listen", None))
