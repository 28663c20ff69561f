"""`AsyncLoginStore`: `LoginStore` for async apps, over an `AsyncTokenStore`. The keys, the
encryption and the lifetimes are `LoginStore`'s (`LoginCodec`); a seal or an open that must
first derive a key (about 80 ms of PBKDF2, once per salt) runs in a worker thread."""

import asyncio
from typing import Callable, Optional, TypeVar, cast

from flet_auth._core import LOGIN_TTL, ConfigurationError
from flet_auth.web import pending_caps
from flet_auth.web.login_cache import DEFAULT_CACHE_SIZE, DEFAULT_CACHE_TTL
from flet_auth.web.login_codec import LoginCodec
from flet_auth.web.login_store import new_cache
from flet_auth.web.logins import PendingLogin, StoredLogin
from flet_auth.web.pending_caps import DEFAULT_MAX_PENDING_LOGINS
from flet_auth.web.stores.protocol import AsyncChangeFeed, AsyncTokenStore

__all__ = ["AsyncLoginStore"]

T = TypeVar("T")


class AsyncLoginStore:
    """The logins of one app in the async `store`, as `LoginStore` keeps them (with its
    per-worker cache of logins when the store has a change feed)."""

    def __init__(
        self,
        store: AsyncTokenStore,
        secret_key: str,
        *,
        prefix: str,
        login_ttl: float,
        max_pending_logins: int = DEFAULT_MAX_PENDING_LOGINS,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        if not login_ttl > 0:
            raise ConfigurationError("login_ttl must be a positive number of seconds")
        self.codec = LoginCodec(secret_key, prefix=prefix)
        self.store = store
        self.login_ttl = login_ttl
        self.max_pending_logins = pending_caps.check_max_pending_logins(max_pending_logins)
        self._counts = pending_caps.has_counter(store)
        self._deriving: Optional[tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = None
        self.cache = new_cache(store, cache_ttl, cache_size)
        self._feed = cast(AsyncChangeFeed, store)  # used only when there is a cache
        self.channel = f"{prefix}changes"
        """The store channel the writes of logins are announced on (their keys)."""
        self._listening: Optional[asyncio.AbstractEventLoop] = None  # the feed's loop

    def _derive_lock(self) -> asyncio.Lock:
        # One lock per event loop (a lock belongs to the loop that first waits on it).
        loop = asyncio.get_running_loop()
        if self._deriving is None or self._deriving[0] is not loop:
            self._deriving = (loop, asyncio.Lock())
        return self._deriving[1]

    async def _crypto(self, data: Optional[str], work: Callable[[], T]) -> T:
        """`work()` (a seal when `data` is None, else an open of `data`), off the loop when it
        would derive a key first. Derivations take turns: of the requests that find a new
        salt at once (a worker's first requests), one derives its key and the others then
        use it, instead of each running PBKDF2."""
        if not self.codec.would_derive(data):
            return work()
        async with self._derive_lock():
            if self.codec.would_derive(data):
                return await asyncio.to_thread(work)
        return work()

    async def _seal_login(self, login: StoredLogin) -> str:
        return await self._crypto(None, lambda: self.codec.seal_login(login))

    async def read(self, login_id: str) -> Optional[StoredLogin]:
        """The login `login_id` as the store has it now, or None."""
        return await self._read_key(self.codec.login_key(login_id))

    async def _read_key(self, key: str) -> Optional[StoredLogin]:
        data = await self.store.get(key)
        if data is None:
            return None
        return await self._crypto(data, lambda: self.codec.open_login(data))

    async def read_cached(self, login_id: str) -> Optional[StoredLogin]:
        """The login `login_id`, from this worker's cache when it has a current copy (a
        request's read; a refresh re-reads with `read`), or None."""
        cache = self.cache
        if cache is None:
            return await self.read(login_id)
        loop = asyncio.get_running_loop()
        if self._listening is not loop:
            # A new loop (or process): what the old one's feed kept is not followed any more.
            cache.follow_fork()
            cache.disconnected()
            self._listening = loop
            self._feed.listen(self.channel, cache)
        key = self.codec.login_key(login_id)
        login, epoch = cache.lookup(key)
        if login is None:
            login = await self._read_key(key)
            if login is not None:
                cache.keep(key, login, epoch)
        return login

    async def write(self, login_id: str, login: StoredLogin) -> None:
        """Stores (or replaces) the login `login_id` for `login_ttl` seconds."""
        value = await self._seal_login(login)
        key = self.codec.login_key(login_id)
        await self.store.set(key, value, self.login_ttl)
        await self._announce(key)

    async def delete(self, login_id: str) -> None:
        """Forgets the login `login_id`."""
        key = self.codec.login_key(login_id)
        await self.store.delete(key)
        await self._announce(key)

    async def _announce(self, key: str) -> None:
        if self.cache is not None:
            self.cache.drop(key)
            await self._feed.announce(self.channel, self.cache.announcement(key))

    async def put_pending(self, browser_id: str, state: str, pending: PendingLogin) -> None:
        """Keeps a login in progress for the redirect back to the browser `browser_id`, within
        the caps of `pending_caps` (beyond the overall one, `TooManyLoginsError`)."""
        if self._counts:
            counter = self.codec.key("pending-count", pending_caps.counter_name())
            begun = await self.store.incr(counter, pending_caps.COUNTER_TTL)
            pending_caps.refuse_beyond(begun, self.max_pending_logins)
        value = await self._crypto(None, lambda: self.codec.seal_pending(pending))
        await self.store.set(self.codec.pending_key(browser_id, state), value, LOGIN_TTL)
        index = self.codec.pending_index_key(browser_id)
        data = await self.store.get(index)
        states = (
            [] if data is None else await self._crypto(data, lambda: self.codec.open_states(data))
        )
        kept, dropped = pending_caps.kept_and_dropped(states, state)
        for old in dropped:
            await self.store.delete(self.codec.pending_key(browser_id, old))
        sealed = await self._crypto(None, lambda: self.codec.seal_states(kept))
        await self.store.set(index, sealed, LOGIN_TTL)

    async def pop_pending(self, browser_id: str, state: str) -> Optional[PendingLogin]:
        """Takes the login in progress of this browser and `state`: only one caller gets it."""
        data = await self.store.pop(self.codec.pending_key(browser_id, state))
        if data is None:
            return None
        return await self._crypto(data, lambda: self.codec.open_pending(data))

    async def acquire(self, login_id: str, owner: str, ttl: float) -> bool:
        """Takes the refresh lock of `login_id` for `owner`."""
        return await self.store.acquire(self.codec.lock_key(login_id), owner, ttl)

    async def release(self, login_id: str, owner: str) -> None:
        """Releases the refresh lock of `login_id` if `owner` holds it."""
        await self.store.release(self.codec.lock_key(login_id), owner)

    async def locked(self, login_id: str) -> bool:
        """Whether someone holds the refresh lock of `login_id`."""
        return await self.store.locked(self.codec.lock_key(login_id))

    def __repr__(self) -> str:
        return f"AsyncLoginStore({self.store!r})"
