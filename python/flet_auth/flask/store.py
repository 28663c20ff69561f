"""Where `flet_auth.flask` keeps logins: a SQLite file or Redis, shared by every worker.

A `TokenStore` holds opaque strings under keys that expire, and short locks that let one
worker refresh a token while the others wait::

    store = open_store("redis://127.0.0.1:6379/0")      # or a SQLite path
    if store.acquire("lock:abc", owner, ttl=10.0):
        try:
            ...
        finally:
            store.release("lock:abc", owner)

A `LoginStore` keeps the logins of the extension in one, encrypted with
`flet_auth.security`. Every failure to reach the store raises `StoreUnavailableError`.
"""

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Protocol, Union
from urllib.parse import urlsplit, urlunsplit

from flet_auth._core import AuthError, ConfigurationError, InvalidToken, OAuthToken
from flet_auth.group import Group
from flet_auth.security import SecretBox
from flet_auth.user import User

__all__ = [
    "LoginStore",
    "RedisStore",
    "SQLiteStore",
    "StoreUnavailableError",
    "StoredLogin",
    "TokenStore",
    "open_store",
]

logger = logging.getLogger("flet_auth.flask")


class StoreUnavailableError(AuthError):
    """The login store (SQLite or Redis) cannot be reached or answered with an error."""


class TokenStore(Protocol):
    """What the Flask extension needs of a store: expiring values and short locks."""

    def get(self, key: str) -> Optional[str]:
        """The value of `key`, or None when it is absent or expired."""

    def set(self, key: str, value: str, ttl: float) -> None:
        """Sets `key` to `value` for `ttl` seconds."""

    def pop(self, key: str) -> Optional[str]:
        """Removes `key` and returns its value, atomically: only one caller gets it."""

    def delete(self, key: str) -> None:
        """Removes `key` (nothing happens when it is absent)."""

    def acquire(self, lock: str, owner: str, ttl: float) -> bool:
        """Takes `lock` for `owner` for at most `ttl` seconds unless someone holds it."""

    def release(self, lock: str, owner: str) -> None:
        """Releases `lock` if `owner` still holds it."""

    def locked(self, lock: str) -> bool:
        """Whether someone holds `lock`."""


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


