"""Where web logins are kept: a SQLite file or Redis, shared by every worker.

    store = open_store("redis://127.0.0.1:6379/0")      # or sqlite:////abs/path, or a path

Any object with the methods of `TokenStore` works too.
"""

from flet_auth.web.stores.protocol import TokenStore, is_token_store
from flet_auth.web.stores.redis import RedisStore
from flet_auth.web.stores.sqlite import SQLiteStore
from flet_auth.web.stores.url import open_store, store_from_setting

__all__ = [
    "RedisStore",
    "SQLiteStore",
    "TokenStore",
    "is_token_store",
    "open_store",
    "store_from_setting",
]
