"""Fixtures of the web-core tests: a real redis-server, and each kind of store (sync and
async) on it, on a real SQLite file or in memory."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from flask_apps.processes import RedisServer
from flet_auth.web.stores import (
    AsyncMemoryStore,
    AsyncRedisStore,
    AsyncSQLiteStore,
    AsyncTokenStore,
    MemoryStore,
    RedisStore,
    SQLiteStore,
    TokenStore,
)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """A real `redis-server` on a loopback port, for the tests of one module."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(params=["sqlite", "redis", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> TokenStore:
    """A `SQLiteStore` in a fresh file, a `RedisStore` on an emptied database, a
    `MemoryStore`."""
    if request.param == "sqlite":
        return SQLiteStore(tmp_path / "store.sqlite3")
    if request.param == "memory":
        return MemoryStore()
    redis_server: RedisServer = request.getfixturevalue("redis_server")
    redis_server.client().flushdb()
    return RedisStore(redis_server.url)


@pytest.fixture(params=["sqlite", "redis", "memory"])
def async_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncTokenStore:
    """An `AsyncSQLiteStore` in a fresh file, an `AsyncRedisStore` on an emptied database, an
    `AsyncMemoryStore`."""
    if request.param == "sqlite":
        return AsyncSQLiteStore(tmp_path / "store.sqlite3")
    if request.param == "memory":
        return AsyncMemoryStore()
    redis_server: RedisServer = request.getfixturevalue("redis_server")
    redis_server.client().flushdb()
    return AsyncRedisStore(redis_server.url)
