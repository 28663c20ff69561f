"""The cross-worker refresh: of all requests (in all workers) that find a login's token due,
one refreshes it under the store's lock; the others wait for the lock to go and use the token
the holder stored.

The sync face. An async twin makes the same store calls with `await` and uses the same
constants, `StoredLogin` and engine rules.
"""

import logging
import secrets
import time
from typing import Callable, Optional

from flet_auth._core import IDTokenError, OAuthError, OAuthToken
from flet_auth._core import TimeoutError as AuthTimeoutError
from flet_auth.web.clients import WebClient
from flet_auth.web.login_store import LoginStore
from flet_auth.web.logins import StoredLogin

__all__ = [
    "FIRST_POLL",
    "LAST_POLL",
    "LOCK_ROUNDS",
    "WAIT_MARGIN",
    "refresh_once",
    "refresh_with_engine",
]

logger = logging.getLogger("flet_auth.web")

LOCK_ROUNDS = 8
"""How many times a request tries to take the lock before it gives up."""
WAIT_MARGIN = 5.0  # seconds a waiter waits beyond the lock's own lifetime
FIRST_POLL, LAST_POLL = 0.01, 0.1  # seconds between looks at the lock, doubling


def refresh_once(
    logins: LoginStore,
    login_id: str,
    *,
    lock_ttl: float,
    refresh: Callable[[StoredLogin], Optional[StoredLogin]],
) -> Optional[StoredLogin]:
    """The login `login_id` with a usable token, refreshed once for all workers.

    Whoever takes the lock re-reads the login (another worker may have refreshed it
    meanwhile) and calls `refresh(login)` only if it is still due; the others wait for the lock
    to go, then re-read the login. Returns the login as it is then, or None when it is gone or
    `refresh` returned None (refused). Raises the engine's `TimeoutError` when the lock
    holder does not finish in time.
    """
    owner = secrets.token_hex(16)
    deadline = time.monotonic() + lock_ttl + WAIT_MARGIN
    for _ in range(LOCK_ROUNDS):
        if logins.acquire(login_id, owner, lock_ttl):
            try:
                fresh = logins.read(login_id)
                if fresh is None or not fresh.token.needs_refresh():
                    return fresh
                return refresh(fresh)
            finally:
                logins.release(login_id, owner)
        _wait_unlocked(logins, login_id, deadline)
        fresh = logins.read(login_id)
        if fresh is None or not fresh.token.needs_refresh():
            return fresh
        if time.monotonic() >= deadline:
            break
    raise AuthTimeoutError("the token is being refreshed by another request that did not finish")


def _wait_unlocked(logins: LoginStore, login_id: str, deadline: float) -> None:
    delay = FIRST_POLL
    while time.monotonic() < deadline and logins.locked(login_id):
        time.sleep(delay)
        delay = min(delay * 2, LAST_POLL)


def refresh_with_engine(
    client: WebClient, logins: LoginStore, login_id: str, login: StoredLogin
) -> Optional[StoredLogin]:
    """Refreshes the login's token with the provider and stores every new token before it is
    used (so a rotated refresh token is never lost). None when the provider refused: the
    grant is gone (revoked, expired, reused) or the new ID token is not to be trusted."""
    written: list[StoredLogin] = []

    def save(token: OAuthToken) -> None:
        new = login.with_token(token)
        logins.write(login_id, new)
        written.append(new)

    service = client.new_service(on_token_update=save, load_user=False)
    try:
        service.dehydrate_token_sync(login.token_json)
    except (OAuthError, IDTokenError) as e:
        logger.info("the refresh was refused (%s); the login is forgotten", type(e).__name__)
        return None
    return written[-1] if written else login
