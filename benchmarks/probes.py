"""Where a login's time goes in flet-auth: its parts measured one at a time (the `probe` task).

Every probe runs the same operation many times on one asyncio loop and reports per operation:
wall time, CPU of the process (every thread), CPU of the loop's thread, and context switches
of the process. `get_token()` on a valid token is one trip through the asyncio bridge and
nothing else, so it prices the bridge alone; `fetch_json` adds one HTTPS GET and the JSON
conversion; httpx's GET is the pure-Python reference for the same request.
"""

import asyncio
import os
import time
from typing import Any, Awaitable, Callable

from loadgen import context_switches
from payloads import CLIENT_ID, CLIENT_SECRET, CODE, REDIRECT_URL


async def measure(
    op: Callable[[], Awaitable[object]], count: int, batch: int = 1
) -> dict[str, Any]:
    """Runs `op` `count` times, `batch` at a time (concurrently); costs per operation."""
    for _ in range(max(1, count // 20)):  # warm-up
        await op()
    switches, loop_cpu = context_switches(), time.thread_time()
    cpu, started = time.process_time(), time.perf_counter()
    for _ in range(count // batch):
        if batch == 1:
            await op()
        else:
            await asyncio.gather(*(op() for _ in range(batch)))
    done = count // batch * batch
    per = 1e6 / done
    return {
        "wall_us": (time.perf_counter() - started) * per,
        "cpu_us": (time.process_time() - cpu) * per,
        "loop_cpu_us": (time.thread_time() - loop_cpu) * per,
        "switches": (context_switches() - switches) / done,
        "threads": len(os.listdir("/proc/self/task")),
    }


async def run(base: str, count: int) -> dict[str, Any]:
    import httpx

    from flet_auth import AuthorizationService, OAuthProvider
    from flet_auth.user import User

    user_url = base + "/userinfo"
    provider = OAuthProvider(
        CLIENT_ID,
        CLIENT_SECRET,
        base + "/authorize",
        base + "/token",
        REDIRECT_URL,
        user_endpoint=user_url,
        user_id_fn=lambda u: u["sub"],
    )
    service = AuthorizationService(provider, fetch_user=False, fetch_groups=False)
    await service.request_token(CODE)
    client = httpx.AsyncClient()

    async def construct() -> None:
        AuthorizationService(provider, fetch_user=True, fetch_groups=False)

    async def python_glue() -> None:
        await provider._fetch_user("token")
        User({"sub": "1001", "name": "Alice"}, "1001")

    async def httpx_get() -> None:
        (await client.get(user_url, headers={"Authorization": "Bearer x"})).json()

    async def login() -> None:
        s = AuthorizationService(provider, fetch_user=True, fetch_groups=False)
        await s.request_token(CODE)

    probes: dict[str, tuple[Callable[[], Awaitable[object]], int]] = {
        "AuthorizationService() construction": (construct, 1),
        "Python glue of _load_user (no request)": (python_glue, 1),
        "get_token(), valid token: one bridge trip": (service.get_token, 1),
        "get_token(), valid token, 50 at a time": (service.get_token, 50),
        "fetch_json(user) over HTTPS: bridge + GET + JSON": (
            lambda: service._core.fetch_json(user_url),
            1,
        ),
        "httpx GET user over HTTPS + .json() (reference)": (httpx_get, 1),
        "whole login over HTTPS (POST + GET)": (login, 1),
    }
    try:
        return {name: await measure(op, count, batch) for name, (op, batch) in probes.items()}
    finally:
        await client.aclose()
