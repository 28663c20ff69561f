"""The per-worker cache of logins over a real redis-server: two `LoginStore`s stand for two
workers (each with its own subscriber). A copy serves a request's read; a write or delete
in one drops the other's copy; while the change feed is down the cache is off, and it is
emptied when the feed is back; a refresh re-reads the store, never the copy."""

import asyncio
import time
from typing import Any, Optional

import pytest

from flask_apps.processes import RedisServer, wait_for
from flet_auth import OAuthToken
from flet_auth._core import ConfigurationError
from flet_auth.web.async_login_store import AsyncLoginStore
from flet_auth.web.login_cache import LoginCache
from flet_auth.web.login_store import LoginStore
from flet_auth.web.logins import StoredLogin
from flet_auth.web.refresh import refresh_once
from flet_auth.web.stores import AsyncRedisStore, MemoryStore, RedisStore, SQLiteStore
from web.helpers import SECRET_KEY, login_store

LOGIN_ID = "the-login-id-of-a-browser"
LONG = 600.0  # a copy's lifetime in these tests: only an announcement can drop it


def login(access_token: str, expires_in: int = 3600) -> StoredLogin:
    token = OAuthToken.from_json(
        f'{{"access_token":"{access_token}","refresh_token":"r","expires_in":{expires_in}}}'
    )
    return StoredLogin.of("mock", token, None)


def access_token(found: Optional[StoredLogin]) -> Optional[str]:
    return None if found is None else found.token.access_token


def worker(redis_server: RedisServer, **kwargs: Any) -> LoginStore:
    kwargs.setdefault("cache_ttl", LONG)
    return login_store(RedisStore(redis_server.url), **kwargs)


def live(logins: LoginStore) -> LoginStore:
    """`logins` with its change feed subscribed (its first cached read starts it)."""
    logins.read_cached("nobody")
    assert logins.cache is not None
    cache = logins.cache
    wait_for(lambda: cache.live, "the change feed subscribed", 10)
    return logins


def overwrite_unannounced(logins: LoginStore, new: StoredLogin) -> None:
    """Changes the stored login behind the workers' backs (no announcement)."""
    key = logins.codec.login_key(LOGIN_ID)
    logins.store.set(key, logins.codec.seal_login(new), 3600)


@pytest.fixture
def redis(redis_server: RedisServer) -> RedisServer:
    redis_server.client().flushdb()
    return redis_server


def test_a_cached_read_is_served_from_the_workers_copy(redis: RedisServer) -> None:
    a = live(worker(redis))
    a.write(LOGIN_ID, login("first"))
    assert access_token(a.read_cached(LOGIN_ID)) == "first"
    overwrite_unannounced(a, login("second"))
    assert access_token(a.read_cached(LOGIN_ID)) == "first"
    assert access_token(a.read(LOGIN_ID)) == "second"


def test_a_delete_in_one_worker_drops_the_copy_of_another(redis: RedisServer) -> None:
    a, b = live(worker(redis)), live(worker(redis))
    a.write(LOGIN_ID, login("first"))
    assert access_token(b.read_cached(LOGIN_ID)) == "first"
    a.delete(LOGIN_ID)
    wait_for(lambda: b.read_cached(LOGIN_ID) is None, "the copy dropped", 5)


def test_a_write_in_one_worker_is_read_by_another(redis: RedisServer) -> None:
    a, b = live(worker(redis)), live(worker(redis))
    a.write(LOGIN_ID, login("first"))
    assert access_token(b.read_cached(LOGIN_ID)) == "first"
    a.write(LOGIN_ID, login("refreshed"))
    wait_for(lambda: access_token(b.read_cached(LOGIN_ID)) == "refreshed", "the new token", 5)


def test_a_killed_change_feed_empties_the_cache_when_it_is_back(redis: RedisServer) -> None:
    a, b = live(worker(redis)), live(worker(redis))
    a.write(LOGIN_ID, login("first"))
    assert access_token(b.read_cached(LOGIN_ID)) == "first"
    cache = b.cache
    assert cache is not None
    subscribed = cache.subscriptions
    redis.client().client_kill_filter(_type="pubsub")
    overwrite_unannounced(a, login("second"))  # as if announced while b's feed was down
    wait_for(lambda: cache.subscriptions > subscribed, "the feed subscribed again", 10)
    assert access_token(b.read_cached(LOGIN_ID)) == "second"


