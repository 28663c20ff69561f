"""The refresh storm: 1,000 concurrent `get_token()` calls on one expired token.

Each peer logs in against its token endpoint, `/refresh` (nginx answers at once) or
`/refresh_slow` (the same answer after a fixed delay, a provider's latency); the canned answer
is a rotated token. Then: one refresh alone, several times (its latency), 1,000 concurrent calls
on a valid token (the cost of the calls themselves), and the storm. The refresh requests are
counted in nginx's log. The asyncio floor (1,000 tasks answered by one shared future) is the
least any library needs.
"""

import asyncio
import statistics
import time
from typing import Any, Optional

from nginx import read_log
from payloads import CLIENT_ID, CLIENT_SECRET, CODE, REDIRECT_URL


class OursStorm:
    name = "flet-auth"

    async def setup(self, base: str, token_path: str) -> None:
        from flet_auth import AuthorizationService, OAuthProvider

        provider = OAuthProvider(
            CLIENT_ID, CLIENT_SECRET, base + "/authorize", base + token_path, REDIRECT_URL
        )
        self.service = AuthorizationService(provider, fetch_user=False, fetch_groups=False)
        await self.service.request_token(CODE)

    async def expire(self) -> None:
        token = await self.service.get_token()
        assert token is not None
        token.expires_at = 0

    async def get_token(self) -> Any:
        token = await self.service.get_token()
        return token.expires_at if token else 0

    async def close(self) -> None:
        pass


class FletStorm(OursStorm):
    name = "flet.auth"

    async def setup(self, base: str, token_path: str) -> None:
        from flet.auth import OAuthProvider
        from flet.auth.authorization_service import AuthorizationService

        provider = OAuthProvider(
            CLIENT_ID, CLIENT_SECRET, base + "/authorize", base + token_path, REDIRECT_URL
        )
        self.service = AuthorizationService(provider, fetch_user=False, fetch_groups=False)
        await self.service.request_token(CODE)


class AuthlibStorm(OursStorm):
    """One shared `AsyncOAuth2Client`; `ensure_active_token` is what every request awaits."""

    name = "authlib-shared"

    async def setup(self, base: str, token_path: str) -> None:
        from peers import new_authlib_client

        self.client = new_authlib_client()
        self.client.metadata["token_endpoint"] = base + token_path
        await self.client.fetch_token(base + token_path, code=CODE)

    async def expire(self) -> None:
        self.client.token["expires_at"] = 0

    async def get_token(self) -> Any:
        await self.client.ensure_active_token(self.client.token)
        return self.client.token.get("expires_at")

    async def close(self) -> None:
        await self.client.aclose()


STORM_PEERS = {p.name: p for p in (OursStorm, FletStorm, AuthlibStorm)}


async def _concurrent(peer: Any, callers: int, timeout: float) -> dict[str, Any]:
    """`callers` concurrent get_token() calls: time to all answered, answers, errors."""
    done: list[float] = []
    answers: list[Any] = []
    errors: list[str] = []

    async def caller() -> None:
        try:
            answers.append(await peer.get_token())
        except Exception as e:
            errors.append(f"{type(e).__name__}: {e}")
        done.append(time.perf_counter())

    started = time.perf_counter()
    tasks = [asyncio.ensure_future(caller()) for _ in range(callers)]
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return {
        "answered": len(answers),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "timed_out": bool(pending),
        "first_answer_ms": (min(done) - started) * 1000 if done else None,
        "all_answered_ms": (max(done) - started) * 1000 if not pending else None,
        "answers": answers,
    }


async def asyncio_floor(callers: int) -> float:
    """ms for `callers` tasks awaiting one shared future to all get its result: the least any
    asyncio library can take to answer them, measured in this process."""
    loop = asyncio.get_running_loop()
    shared = loop.create_future()

    async def caller() -> Any:
        return await shared

    started = time.perf_counter()
    tasks = [asyncio.ensure_future(caller()) for _ in range(callers)]
    loop.call_soon(shared.set_result, 0)
    await asyncio.gather(*tasks)
    return (time.perf_counter() - started) * 1000


async def run(
    peer_name: str,
    base: str,
    log: str,
    callers: int,
    timeout: float,
    token_path: str = "/refresh",
) -> dict[str, Any]:
    """The whole storm measurement of one peer against `base + token_path` (see the module
    docstring)."""
    import os

    peer = STORM_PEERS[peer_name]()
    await peer.setup(base, token_path)
    try:
        singles = []
        for _ in range(15):
            await peer.expire()
            started = time.perf_counter()
            await peer.get_token()
            singles.append((time.perf_counter() - started) * 1000)
        valid = await _concurrent(peer, callers, timeout)
        await peer.expire()
        log_start = os.path.getsize(log)
        storm = await _concurrent(peer, callers, timeout)
        await asyncio.sleep(0.2)  # let nginx write the last lines
        refreshes = [line for line in read_log(log, log_start) if line.uri == token_path]
        now = time.time()
        answers: list[Optional[float]] = storm.pop("answers")
        valid.pop("answers")
        one_refresh = statistics.median(singles)
        return {
            **storm,
            "callers": callers,
            "token_path": token_path,
            "refresh_requests": len(refreshes),
            "one_refresh_ms": one_refresh,
            "ratio_to_one_refresh": (storm["all_answered_ms"] or float("inf")) / one_refresh,
            "all_fresh": len(answers) == callers and all(a is None or a > now for a in answers),
            "valid_token_calls_ms": valid["all_answered_ms"],
            "asyncio_floor_ms": statistics.median([await asyncio_floor(callers) for _ in range(5)]),
        }
    finally:
        await peer.close()
