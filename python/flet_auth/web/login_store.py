"""`LoginStore`: the logins, logins in progress and refresh locks of one app in a
`TokenStore`, encrypted (the sync face; `LoginCodec` does the keys and the encryption)."""

import os
from typing import Optional, cast

from flet_auth._core import LOGIN_TTL, ConfigurationError
from flet_auth.web import pending_caps
from flet_auth.web.login_cache import DEFAULT_CACHE_SIZE, DEFAULT_CACHE_TTL, LoginCache
from flet_auth.web.login_codec import LoginCodec
from flet_auth.web.logins import PendingLogin, StoredLogin
from flet_auth.web.pending_caps import DEFAULT_MAX_PENDING_LOGINS
from flet_auth.web.stores.protocol import ChangeFeed, TokenStore, has_change_feed

__all__ = ["LoginStore", "new_cache"]


class LoginStore:
    """The logins of one app in `store`, encrypted with `secret_key` under keys that start
    with `prefix`. A login is kept `login_ttl` seconds after its last write; a login in
    progress as long as the engine lets a login take.

    When the store has a change feed (Redis), `read_cached` serves a signed-in request from
    this worker's `LoginCache` (`cache_ttl` seconds, `cache_size` logins; a `cache_ttl` of
    0 turns it off), and every write or delete is announced to the other workers."""

    def __init__(
        self,
        store: TokenStore,
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
        self.cache = new_cache(store, cache_ttl, cache_size)
        self._feed = cast(ChangeFeed, store)  # used only when there is a cache
        self.channel = f"{prefix}changes"
        """The store channel the writes of logins are announced on (their keys)."""
        self._listening = 0  # the pid whose feed the cache follows

    def read(self, login_id: str) -> Optional[StoredLogin]:
        """The login `login_id` as the store has it now, or None."""
        return self._read_key(self.codec.login_key(login_id))

    def _read_key(self, key: str) -> Optional[StoredLogin]:
        data = self.store.get(key)
        return None if data is None else self.codec.open_login(data)

    def read_cached(self, login_id: str) -> Optional[StoredLogin]:
        """The login `login_id`, from this worker's cache when it has a current copy (a
        request's read; a refresh re-reads with `read`), or None."""
        cache = self.cache
        if cache is None:
            return self.read(login_id)
        if self._listening != os.getpid():
            cache.follow_fork()
            self._listening = os.getpid()
            self._feed.listen(self.channel, cache)
        key = self.codec.login_key(login_id)
        login, epoch = cache.lookup(key)
        if login is None:
            login = self._read_key(key)
            if login is not None:
                cache.keep(key, login, epoch)
        return login

    def write(self, login_id: str, login: StoredLogin) -> None:
        """Stores (or replaces) the login `login_id` for `login_ttl` seconds."""
        key = self.codec.login_key(login_id)
        self.store.set(key, self.codec.seal_login(login), self.login_ttl)
        self._announce(key)

    def delete(self, login_id: str) -> None:
        """Forgets the login `login_id`."""
        key = self.codec.login_key(login_id)
        self.store.delete(key)
        self._announce(key)

    def _announce(self, key: str) -> None:
        if self.cache is not None:
            self.cache.drop(key)
            self._feed.announce(self.channel, self.cache.announcement(key))

    def put_pending(self, browser_id: str, state: str, pending: PendingLogin) -> None:
        """Keeps a login in progress for the redirect back to the browser `browser_id`, within
        the caps of `pending_caps` (beyond the overall one, `TooManyLoginsError`)."""
        if self._counts:
            counter = self.codec.key("pending-count", pending_caps.counter_name())
            begun = self.store.incr(counter, pending_caps.COUNTER_TTL)
            pending_caps.refuse_beyond(begun, self.max_pending_logins)
        key = self.codec.pending_key(browser_id, state)
        self.store.set(key, self.codec.seal_pending(pending), LOGIN_TTL)
        index = self.codec.pending_index_key(browser_id)
        data = self.store.get(index)
        states = self.codec.open_states(data) if data is not None else []
        kept, dropped = pending_caps.kept_and_dropped(states, state)
        for old in dropped:
            self.store.delete(self.codec.pending_key(browser_id, old))
        self.store.set(index, self.codec.seal_states(kept), LOGIN_TTL)

    def pop_pending(self, browser_id: str, state: str) -> Optional[PendingLogin]:
        """Takes the login in progress of this browser and `state`: only one caller gets it.
        None when there is none (or it cannot be read)."""
        data = self.store.pop(self.codec.pending_key(browser_id, state))
        return None if data is None else self.codec.open_pending(data)

    def acquire(self, login_id: str, owner: str, ttl: float) -> bool:
        """Takes the refresh lock of `login_id` for `owner`."""
        return self.store.acquire(self.codec.lock_key(login_id), owner, ttl)

    def release(self, login_id: str, owner: str) -> None:
        """Releases the refresh lock of `login_id` if `owner` holds it."""
        self.store.release(self.codec.lock_key(login_id), owner)

    def locked(self, login_id: str) -> bool:
        """Whether someone holds the refresh lock of `login_id`."""
        return self.store.locked(self.codec.lock_key(login_id))

    def __repr__(self) -> str:
        return f"LoginStore({self.store!r})"


def new_cache(store: object, ttl: float, size: int) -> Optional[LoginCache]:
    """The `LoginCache` of a login store over `store`: None when `ttl` is 0 or the store has
    no change feed (SQLite, memory, an app's own store), whose reads are then all direct."""
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl >= 0:
        raise ConfigurationError("the login cache's lifetime must be 0 or more seconds")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigurationError("the login cache's size must be a positive integer")
    if ttl == 0 or not has_change_feed(store):
        return None
    return LoginCache(float(ttl), size)
