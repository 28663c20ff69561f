"""`LoginCodec`: how logins become store keys and encrypted values, and back. No I/O, so a
sync and an async store share it."""

import hashlib
import json
import logging
from typing import Optional

from flet_auth._core import ConfigurationError, InvalidToken
from flet_auth.security import SecretBox
from flet_auth.web.logins import PendingLogin, StoredLogin

__all__ = ["LoginCodec"]

logger = logging.getLogger("flet_auth.web")


class LoginCodec:
    """Keys are digests of the secrets they are found by (login ids, states), so the store
    holds neither; values are encrypted with `secret_key`. A value that cannot be decrypted
    (the key changed) or parsed reads as nothing."""

    def __init__(self, secret_key: str, *, prefix: str) -> None:
        if not secret_key:
            raise ConfigurationError("the login store needs a secret key")
        self.prefix = prefix
        # The key is derived once per process (and once per other process's salt), not per
        # record: 80 ms of PBKDF2 on every request would be the app's whole budget.
        self._box = SecretBox(secret_key)

    def key(self, kind: str, secret: str) -> str:
        """The store key of a secret (a login id, a state): a digest of it."""
        return f"{self.prefix}{kind}:{hashlib.sha256(secret.encode()).hexdigest()}"

    def login_key(self, login_id: str) -> str:
        """The key of the login `login_id`."""
        return self.key("login", login_id)

    def pending_key(self, browser_id: str, state: str) -> str:
        """The key of a login in progress: bound to the browser that started it and its
        `state`, so a redirect delivered to another browser finds nothing (login CSRF)."""
        return self.key("pending", f"{browser_id}:{state}")

    def pending_index_key(self, browser_id: str) -> str:
        """The key of the list of a browser's logins in progress (their states)."""
        return self.key("pending-index", browser_id)

    def lock_key(self, login_id: str) -> str:
        """The key of the refresh lock of the login `login_id`."""
        return self.key("lock", login_id)

    def would_derive(self, data: Optional[str] = None) -> bool:
        """Whether sealing a value (`data` None) or opening `data` would first derive a key
        (about 80 ms): an async store runs only those calls off its event loop."""
        return self._box.would_derive(data)

    def seal_login(self, login: StoredLogin) -> str:
        """The encrypted value of a login."""
        return self._box.encrypt(login.dumps())

    def open_login(self, data: str) -> Optional[StoredLogin]:
        """The login in an encrypted value, or None (with a warning) when it is unreadable."""
        try:
            return StoredLogin.loads(self._box.decrypt(data))
        except InvalidToken:
            logger.warning(
                "a stored login cannot be decrypted (was the secret key changed?); "
                "it counts as logged out"
            )
        except (ValueError, KeyError, TypeError):
            logger.warning("a stored login is damaged; it counts as logged out")
        return None

    def seal_pending(self, pending: PendingLogin) -> str:
        """The encrypted value of a login in progress."""
        return self._box.encrypt(pending.dumps())

    def open_pending(self, data: str) -> Optional[PendingLogin]:
        """The login in progress in an encrypted value, or None when it is unreadable."""
        try:
            return PendingLogin.loads(self._box.decrypt(data))
        except ValueError:  # InvalidToken is a ValueError
            return None

    def seal_states(self, states: list[str]) -> str:
        """The encrypted value of a browser's list of states, oldest first."""
        return self._box.encrypt(json.dumps(states))

    def open_states(self, data: str) -> list[str]:
        """The states in an encrypted list; empty when it is unreadable."""
        try:
            states = json.loads(self._box.decrypt(data))
        except ValueError:  # InvalidToken and JSONDecodeError are ValueErrors
            return []
        if not isinstance(states, list):
            return []
        return [s for s in states if isinstance(s, str)]

    def __repr__(self) -> str:
        return f"LoginCodec(prefix={self.prefix!r})"
