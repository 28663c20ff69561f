"""`OffLoopStore`: any `TokenStore` as an `AsyncTokenStore`, each call run in a worker thread
so that its I/O (a SQLite file, an app's own store) never blocks the event loop."""

import asyncio
from typing import Optional

from flet_auth.web.stores.protocol import TokenStore

__all__ = ["OffLoopStore"]


class OffLoopStore:
    """The sync `store` (kept as `store.sync`), its calls run with `asyncio.to_thread`."""

    def __init__(self, store: TokenStore) -> None:
        self.sync = store

    async def get(self, key: str) -> Optional[str]:
        """The value of `key`, or None when it is absent or expired."""
        return await asyncio.to_thread(self.sync.get, key)

    async def set(self, key: str, value: str, ttl: float) -> None:
        """Sets `key` to `value` for `ttl` seconds."""
        await asyncio.to_thread(self.sync.set, key, value, ttl)

    async def pop(self, key: str) -> Optional[str]:
        """Removes `key` and returns its value: only one caller gets it."""
        return await asyncio.to_thread(self.sync.pop, key)

    async def delete(self, key: str) -> None:
        """Removes `key`."""
        await asyncio.to_thread(self.sync.delete, key)

    async def acquire(self, lock: str, owner: str, ttl: float) -> bool:
        """Takes `lock` for `owner` for at most `ttl` seconds unless someone holds it."""
        return await asyncio.to_thread(self.sync.acquire, lock, owner, ttl)

    async def release(self, lock: str, owner: str) -> None:
        """Releases `lock` if `owner` still holds it."""
        await asyncio.to_thread(self.sync.release, lock, owner)

    async def locked(self, lock: str) -> bool:
        """Whether someone holds `lock`."""
        return await asyncio.to_thread(self.sync.locked, lock)

    async def incr(self, counter: str, ttl: float) -> int:
        """Adds one to `counter` (made for `ttl` seconds) and returns its new value."""
        return await asyncio.to_thread(self.sync.incr, counter, ttl)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.sync!r})"
