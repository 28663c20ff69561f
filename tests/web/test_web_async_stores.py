"""The async stores against the real thing (a SQLite file, a real redis-server, memory): the
behaviours of the sync stores, their shared rules, and no blocking call on the event loop."""

import asyncio
import sqlite3
from pathlib import Path

import pytest

from flask_apps.processes import RedisServer, free_port
from flet_auth import ConfigurationError
from flet_auth.web.errors import StoreUnavailableError
from flet_auth.web.stores import (
    AsyncMemoryStore,
    AsyncRedisStore,
    AsyncSQLiteStore,
    AsyncTokenStore,
    MemoryStore,
    OffLoopStore,
    SQLiteStore,
    async_store_from_setting,
    is_async_token_store,
    open_async_store,
)
from flet_auth.web.stores.redis_changes import SUBSCRIBER_NAME


async def test_a_value_is_read_back_until_it_expires(async_store: AsyncTokenStore) -> None:
    await async_store.set("k", "v", 2.0)  # long enough for a loaded machine's thread hop
    assert await async_store.get("k") == "v"
    await asyncio.sleep(2.2)
    assert await async_store.get("k") is None


async def test_a_counter_counts_up_concurrently(async_store: AsyncTokenStore) -> None:
    results = await asyncio.gather(*(async_store.incr("counter", 60) for _ in range(10)))
    assert sorted(results) == list(range(1, 11))


async def test_set_replaces_a_value(async_store: AsyncTokenStore) -> None:
    await async_store.set("k", "one", 60)
    await async_store.set("k", "two", 60)
    assert await async_store.get("k") == "two"


async def test_pop_gives_a_value_to_one_of_concurrent_tasks(async_store: AsyncTokenStore) -> None:
    await async_store.set("k", "v", 60)
    results = await asyncio.gather(*(async_store.pop("k") for _ in range(10)))
    assert results.count("v") == 1 and results.count(None) == 9


async def test_delete_removes_a_value_and_ignores_an_absent_key(
    async_store: AsyncTokenStore,
) -> None:
    await async_store.set("k", "v", 60)
    await async_store.delete("k")
    await async_store.delete("never-set")
    assert await async_store.get("k") is None


async def test_a_lock_is_held_by_one_owner_until_released(async_store: AsyncTokenStore) -> None:
    assert await async_store.acquire("lock", "a", 60)
    assert await async_store.locked("lock")
    assert not await async_store.acquire("lock", "b", 60)
    await async_store.release("lock", "b")  # not the owner: nothing happens
    assert await async_store.locked("lock")
    await async_store.release("lock", "a")
    assert not await async_store.locked("lock")


async def test_a_lock_expires_after_its_ttl(async_store: AsyncTokenStore) -> None:
    assert await async_store.acquire("lock", "crashed-worker", 1.0)
    await asyncio.sleep(1.2)
    assert await async_store.acquire("lock", "b", 60)


async def test_of_concurrent_tasks_one_gets_the_lock(async_store: AsyncTokenStore) -> None:
    results = await asyncio.gather(
        *(async_store.acquire("lock", f"owner-{i}", 60) for i in range(10))
    )
    assert results.count(True) == 1


async def test_the_async_sqlite_store_shares_the_file_and_rules_of_the_sync_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.sqlite3"
    SQLiteStore(path).set("k", "written by a sync worker", 60)
    assert await AsyncSQLiteStore(path).get("k") == "written by a sync worker"
    assert path.stat().st_mode & 0o777 == 0o600


async def test_a_locked_sqlite_file_does_not_block_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = AsyncSQLiteStore(path)
    await store.set("k", "v", 60)
    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's write transaction
    try:
        write = asyncio.ensure_future(store.set("k", "w", 60))
        await asyncio.sleep(0.3)
        # On the loop, the write would have held it for SQLite's 5 s busy timeout and failed.
        assert not write.done()
    finally:
        holder.execute("COMMIT")
        holder.close()
    await write
    assert await store.get("k") == "w"


