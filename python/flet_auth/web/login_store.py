"""`LoginStore`: the logins, logins in progress and refresh locks of one app in a
`TokenStore`, encrypted (the sync face; `LoginCodec` does the keys and the encryption)."""

from typing import Optional

from flet_auth._core import LOGIN_TTL, ConfigurationError
from flet_auth.web import pending_caps
from flet_auth.web.login_codec import LoginCodec
from flet_auth.web.logins import PendingLogin, StoredLogin
from flet_auth.web.pending_caps import DEFAULT_MAX_PENDING_LOGINS
from flet_auth.web.stores.protocol import TokenStore

__all__ = ["LoginStore"]


class LoginStore:
    """The logins of one app in `store`, encrypted with `secret_key` under keys that start
    with `prefix`. A login is kept `login_ttl` seconds after its last write; a login in
    progress as long as the engine lets a login take."""

    def __init__(
        self,
        store: TokenStore,
        secret_key: str,
        *,
        prefix: str,
        login_ttl: float,
        max_pending_logins: int = DEFAULT_MAX_PENDING_LOGINS,
    ) -> None:
        if not login_ttl > 0:
            raise ConfigurationError("login_ttl must be a positive number of seconds")
        self.codec = LoginCodec(secret_key, prefix=prefix)
        self.store = store
        self.login_ttl = login_ttl
        self.max_pending_logins = pending_caps.check_max_pending_logins(max_pending_logins)
        self._counts = pending_caps.has_counter(store)

    def read(self, login_id: str) -> Optional[StoredLogin]:
        """The login `login_id`, or None."""
        data = self.store.get(self.codec.login_key(login_id))
        return None if data is None else self.codec.open_login(data)

    def write(self, login_id: str, login: StoredLogin) -> None:
        """Stores (or replaces) the login `login_id` for `login_ttl` seconds."""
        key = self.codec.login_key(login_id)
        self.store.set(key, self.codec.seal_login(login), self.login_ttl)

    def delete(self, login_id: str) -> None:
        """Forgets the login `login_id`."""
        self.store.delete(self.codec.login_key(login_id))

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