class SQLiteStore:
    """A store in one SQLite file (WAL mode), for the workers of one machine.

    Every operation opens its own short connection, so the store is safe across threads and
    after `fork()`. A lock is a row taken inside `BEGIN IMMEDIATE`, so two workers can never
    both take it. The file is created with mode 0600.
    """

    def __init__(self, path: Union[str, "os.PathLike[str]"], *, timeout: float = 5.0) -> None:
        if not os.fspath(path):
            raise ConfigurationError("the SQLite store needs a path")
        if not timeout > 0:
            raise ConfigurationError("timeout must be a positive number of seconds")
        self.path = Path(path)
        self.timeout = timeout
        self._ready = False
        self._ready_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            with self._ready_lock:
                if not self._ready:
                    self._create()
                    self._ready = True
        return sqlite3.connect(str(self.path), timeout=self.timeout, isolation_level=None)

    def _create(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)
            db = sqlite3.connect(str(self.path), timeout=self.timeout, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS flet_auth_entries ("
                    "key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL NOT NULL)"
                )
                db.execute(
                    "CREATE INDEX IF NOT EXISTS flet_auth_entries_expiry "
                    "ON flet_auth_entries (expires_at)"
                )
                db.execute(
                    "CREATE TABLE IF NOT EXISTS flet_auth_locks ("
                    "name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at REAL NOT NULL)"
                )
            finally:
                db.close()
        except (OSError, sqlite3.Error) as e:
            raise StoreUnavailableError(
                f"the SQLite store {str(self.path)!r} cannot be opened ({type(e).__name__})"
            ) from e

    def _run(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        try:
            db = self._connect()
            try:
                return db.execute(sql, args).fetchall()
            finally:
                db.close()
        except sqlite3.Error as e:
            raise self._unavailable(e) from e

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A connection inside `BEGIN IMMEDIATE` (one writer at a time), committed at the end;
        SQLite errors become `StoreUnavailableError`."""
        try:
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                yield db
                db.execute("COMMIT")
            finally:
                db.close()
        except sqlite3.Error as e:
            raise self._unavailable(e) from e

    def _unavailable(self, e: BaseException) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"the SQLite store {str(self.path)!r} failed ({type(e).__name__}: {e})"
        )

    def get(self, key: str) -> Optional[str]:
        """The value of `key`, or None when it is absent or expired."""
        rows = self._run(
            "SELECT value FROM flet_auth_entries WHERE key = ? AND expires_at > ?",
            (key, time.time()),
        )
        return str(rows[0][0]) if rows else None

    def set(self, key: str, value: str, ttl: float) -> None:
        """Sets `key` to `value` for `ttl` seconds (and drops expired entries)."""
        now = time.time()
        with self._transaction() as db:
            db.execute("DELETE FROM flet_auth_entries WHERE expires_at <= ?", (now,))
            db.execute(
                "INSERT OR REPLACE INTO flet_auth_entries (key, value, expires_at) "
                "VALUES (?, ?, ?)",
                (key, value, now + ttl),
            )

    def pop(self, key: str) -> Optional[str]:
        """Removes `key` and returns its value; of concurrent callers only one gets it."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT value FROM flet_auth_entries WHERE key = ? AND expires_at > ?",
                (key, time.time()),
            ).fetchone()
            db.execute("DELETE FROM flet_auth_entries WHERE key = ?", (key,))
        return str(row[0]) if row else None

    def delete(self, key: str) -> None:
        """Removes `key`."""
        self._run("DELETE FROM flet_auth_entries WHERE key = ?", (key,))

    def acquire(self, lock: str, owner: str, ttl: float) -> bool:
        """Takes `lock` for `owner` for at most `ttl` seconds unless someone holds it."""
        now = time.time()
        with self._transaction() as db:
            held = db.execute(
                "SELECT 1 FROM flet_auth_locks WHERE name = ? AND expires_at > ?", (lock, now)
            ).fetchone()
            if held is None:
                db.execute(
                    "INSERT OR REPLACE INTO flet_auth_locks (name, owner, expires_at) "
                    "VALUES (?, ?, ?)",
                    (lock, owner, now + ttl),
                )
        return held is None

    def release(self, lock: str, owner: str) -> None:
        """Releases `lock` if `owner` still holds it."""
        self._run("DELETE FROM flet_auth_locks WHERE name = ? AND owner = ?", (lock, owner))

    def locked(self, lock: str) -> bool:
        """Whether someone holds `lock`."""
        rows = self._run(
            "SELECT 1 FROM flet_auth_locks WHERE name = ? AND expires_at > ?", (lock, time.time())
        )
        return bool(rows)

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"


class _RedisClient(Protocol):
    # The few commands the store uses (redis-py's own types differ between versions).
    def get(self, name: str) -> Any: ...
    def set(self, name: str, value: str, *, px: int, nx: bool = ...) -> Any: ...
    def getdel(self, name: str) -> Any: ...
    def delete(self, *names: str) -> Any: ...
    def exists(self, *names: str) -> Any: ...
    def eval(self, script: str, numkeys: int, *keys_and_args: str) -> Any: ...


# Deletes the lock only when it still holds this owner's value (compare-and-delete).
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


class RedisStore:
    """A store in Redis, for workers on several machines.

    `url` is a redis-py URL (`redis://[:password@]host:port/db`, `rediss://`, `unix://`).
    Locks are `SET NX PX` with a compare-and-delete release. Every command has a timeout
    (`socket_timeout`, `connect_timeout`) and is retried at most once.
    """

    def __init__(
        self,
        url: str,
        *,
        socket_timeout: float = 5.0,
        connect_timeout: float = 2.0,
    ) -> None:
        if not url:
            raise ConfigurationError("the Redis store needs a URL")
        if not socket_timeout > 0 or not connect_timeout > 0:
            raise ConfigurationError("timeouts must be positive numbers of seconds")
        try:
            import redis
            from redis.backoff import ConstantBackoff
            from redis.retry import Retry
        except ImportError:
            raise ConfigurationError(
                "the Redis store needs the redis package: pip install redis"
            ) from None
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._display = _without_password(url)
        try:
            client: Any = redis.Redis.from_url(
                url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=connect_timeout,
                retry=Retry(ConstantBackoff(0.05), 1),
                decode_responses=True,
            )
        except ValueError as e:
            raise ConfigurationError(f"bad Redis URL {self._display!r}: {e}") from None
        self._client: _RedisClient = client

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self._client, name)(*args, **kwargs)
        except self._errors as e:
            raise StoreUnavailableError(
                f"the Redis store {self._display} failed ({type(e).__name__})"
            ) from e

    def get(self, key: str) -> Optional[str]:
        """The value of `key`, or None when it is absent or expired."""
        value = self._call("get", key)
        return None if value is None else str(value)

    def set(self, key: str, value: str, ttl: float) -> None:
        """Sets `key` to `value` for `ttl` seconds."""
        self._call("set", key, value, px=_millis(ttl))

    def pop(self, key: str) -> Optional[str]:
        """Removes `key` and returns its value (`GETDEL`): only one caller gets it."""
        value = self._call("getdel", key)
        return None if value is None else str(value)

    def delete(self, key: str) -> None:
        """Removes `key`."""
        self._call("delete", key)

    def acquire(self, lock: str, owner: str, ttl: float) -> bool:
        """`SET lock owner NX PX ttl`: True when this owner got the lock."""
        return bool(self._call("set", lock, owner, px=_millis(ttl), nx=True))

    def release(self, lock: str, owner: str) -> None:
        """Releases `lock` if `owner` still holds it."""
        self._call("eval", _RELEASE, 1, lock, owner)

    def locked(self, lock: str) -> bool:
        """Whether someone holds `lock`."""
        return bool(self._call("exists", lock))

    def __repr__(self) -> str:
        return f"RedisStore({self._display!r})"


