"""Browsers played with httpx against the apps under test."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import httpx

JSON = {"Accept": "application/json"}
"""The headers of a request from an API client (answered with JSON, never a redirect)."""


def get_at_once(
    base_url: str,
    session: str,
    path: str,
    count: int,
    headers: dict[str, str],
    cookie: str = "session",
) -> list[httpx.Response]:
    """`count` GETs of `path` with `session` as the cookie `cookie`, each on its own
    connection and released together, so that they reach the workers at the same moment."""
    barrier = Barrier(count)

    def fetch(_: int) -> httpx.Response:
        with httpx.Client(base_url=base_url, cookies={cookie: session}, timeout=30) as c:
            barrier.wait(timeout=10)
            return c.get(path, headers=headers)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(fetch, range(count)))
