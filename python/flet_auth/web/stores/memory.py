"""`MemoryStore`: a `TokenStore` in this process's memory, for one worker and for tests;
`AsyncMemoryStore`, its async face (each call takes microseconds, so it runs on the loop)."""

import threading
import time
from typing import Optional

__all__ = ["AsyncMemoryStore", "MemoryStore"]


class MemoryStore:
    """Values and locks in a dict of this process: lost at exit and not shared with other
    workers, so only for a single-process app or a test. Safe across threads."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, tuple[str, float]] = {}
        self._mutex = threading.Lock()

    @staticmethod
    def _live(entry: Optional[tuple[str, float]], now: float) -> Optional[str]:
        return entry[0] if entry is not None and entry[1] > now else None

    def get(self, key: str) -> Optional[str]:
        """The value of `key`, or None when it is absent or expired."""
        with self._mutex:
            return self._live(self._values.get(key), time.monotonic())

    def set(self, key: str, value: str, ttl: float) -> None:
        """Sets `key` to `value` for `ttl` seconds (and drops expired entries)."""
        now = time.monotonic()
        with self._mutex:
            for stale in [k for k, (_, at) in self._values.items() if at <= now]:
                del self._values[stale]
            self._values[key] = (value, now + ttl)

    def pop(self, key: str) -> Optional[str]:
        """Removes `key` and returns its value: only one caller gets it."""
        with self._mutex:
            return self._live(self._values.pop(key, None), time.monotonic())

    def delete(self, key: str) -> None:
        """Removes `key`."""
        with self._mutex:
            self._values.pop(key, None)

    def acquire(self, lock: str, owner: str, ttl: float) -> bool:
        """Takes `lock` for `owner` for at most `ttl` seconds unless someone holds it."""
        now = time.monotonic()
        with self._mutex:
            if self._live(self._locks.get(lock), now) is not None:
                return False
            self._locks[lock] = (owner, now + ttl)
            return True

    def release(self, lock: str, owner: str) -> None:
        """Releases `lock` if `owner` still holds it."""
        with self._mutex:
            held = self._locks.get(lock)
            if held is not None and held[0] == owner:
                del self._locks[lock]

    def locked(self, lock: str) -> bool:
        """Whether someone holds `lock`."""
        with self._mutex:
            return self._live(self._locks.get(lock), time.monotonic()) is not None

    def incr(self, counter: str, ttl: float) -> int:
        """Adds one to `counter` (made for `ttl` seconds) and returns its new value."""
        now = time.monotonic()
        with self._mutex:
            live = self._live(self._values.get(counter), now)
            if live is None:
                value, expires = 1, now + ttl
            else:
                value, expires = int(live) + 1, self._values[counter][1]
            self._values[counter] = (str(value), expires)
            return value

    def __repr__(self) -> str:
        return "MemoryStore()"


class AsyncMemoryStore:
    """`MemoryStore` as an `AsyncTokenStore` (`store.sync` is the same store, sync)."""

    def __init__(self, store: Optional[MemoryStore] = None) -> None:
        self.sync = store if store is not None else MemoryStore()

    async def get(self, key: str) -> Optional[str]:
        """The value of `key`, or None when it is absent or expired."""
        return self.sync.get(key)

    async def set(self, key: str, value: str, ttl: float) -> None:
        """Sets `key` to `value` for `ttl` seconds."""
        self.sync.set(key, value, ttl)

    async def pop(self, key: str) -> Optional[str]:
        """Removes `key` and returns its value: only one caller gets it."""
        return self.sync.pop(key)

    async def delete(self, key: str) -> None:
        """Removes `key`."""
        self.sync.delete(key)

    async def acquire(self, lock: str, owner: str, ttl: float) -> bool:
        """Takes `lock` for `owner` for at most `ttl` seconds unless someone holds it."""
        return self.sync.acquire(lock, owner, ttl)

    async def release(self, lock: str, owner: str) -> None:
        """Releases `lock` if `owner` still holds it."""
        self.sync.release(lock, owner)

    async def locked(self, lock: str) -> bool:
        """Whether someone holds `lock`."""
        return self.sync.locked(lock)

    async def incr(self, counter: str, ttl: float) -> int:
        """Adds one to `counter` (made for `ttl` seconds) and returns its new value."""
        return self.sync.incr(counter, ttl)

    def __repr__(self) -> str:
        return "AsyncMemoryStore()"
