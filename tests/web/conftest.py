"""Fixtures of the web-core tests: a real redis-server, and each kind of store on it or on
a real SQLite file."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from flask_apps.processes import RedisServer
from flet_auth.web.stores import RedisStore, SQLiteStore, TokenStore


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """A real `redis-server` on a loopback port, for the tests of one module."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> TokenStore:
    """A `SQLiteStore` in a fresh file, or a `RedisStore` on an emptied database."""
    if request.param == "sqlite":
        return SQLiteStore(tmp_path / "store.sqlite3")
    redis_server: RedisServer = request.getfixturevalue("redis_server")
    redis_server.client().flushdb()
    return RedisStore(redis_server.url)
