"""Where `flet_auth.flask` keeps logins: the stores of `flet_auth.web`, under their old names.

store = open_store("redis://127.0.0.1:6379/0")      # or a SQLite path
"""

from flet_auth.web.errors import StoreUnavailableError
from flet_auth.web.login_store import LoginStore
from flet_auth.web.logins import StoredLogin
from flet_auth.web.stores import RedisStore, SQLiteStore, TokenStore, open_store

__all__ = [
    "LoginStore",
    "RedisStore",
    "SQLiteStore",
    "StoreUnavailableError",
    "StoredLogin",
    "TokenStore",
    "open_store",
]