def _millis(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def _without_password(url: str) -> str:
    """The URL with any password replaced, for messages and reprs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


# ---------------------------------------------------------------------------------------------
# The logins kept in a store


@dataclass(frozen=True)
class StoredLogin:
    """One logged-in browser: the registered provider's name, the token JSON and the user."""

    client: str
    token_json: str
    user: Optional[dict[str, Any]]

    @staticmethod
    def of(client: str, token: OAuthToken, user: Optional[User]) -> "StoredLogin":
        """The login of `user` with `token` at the provider registered as `client`."""
        record = None
        if user is not None:
            groups = [{"name": g.name, "data": dict(g)} for g in getattr(user, "groups", [])]
            record = {"id": user.id, "data": dict(user), "groups": groups}
        return StoredLogin(client, token.to_json(), record)

    @property
    def token(self) -> OAuthToken:
        """The token (a new object on each call)."""
        return OAuthToken.from_json(self.token_json)

    def needs_refresh(self, leeway: float) -> bool:
        """Whether the token expires within `leeway` seconds and can be refreshed."""
        token = self.token
        return (
            token.refresh_token is not None
            and token.expires_at is not None
            and time.time() + leeway >= token.expires_at
        )

    def expired_for_good(self) -> bool:
        """Whether the token expired and cannot be refreshed."""
        token = self.token
        return (
            token.refresh_token is None
            and token.expires_at is not None
            and time.time() >= token.expires_at
        )

    def to_user(self) -> Optional[User]:
        """The user, rebuilt (a new object on each call)."""
        if self.user is None:
            return None
        user = User(self.user.get("data", {}), str(self.user.get("id", "")))
        user.groups = [Group(g.get("data", {}), name=g["name"]) for g in self.user["groups"]]
        return user

    def dumps(self) -> str:
        """JSON of the login."""
        data = {"v": 1, "client": self.client, "token": self.token_json, "user": self.user}
        return json.dumps(data, separators=(",", ":"), default=str)

    @staticmethod
    def loads(text: str) -> "StoredLogin":
        """Reads what `dumps` wrote; raises ValueError, KeyError or TypeError when damaged."""
        data = json.loads(text)
        return StoredLogin(data["client"], data["token"], data.get("user"))

    def __repr__(self) -> str:
        return f"StoredLogin(client={self.client!r})"


class LoginStore:
    """The logins and logins in progress of one app, encrypted, in a `TokenStore`.

    Keys are digests of the secrets they are found by (login ids, states), so the store holds
    neither; values are encrypted with `secret_key`. Reading a login that cannot be decrypted
    (the key changed) or parsed counts as no login.
    """

    def __init__(
        self, store: TokenStore, secret_key: str, *, prefix: str, login_ttl: float
    ) -> None:
        if not secret_key:
            raise ConfigurationError("the login store needs a secret key")
        if not login_ttl > 0:
            raise ConfigurationError("login_ttl must be a positive number of seconds")
        self.store = store
        self.prefix = prefix
        self.login_ttl = login_ttl
        # The key is derived once per process (and once per other process's salt), not per
        # record: 80 ms of PBKDF2 on every request would be the app's whole budget.
        self._box = SecretBox(secret_key)

    def key(self, kind: str, secret: str) -> str:
        """The store key of a secret (a login id, a state): a digest of it."""
        return f"{self.prefix}{kind}:{hashlib.sha256(secret.encode()).hexdigest()}"

    def read(self, login_id: str) -> Optional[StoredLogin]:
        """The login `login_id`, or None."""
        data = self.store.get(self.key("login", login_id))
        if data is None:
            return None
        try:
            return StoredLogin.loads(self._box.decrypt(data))
        except InvalidToken:
            logger.warning(
                "a stored login cannot be decrypted (was the secret key changed?); "
                "it counts as logged out"
            )
        except (ValueError, KeyError, TypeError):
            logger.warning("a stored login is damaged; it counts as logged out")
        return None

    def write(self, login_id: str, login: StoredLogin) -> None:
        """Stores (or replaces) the login `login_id` for `login_ttl` seconds."""
        self.store.set(
            self.key("login", login_id), self._box.encrypt(login.dumps()), self.login_ttl
        )

    def delete(self, login_id: str) -> None:
        """Forgets the login `login_id`."""
        self.store.delete(self.key("login", login_id))

    def put_pending(self, binding: str, data: dict[str, Any], ttl: float) -> None:
        """Keeps what a login in progress needs when the browser comes back, under `binding`
        (the browser's id and the state)."""
        self.store.set(self.key("pending", binding), self._box.encrypt(json.dumps(data)), ttl)

    def pop_pending(self, binding: str) -> Optional[dict[str, Any]]:
        """Takes the login in progress under `binding`: only one caller gets it. None when
        there is none (or it cannot be read)."""
        data = self.store.pop(self.key("pending", binding))
        if data is None:
            return None
        try:
            value = json.loads(self._box.decrypt(data))
        except (ValueError, InvalidToken):
            return None
        return value if isinstance(value, dict) else None

    def acquire(self, login_id: str, owner: str, ttl: float) -> bool:
        """Takes the refresh lock of `login_id` for `owner`."""
        return self.store.acquire(self.key("lock", login_id), owner, ttl)

    def release(self, login_id: str, owner: str) -> None:
        """Releases the refresh lock of `login_id` if `owner` holds it."""
        self.store.release(self.key("lock", login_id), owner)

    def locked(self, login_id: str) -> bool:
        """Whether someone holds the refresh lock of `login_id`."""
        return self.store.locked(self.key("lock", login_id))

    def __repr__(self) -> str:
        return f"LoginStore({self.store!r})"
