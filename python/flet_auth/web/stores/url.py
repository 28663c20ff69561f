"""Opening a store from its URL, or from an app's `FLET_AUTH_STORE` setting (sync, or async
for async apps)."""

import os
from typing import Union, cast
from urllib.parse import urlsplit

from flet_auth._core import ConfigurationError
from flet_auth.web.stores.async_redis import AsyncRedisStore
from flet_auth.web.stores.off_loop import OffLoopStore
from flet_auth.web.stores.protocol import (
    AsyncTokenStore,
    TokenStore,
    is_async_token_store,
    is_token_store,
)
from flet_auth.web.stores.redis import RedisStore
from flet_auth.web.stores.sqlite import AsyncSQLiteStore, SQLiteStore

__all__ = [
    "async_store_from_setting",
    "open_async_store",
    "open_store",
    "store_from_setting",
    "store_location",
]


def store_location(url: Union[str, "os.PathLike[str]"]) -> tuple[bool, str]:
    """What a store URL names: `(True, url)` for Redis (`redis://`, `rediss://`, `unix://`),
    `(False, path)` for a SQLite file (`sqlite:///path` or a plain path)."""
    text = os.fspath(url)
    if not text:
        raise ConfigurationError("the store URL is empty")
    scheme = urlsplit(text).scheme.lower()
    if scheme in ("redis", "rediss", "unix"):
        return True, text
    if scheme == "sqlite":
        path = text[len("sqlite://") :]
        if not path.startswith("/") or path == "/":
            raise ConfigurationError("a SQLite store URL needs an absolute path: sqlite:////abs")
        return False, path
    if scheme and len(scheme) > 1:  # not a Windows drive letter
        raise ConfigurationError(
            f"unknown store scheme {scheme!r}: use redis://, rediss://, unix:// or sqlite:///"
        )
    return False, text


def open_store(url: Union[str, "os.PathLike[str]"]) -> TokenStore:
    """A store from a URL: `redis://`, `rediss://` or `unix://` for Redis, `sqlite:///path`
    or a plain file path for SQLite."""
    is_redis, where = store_location(url)
    return RedisStore(where) if is_redis else SQLiteStore(where)


def store_from_setting(value: object, default_path: str) -> TokenStore:
    """The store an app asked for: a store object, a URL, or None for a SQLite file at
    `default_path`."""
    if value is None:
        return SQLiteStore(default_path)
    if isinstance(value, str):
        return open_store(value)
    if is_token_store(value):
        return cast(TokenStore, value)
    raise ConfigurationError("FLET_AUTH_STORE must be a URL or a store object")


def open_async_store(url: Union[str, "os.PathLike[str]"]) -> AsyncTokenStore:
    """The async store of a URL, read as `open_store` reads it: `AsyncRedisStore` for Redis,
    else the SQLite store run off the event loop."""
    is_redis, where = store_location(url)
    return AsyncRedisStore(where) if is_redis else AsyncSQLiteStore(where)


def async_store_from_setting(value: object, default_path: str) -> AsyncTokenStore:
    """The async store an app asked for: an async store object, a sync one (run off the
    loop), a URL, or None for a SQLite file at `default_path`."""
    if value is None:
        return AsyncSQLiteStore(default_path)
    if isinstance(value, (str, os.PathLike)):
        return open_async_store(value)
    if is_async_token_store(value):
        return cast(AsyncTokenStore, value)
    if is_token_store(value):
        return OffLoopStore(cast(TokenStore, value))
    raise ConfigurationError("FLET_AUTH_STORE must be a URL or a store object")
