"""The token stores against the real thing: a SQLite file and a real redis-server. Expiring
values, single-taker `pop`, owner-checked locks, and typed errors when a store is away."""

import threading
import time
from pathlib import Path
from typing import Callable

import pytest

from flask_apps.processes import RedisServer, free_port
from flet_auth import ConfigurationError
from flet_auth.web.errors import StoreUnavailableError
from flet_auth.web.stores import (
    RedisStore,
    SQLiteStore,
    TokenStore,
    open_store,
    store_from_setting,
)


def at_once(count: int, call: Callable[[int], object]) -> list[object]:
    """Runs `call(i)` in `count` threads released together; their results in order."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        barrier.wait(timeout=10)
        results[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_a_value_is_read_back_until_it_expires(store: TokenStore) -> None:
    store.set("k", "v", 0.3)
    assert store.get("k") == "v"
    time.sleep(0.5)
    assert store.get("k") is None


def test_set_replaces_a_value(store: TokenStore) -> None:
    store.set("k", "one", 60)
    store.set("k", "two", 60)
    assert store.get("k") == "two"


def test_pop_gives_a_value_to_one_caller_only(store: TokenStore) -> None:
    store.set("k", "v", 60)
    results = at_once(10, lambda _: store.pop("k"))
    assert results.count("v") == 1 and results.count(None) == 9
    assert store.get("k") is None


def test_delete_removes_a_value_and_ignores_an_absent_key(store: TokenStore) -> None:
    store.set("k", "v", 60)
    store.delete("k")
    store.delete("never-set")
    assert store.get("k") is None


def test_a_lock_is_held_by_one_owner_until_released(store: TokenStore) -> None:
    assert store.acquire("lock", "a", 60)
    assert store.locked("lock")
    assert not store.acquire("lock", "b", 60)
    store.release("lock", "a")
    assert not store.locked("lock")
    assert store.acquire("lock", "b", 60)


def test_only_the_owner_releases_a_lock(store: TokenStore) -> None:
    assert store.acquire("lock", "a", 60)
    store.release("lock", "b")
    assert store.locked("lock")


def test_a_lock_expires_after_its_ttl(store: TokenStore) -> None:
    assert store.acquire("lock", "crashed-worker", 0.3)
    time.sleep(0.5)
    assert not store.locked("lock")
    assert store.acquire("lock", "b", 60)


def test_of_concurrent_owners_one_gets_the_lock(store: TokenStore) -> None:
    results = at_once(10, lambda i: store.acquire("lock", f"owner-{i}", 60))
    assert results.count(True) == 1


def test_a_counter_counts_up_until_it_expires(store: TokenStore) -> None:
    assert [store.incr("counter", 0.3) for _ in range(3)] == [1, 2, 3]
    time.sleep(0.5)
    assert store.incr("counter", 0.3) == 1


def test_concurrent_increments_are_all_counted(store: TokenStore) -> None:
    results = at_once(10, lambda i: store.incr("counter", 60))
    assert sorted(results) == list(range(1, 11))  # type: ignore[type-var]


def test_the_sqlite_file_is_private(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "deep" / "store.sqlite3")
    store.set("k", "v", 60)
    assert (tmp_path / "deep" / "store.sqlite3").stat().st_mode & 0o777 == 0o600


def test_an_sqlite_store_that_cannot_be_opened_raises_store_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    store = SQLiteStore(blocker / "store.sqlite3")
    with pytest.raises(StoreUnavailableError, match="cannot be opened"):
        store.get("k")


def test_an_unreachable_redis_raises_store_unavailable_without_its_password() -> None:
    store = RedisStore(f"redis://:hunter2@127.0.0.1:{free_port()}/0", connect_timeout=1.0)
    with pytest.raises(StoreUnavailableError) as caught:
        store.get("k")
    assert "hunter2" not in str(caught.value) and "***" in str(caught.value)


CREDENTIAL_URLS = [
    "redis://127.0.0.1:{port}/0?password=hunter2",
    "redis://127.0.0.1:{port}/0?username=app&password=hunter2",
    "redis://:hunter2@127.0.0.1:{port}/0",
    "rediss://app:hunter2@127.0.0.1:{port}/0?ssl_password=hunter2",
    "unix:///run/redis.sock?db=0&password=hunter2",
    "redis://127.0.0.1:{port}/0?db=1&password=hunter2#hunter2",
]


@pytest.mark.parametrize("url", CREDENTIAL_URLS)
def test_no_credential_of_a_redis_url_shows_in_the_repr(url: str) -> None:
    store = RedisStore(url.format(port=free_port()))
    assert "hunter2" not in repr(store) and "***" in repr(store)


@pytest.mark.parametrize("url", CREDENTIAL_URLS)
def test_no_credential_of_a_redis_url_shows_in_store_unavailable(url: str) -> None:
    store = RedisStore(url.format(port=free_port()), connect_timeout=1.0)
    with pytest.raises(StoreUnavailableError) as caught:
        store.get("k")
    assert "hunter2" not in str(caught.value) and "***" in str(caught.value)


def test_a_redis_url_that_cannot_be_parsed_is_refused_without_its_text() -> None:
    with pytest.raises(ConfigurationError) as caught:
        RedisStore("redis://:hunter2@[::1/0")
    assert "hunter2" not in str(caught.value)


def test_redis_going_away_raises_store_unavailable_and_its_return_keeps_the_data(
    redis_server: RedisServer,
) -> None:
    store = RedisStore(redis_server.url)
    store.set("k", "v", 60)
    redis_server.stop(save=True)
    try:
        with pytest.raises(StoreUnavailableError):
            store.get("k")
    finally:
        redis_server.start()
    assert store.get("k") == "v"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("redis://127.0.0.1:6379/0", RedisStore),
        ("rediss://127.0.0.1:6380/0", RedisStore),
        ("unix:///run/redis.sock", RedisStore),
        ("sqlite:////var/lib/app/store.sqlite3", SQLiteStore),
        ("/var/lib/app/store.sqlite3", SQLiteStore),
        ("relative/store.sqlite3", SQLiteStore),
    ],
)
def test_open_store_picks_the_store_by_its_url(url: str, kind: type) -> None:
    assert isinstance(open_store(url), kind)


def test_open_store_refuses_unknown_schemes_and_relative_sqlite_urls() -> None:
    with pytest.raises(ConfigurationError, match="scheme"):
        open_store("memcached://127.0.0.1")
    with pytest.raises(ConfigurationError, match="absolute"):
        open_store("sqlite://relative.db")
    with pytest.raises(ConfigurationError):
        open_store("")


def test_without_a_store_setting_the_store_is_sqlite_at_the_default_path(tmp_path: Path) -> None:
    store = store_from_setting(None, str(tmp_path / "default.sqlite3"))
    assert isinstance(store, SQLiteStore) and store.path == tmp_path / "default.sqlite3"


def test_an_object_with_the_store_methods_is_taken_as_the_store(tmp_path: Path) -> None:
    own = SQLiteStore(tmp_path / "own.sqlite3")
    assert store_from_setting(own, str(tmp_path / "default.sqlite3")) is own


def test_a_store_setting_that_is_neither_url_nor_store_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="FLET_AUTH_STORE"):
        store_from_setting(42, str(tmp_path / "default.sqlite3"))
