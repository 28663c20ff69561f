"""`SQLiteStore`: a `TokenStore` in one SQLite file, for the workers of one machine, and
`AsyncSQLiteStore`, the same store run off the event loop."""

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional, Union

from flet_auth._core import ConfigurationError
from flet_auth.web.errors import StoreUnavailableError
from flet_auth.web.stores.off_loop import OffLoopStore

__all__ = ["AsyncSQLiteStore", "SQLiteStore"]


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

    def incr(self, counter: str, ttl: float) -> int:
        """Adds one to `counter` (made for `ttl` seconds) and returns its new value."""
        now = time.time()
        with self._transaction() as db:
            row = db.execute(
                "SELECT value, expires_at FROM flet_auth_entries WHERE key = ? AND expires_at > ?",
                (counter, now),
            ).fetchone()
            value, expires_at = (int(row[0]) + 1, float(row[1])) if row else (1, now + ttl)
            db.execute(
                "INSERT OR REPLACE INTO flet_auth_entries (key, value, expires_at) "
                "VALUES (?, ?, ?)",
                (counter, str(value), expires_at),
            )
        return value

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


class AsyncSQLiteStore(OffLoopStore):
    """`SQLiteStore` as an `AsyncTokenStore`: the same file and rules, each call run in a
    worker thread (`store.sync` is the `SQLiteStore`)."""

    def __init__(self, path: Union[str, "os.PathLike[str]"], *, timeout: float = 5.0) -> None:
        super().__init__(SQLiteStore(path, timeout=timeout))
