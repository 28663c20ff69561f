"""Where web logins are kept: a SQLite file or Redis, shared by every worker.

    store = open_store("redis://127.0.0.1:6379/0")      # or sqlite:////abs/path, or a path

Any object with the methods of `TokenStore` works too. Async apps use the async twins
(`AsyncTokenStore`: `AsyncRedisStore`, `AsyncSQLiteStore`, `AsyncMemoryStore`, any sync store
in an `OffLoopStore`; `open_async_store(url)`), which share the sync stores' rules.
"""

from flet_auth.web.stores.async_redis import AsyncRedisStore
from flet_auth.web.stores.memory import AsyncMemoryStore, MemoryStore
from flet_auth.web.stores.off_loop import OffLoopStore
from flet_auth.web.stores.protocol import (
    AsyncTokenStore,
    TokenStore,
    is_async_token_store,
    is_token_store,
)
from flet_auth.web.stores.redis import RedisStore
from flet_auth.web.stores.sqlite import AsyncSQLiteStore, SQLiteStore
from flet_auth.web.stores.url import (
    async_store_from_setting,
    open_async_store,
    open_store,
    store_from_setting,
)

__all__ = [
    "AsyncMemoryStore",
    "AsyncRedisStore",
    "AsyncSQLiteStore",
    "AsyncTokenStore",
    "MemoryStore",
    "OffLoopStore",
    "RedisStore",
    "SQLiteStore",
    "TokenStore",
    "async_store_from_setting",
    "is_async_token_store",
    "is_token_store",
    "open_async_store",
    "open_store",
    "store_from_setting",
]
