"""Running the async provider hooks (`_fetch_user`, `_fetch_groups`) for synchronous callers."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: `import flet_auth` stays fast
if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import Any, TypeVar

    _T = TypeVar("_T")


def run_sync(coro: Coroutine[Any, Any, _T]) -> _T:
    """Runs a coroutine to completion from synchronous code, even inside a running loop."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="flet-auth-sync") as pool:
        return pool.submit(asyncio.run, coro).result()
