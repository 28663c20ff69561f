"""Opening a store from its URL, or from an app's `FLET_AUTH_STORE` setting."""

import os
from typing import Union, cast
from urllib.parse import urlsplit

from flet_auth._core import ConfigurationError
from flet_auth.web.stores.protocol import TokenStore, is_token_store
from flet_auth.web.stores.redis import RedisStore
from flet_auth.web.stores.sqlite import SQLiteStore

__all__ = ["open_store", "store_from_setting"]


def open_store(url: Union[str, "os.PathLike[str]"]) -> TokenStore:
    """A store from a URL: `redis://`, `rediss://` or `unix://` for Redis, `sqlite:///path`
    or a plain file path for SQLite."""
    text = os.fspath(url)
    if not text:
        raise ConfigurationError("the store URL is empty")
    scheme = urlsplit(text).scheme.lower()
    if scheme in ("redis", "rediss", "unix"):
        return RedisStore(text)
    if scheme == "sqlite":
        path = text[len("sqlite://") :]
        if not path.startswith("/") or path == "/":
            raise ConfigurationError("a SQLite store URL needs an absolute path: sqlite:////abs")
        return SQLiteStore(path)
    if scheme and len(scheme) > 1:  # not a Windows drive letter
        raise ConfigurationError(
            f"unknown store scheme {scheme!r}: use redis://, rediss://, unix:// or sqlite:///"
        )
    return SQLiteStore(text)


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
