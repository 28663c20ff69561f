"""`LoginCache`: this worker's copies of recently read logins, so that a signed-in request
whose token is not due makes no store round trip.

A copy is used only while the store's change feed is subscribed (every write of a login, in
any worker, is announced on it and drops the copies): while the feed is down the cache is
off, and it is emptied whenever the feed comes (back) up, so a missed announcement cannot
keep a logged-out browser in. Each copy also lives at most `ttl` seconds, and at most `size`
copies are kept (least recently used dropped first).
"""

import os
import secrets
import threading
import time
from collections import OrderedDict
from typing import Optional

from flet_auth.web.logins import StoredLogin

__all__ = ["DEFAULT_CACHE_SIZE", "DEFAULT_CACHE_TTL", "LoginCache"]

DEFAULT_CACHE_TTL = 5.0
"""Seconds a worker uses its copy of a login before reading the store again
(`FLET_AUTH_LOGIN_CACHE_TTL`; 0 turns the cache off)."""
DEFAULT_CACHE_SIZE = 10_000
"""How many logins a worker keeps copies of (`FLET_AUTH_LOGIN_CACHE_SIZE`)."""


class LoginCache:
    """Copies of logins by store key, for `ttl` seconds, at most `size`; the `ChangeListener`
    of the store's change feed. Safe across threads; a forked child starts empty and off."""

    def __init__(self, ttl: float, size: int) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: OrderedDict[str, tuple[StoredLogin, float]] = OrderedDict()
        self._mutex = threading.Lock()
        self._live = False
        self._epoch = 0
        self._pid = os.getpid()
        self.subscriptions = 0
        """How many times the change feed was subscribed in this process."""
        self.origin = secrets.token_hex(8)
        """Names this cache in its announcements, so that it skips its own."""

    @property
    def live(self) -> bool:
        """Whether the change feed is subscribed (only then are copies used)."""
        return self._live

    def lookup(self, key: str) -> tuple[Optional[StoredLogin], int]:
        """The copy of the login at `key` (None when there is none, it is old or the cache is
        off), and the epoch to hand `keep` after reading the store."""
        with self._mutex:
            entry = self._entries.get(key) if self._live else None
            if entry is not None:
                if entry[1] > time.monotonic():
                    self._entries.move_to_end(key)
                    return entry[0], self._epoch
                del self._entries[key]
            return None, self._epoch

    def keep(self, key: str, login: StoredLogin, epoch: int) -> None:
        """Keeps a copy of `login`, read from the store after `lookup` gave `epoch`; nothing
        when anything was announced meanwhile (the read may predate it) or the cache is off."""
        with self._mutex:
            if not self._live or epoch != self._epoch:
                return
            self._entries[key] = (login, time.monotonic() + self.ttl)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def announcement(self, key: str) -> str:
        """What this worker announces when it wrote or deleted the login at `key`."""
        return f"{self.origin} {key}"

    def changed(self, message: str) -> None:
        """An `announcement` came: another worker wrote or deleted that login (this worker's
        own were applied by `drop` when it wrote)."""
        origin, _, key = message.rpartition(" ")
        if origin != self.origin:
            self.drop(key)

    def drop(self, key: str) -> None:
        """The login at `key` was written or deleted: its copy goes, and a read racing the
        write is not kept."""
        with self._mutex:
            self._epoch += 1
            self._entries.pop(key, None)

    def connected(self) -> None:
        """The feed is subscribed: every change from now on is announced. What was kept
        before may have missed some, so it is dropped."""
        self._reset(live=True)
        self.subscriptions += 1

    def disconnected(self) -> None:
        """The feed is down: changes may go unannounced, so the cache is off until it is back."""
        self._reset(live=False)

    def follow_fork(self) -> None:
        """In a forked child (a pre-forking server's worker), empties the cache and turns it
        off until this process's own feed is subscribed; elsewhere nothing."""
        if self._pid != os.getpid():
            self._mutex = threading.Lock()  # the parent's may have been held at the fork
            self._pid = os.getpid()
            self.subscriptions = 0
            self.origin = secrets.token_hex(8)
            self._reset(live=False)

    def _reset(self, *, live: bool) -> None:
        with self._mutex:
            self._epoch += 1
            self._entries.clear()
            self._live = live

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"LoginCache(ttl={self.ttl!r}, size={self.size!r}, live={self._live!r})"