async def test_an_unreachable_redis_raises_store_unavailable_without_its_password() -> None:
    store = AsyncRedisStore(f"redis://:hunter2@127.0.0.1:{free_port()}/0", connect_timeout=1.0)
    with pytest.raises(StoreUnavailableError) as caught:
        await store.get("k")
    assert "hunter2" not in str(caught.value) and "***" in str(caught.value)
    assert "hunter2" not in repr(store)


def test_an_async_redis_url_that_cannot_be_parsed_is_refused_without_its_text() -> None:
    with pytest.raises(ConfigurationError) as caught:
        AsyncRedisStore("redis://:hunter2@[::1/0")
    assert "hunter2" not in str(caught.value)


async def test_redis_going_away_raises_store_unavailable_and_its_return_keeps_the_data(
    redis_server: RedisServer,
) -> None:
    store = AsyncRedisStore(redis_server.url)
    await store.set("k", "v", 60)
    redis_server.stop(save=True)
    try:
        with pytest.raises(StoreUnavailableError):
            await store.get("k")
    finally:
        redis_server.start()
    assert await store.get("k") == "v"


def test_the_async_redis_store_works_on_one_event_loop_after_another(
    redis_server: RedisServer,
) -> None:
    store = AsyncRedisStore(redis_server.url)
    asyncio.run(store.set("k", "v", 60))
    assert asyncio.run(store.get("k")) == "v"  # a second loop: the first one's client is closed


def test_the_async_memory_store_is_the_sync_memory_store() -> None:
    sync = MemoryStore()
    sync.set("k", "v", 60)
    assert asyncio.run(AsyncMemoryStore(sync).get("k")) == "v"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("redis://127.0.0.1:6379/0", AsyncRedisStore),
        ("unix:///run/redis.sock", AsyncRedisStore),
        ("sqlite:////var/lib/app/store.sqlite3", AsyncSQLiteStore),
        ("relative/store.sqlite3", AsyncSQLiteStore),
    ],
)
def test_open_async_store_reads_urls_as_open_store_does(url: str, kind: type) -> None:
    assert isinstance(open_async_store(url), kind)
    with pytest.raises(ConfigurationError, match="scheme"):
        open_async_store("memcached://127.0.0.1")


def test_an_async_store_setting_takes_async_stores_and_runs_sync_ones_off_the_loop(
    tmp_path: Path,
) -> None:
    default = str(tmp_path / "default.sqlite3")
    own = AsyncMemoryStore()
    assert async_store_from_setting(own, default) is own
    sync = SQLiteStore(tmp_path / "own.sqlite3")
    wrapped = async_store_from_setting(sync, default)
    assert isinstance(wrapped, OffLoopStore) and wrapped.sync is sync
    assert is_async_token_store(wrapped) and not is_async_token_store(sync)
    fallback = async_store_from_setting(None, default)
    assert isinstance(fallback, AsyncSQLiteStore) and str(fallback.sync.path) == default
    with pytest.raises(ConfigurationError, match="FLET_AUTH_STORE"):
        async_store_from_setting(42, default)


async def test_the_async_redis_store_bounds_its_connections(redis_server: RedisServer) -> None:
    checker = redis_server.client()
    checker.flushdb()

    def pool_clients() -> int:
        # Less the login caches' subscribers (pub/sub, not the pool's).
        return sum(1 for c in checker.client_list() if c["name"] != SUBSCRIBER_NAME)

    before = pool_clients()  # this checker and what other tests left open
    store = AsyncRedisStore(redis_server.url)  # at most 64 connections
    await store.set("k", "v", 60)
    values = await asyncio.gather(*(store.get("k") for _ in range(300)))
    assert values == ["v"] * 300
    assert pool_clients() - before <= 64  # not one per concurrent call
    await store.aclose()
