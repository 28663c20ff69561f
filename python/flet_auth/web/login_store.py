"""`LoginStore`: the logins, logins in progress and refresh locks of one app in a
`TokenStore`, encrypted (the sync face; `LoginCodec` does the keys and the encryption)."""

import logging
import time
from typing import Optional

from flet_auth._core import LOGIN_TTL, ConfigurationError
from flet_auth.web.errors import TooManyLoginsError
from flet_auth.web.login_codec import LoginCodec
from flet_auth.web.logins import PendingLogin, StoredLogin
from flet_auth.web.stores.protocol import TokenStore

__all__ = ["DEFAULT_MAX_PENDING_LOGINS", "PENDING_PER_BROWSER", "LoginStore"]

logger = logging.getLogger("flet_auth.web")

PENDING_PER_BROWSER = 5
"""Logins in progress kept per browser: a newer one drops the oldest."""
DEFAULT_MAX_PENDING_LOGINS = 10_000
"""Logins that may begin in any `LOGIN_TTL` window (`FLET_AUTH_MAX_PENDING_LOGINS`): at most
twice this many are kept at once, whatever the number of browsers."""


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
        if (
            not isinstance(max_pending_logins, int)
            or isinstance(max_pending_logins, bool)
            or max_pending_logins < 1
        ):
            raise ConfigurationError("max_pending_logins must be a positive integer")
        self.codec = LoginCodec(secret_key, prefix=prefix)
        self.store = store
        self.login_ttl = login_ttl
        self.max_pending_logins = max_pending_logins
        self._counts = callable(getattr(store, "incr", None))
        if not self._counts:
            logger.warning(
                "%r has no incr(): logins in progress are capped per browser only", store
            )

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
        """Keeps a login in progress for the redirect back to the browser `browser_id`: the
        newest `PENDING_PER_BROWSER` of each browser, `max_pending_logins` begun per
        `LOGIN_TTL` window in all (beyond it, `TooManyLoginsError`)."""
        self._admit()
        key = self.codec.pending_key(browser_id, state)
        self.store.set(key, self.codec.seal_pending(pending), LOGIN_TTL)
        index = self.codec.pending_index_key(browser_id)
        data = self.store.get(index)
        states = (self.codec.open_states(data) if data is not None else []) + [state]
        for dropped in states[:-PENDING_PER_BROWSER]:
            self.store.delete(self.codec.pending_key(browser_id, dropped))
        self.store.set(index, self.codec.seal_states(states[-PENDING_PER_BROWSER:]), LOGIN_TTL)

    def _admit(self) -> None:
        if not self._counts:
            return
        window = int(time.time() // LOGIN_TTL)
        counter = self.codec.key("pending-count", str(window))
        begun = self.store.incr(counter, 2 * LOGIN_TTL)
        if begun > self.max_pending_logins:
            if begun == self.max_pending_logins + 1:
                logger.warning(
                    "%d logins began in %d s: more are refused until the window ends",
                    self.max_pending_logins,
                    LOGIN_TTL,
                )
            raise TooManyLoginsError("too many logins are in progress; try again in a few minutes")

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
