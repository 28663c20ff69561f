"""The cross-worker refresh of `refresh`, for async apps: the same lock, re-reads and
constants, with the store's and the engine's coroutines (`await service.get_token()`), and
`asyncio.sleep` between looks at the lock."""

import asyncio
import logging
import secrets
import time
from typing import Awaitable, Callable, Optional

from flet_auth._core import IDTokenError, OAuthError, OAuthToken
from flet_auth._core import TimeoutError as AuthTimeoutError
from flet_auth.providers.openid_provider import ensure_discovered
from flet_auth.web.async_login_store import AsyncLoginStore
from flet_auth.web.clients import WebClient
from flet_auth.web.logins import StoredLogin
from flet_auth.web.refresh import FIRST_POLL, LAST_POLL, LOCK_ROUNDS, WAIT_MARGIN

__all__ = ["refresh_in_flight", "refresh_once_async", "refresh_with_engine_async"]

logger = logging.getLogger("flet_auth.web")


async def refresh_once_async(
    logins: AsyncLoginStore,
    login_id: str,
    *,
    lock_ttl: float,
    refresh: Callable[[StoredLogin], Awaitable[Optional[StoredLogin]]],
) -> Optional[StoredLogin]:
    """`refresh_once` with awaits: the login with a usable token, refreshed once for all
    workers and tasks (whoever takes the lock re-reads it and refreshes only if still due);
    None when it is gone or refused; the engine's `TimeoutError` when the holder is too slow."""
    owner = secrets.token_hex(16)
    deadline = time.monotonic() + lock_ttl + WAIT_MARGIN
    for _ in range(LOCK_ROUNDS):
        if await logins.acquire(login_id, owner, lock_ttl):
            try:
                fresh = await logins.read(login_id)
                if fresh is None or not fresh.token.needs_refresh():
                    return fresh
                return await refresh(fresh)
            finally:
                await logins.release(login_id, owner)
        await _wait_unlocked(logins, login_id, deadline)
        fresh = await logins.read(login_id)
        if fresh is None or not fresh.token.needs_refresh():
            return fresh
        if time.monotonic() >= deadline:
            break
    raise AuthTimeoutError("the token is being refreshed by another request that did not finish")


_FLIGHTS: dict[tuple[int, int, str], "asyncio.Future[Optional[StoredLogin]]"] = {}


async def refresh_in_flight(
    logins: AsyncLoginStore,
    login_id: str,
    *,
    lock_ttl: float,
    refresh: Callable[[StoredLogin], Awaitable[Optional[StoredLogin]]],
) -> Optional[StoredLogin]:
    """`refresh_once_async`, joined by the other tasks of this process and event loop that
    find the same login due meanwhile: one of them goes to the store's lock (and to the
    provider), the others await its answer instead of each polling the store."""
    key = (id(asyncio.get_running_loop()), id(logins), login_id)
    flight = _FLIGHTS.get(key)
    if flight is None:
        flight = asyncio.ensure_future(
            refresh_once_async(logins, login_id, lock_ttl=lock_ttl, refresh=refresh)
        )
        _FLIGHTS[key] = flight
        flight.add_done_callback(lambda _: _FLIGHTS.pop(key, None))
    return await asyncio.shield(flight)


async def _wait_unlocked(logins: AsyncLoginStore, login_id: str, deadline: float) -> None:
    delay = FIRST_POLL
    while time.monotonic() < deadline and await logins.locked(login_id):
        await asyncio.sleep(delay)
        delay = min(delay * 2, LAST_POLL)


async def refresh_with_engine_async(
    client: WebClient, logins: AsyncLoginStore, login_id: str, login: StoredLogin
) -> Optional[StoredLogin]:
    """`refresh_with_engine` with awaits: every new token is stored before it is used; None
    when the provider refused the refresh or the new ID token is not to be trusted."""
    written: list[StoredLogin] = []

    async def save(token: OAuthToken) -> None:
        new = login.with_token(token)
        await logins.write(login_id, new)
        written.append(new)

    await ensure_discovered(client.provider)
    service = client.new_service(on_token_update=save, load_user=False)
    try:
        await service.dehydrate_token(login.token_json)
    except (OAuthError, IDTokenError) as e:
        logger.info("the refresh was refused (%s); the login is forgotten", type(e).__name__)
        return None
    return written[-1] if written else login