def test_while_the_change_feed_is_down_no_copy_is_used() -> None:
    cache = LoginCache(LONG, 10)
    cache.connected()
    cache.keep("k", login("first"), cache.lookup("k")[1])
    cache.disconnected()
    cache.keep("k", login("again"), cache.lookup("k")[1])
    assert cache.lookup("k")[0] is None


def test_a_refresh_re_reads_the_store_not_the_copy(redis: RedisServer) -> None:
    a, b = live(worker(redis)), live(worker(redis))
    a.write(LOGIN_ID, login("due", expires_in=10))
    assert access_token(b.read_cached(LOGIN_ID)) == "due"
    overwrite_unannounced(a, login("refreshed elsewhere"))
    refreshed: list[StoredLogin] = []

    def refresh(fresh: StoredLogin) -> StoredLogin:
        refreshed.append(fresh)
        return fresh

    found = refresh_once(b, LOGIN_ID, lock_ttl=5, refresh=refresh)
    assert access_token(found) == "refreshed elsewhere" and refreshed == []


def test_a_copy_lives_at_most_the_cache_ttl(redis: RedisServer) -> None:
    a = live(worker(redis, cache_ttl=0.2))
    a.write(LOGIN_ID, login("first"))
    assert access_token(a.read_cached(LOGIN_ID)) == "first"
    overwrite_unannounced(a, login("second"))
    time.sleep(0.3)
    assert access_token(a.read_cached(LOGIN_ID)) == "second"


def test_the_cache_keeps_at_most_its_size_dropping_the_least_recently_used() -> None:
    cache = LoginCache(LONG, 2)
    cache.connected()
    for key in ("k1", "k2"):
        cache.keep(key, login(key), cache.lookup(key)[1])
    cache.lookup("k1")
    cache.keep("k3", login("k3"), cache.lookup("k3")[1])
    assert [access_token(cache.lookup(k)[0]) for k in ("k1", "k2", "k3")] == ["k1", None, "k3"]


def test_a_read_that_raced_an_announcement_is_not_kept() -> None:
    cache = LoginCache(LONG, 10)
    cache.connected()
    _, epoch = cache.lookup("k")
    cache.drop("k")  # written while the store was being read
    cache.keep("k", login("old"), epoch)
    assert cache.lookup("k")[0] is None


def test_stores_without_a_change_feed_have_no_cache(tmp_path: Any) -> None:
    assert login_store(MemoryStore()).cache is None
    assert login_store(SQLiteStore(tmp_path / "s.sqlite3")).cache is None


def test_a_cache_ttl_of_zero_turns_the_cache_off(redis: RedisServer) -> None:
    assert worker(redis, cache_ttl=0).cache is None


@pytest.mark.parametrize("settings", [{"cache_ttl": -1}, {"cache_size": 0}])
def test_bad_cache_settings_are_configuration_errors(
    redis: RedisServer, settings: dict[str, Any]
) -> None:
    with pytest.raises(ConfigurationError):
        worker(redis, **settings)


def test_async_a_delete_in_one_worker_drops_the_copy_of_another(redis: RedisServer) -> None:
    def async_worker() -> AsyncLoginStore:
        return AsyncLoginStore(
            AsyncRedisStore(redis.url),
            SECRET_KEY,
            prefix="flet_auth:",
            login_ttl=3600,
            cache_ttl=LONG,
        )

    async def scenario() -> None:
        a, b = async_worker(), async_worker()
        for logins in (a, b):
            await logins.read_cached("nobody")
            cache = logins.cache
            assert cache is not None
            while not cache.live:
                await asyncio.sleep(0.02)
        await a.write(LOGIN_ID, login("first"))
        assert access_token(await b.read_cached(LOGIN_ID)) == "first"
        await a.delete(LOGIN_ID)
        for _ in range(250):
            if await b.read_cached(LOGIN_ID) is None:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the copy was not dropped")

    asyncio.run(asyncio.wait_for(scenario(), 30))
