"""`RedisStore`: a `TokenStore` in Redis, for workers on several machines."""

import os
import threading
from typing import Any, Optional, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

from flet_auth._core import ConfigurationError
from flet_auth.web.errors import StoreUnavailableError
from flet_auth.web.stores.protocol import ChangeListener
from flet_auth.web.stores.redis_changes import SUBSCRIBER_NAME, listen_in_thread

__all__ = [
    "INCR_SCRIPT",
    "MISSING_PACKAGE",
    "RELEASE_SCRIPT",
    "RETRY_BACKOFF",
    "RedisStore",
    "bad_url",
    "check_settings",
    "client_options",
    "millis",
    "redacted",
    "unavailable",
]


class _RedisClient(Protocol):
    # The few commands the store uses (redis-py's own types differ between versions).
    def get(self, name: str) -> Any: ...
    def set(self, name: str, value: str, *, px: int, nx: bool = ...) -> Any: ...
    def getdel(self, name: str) -> Any: ...
    def delete(self, *names: str) -> Any: ...
    def exists(self, *names: str) -> Any: ...
    def eval(self, script: str, numkeys: int, *keys_and_args: str) -> Any: ...
    def publish(self, channel: str, message: str) -> Any: ...


RELEASE_SCRIPT = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
"""Deletes a lock only while it still holds this owner's value (compare-and-delete)."""
RETRY_BACKOFF = 0.05
"""Seconds before the one retry of a failed command."""
MISSING_PACKAGE = "the Redis store needs the redis package: pip install redis"

INCR_SCRIPT = (
    "local n = redis.call('incr', KEYS[1]) "
    "if n == 1 then redis.call('pexpire', KEYS[1], ARGV[1]) end return n"
)
"""Adds one to a counter and gives a new counter its lifetime, in one step."""


class RedisStore:
    """A store in Redis, for workers on several machines.

    `url` is a redis-py URL (`redis://[:password@]host:port/db`, `rediss://`, `unix://`).
    Locks are `SET NX PX` with a compare-and-delete release. Every command has a timeout
    (`socket_timeout`, `connect_timeout`) and is retried at most once. Changes are announced
    with `PUBLISH` and heard by one subscriber thread per process (`listen`).
    """

    def __init__(
        self,
        url: str,
        *,
        socket_timeout: float = 5.0,
        connect_timeout: float = 2.0,
    ) -> None:
        check_settings(url, socket_timeout, connect_timeout)
        try:
            import redis
            from redis.backoff import ConstantBackoff, NoBackoff
            from redis.retry import Retry
        except ImportError:
            raise ConfigurationError(MISSING_PACKAGE) from None
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._display = redacted(url)
        try:
            client: Any = redis.Redis.from_url(
                url,
                retry=Retry(ConstantBackoff(RETRY_BACKOFF), 1),
                **client_options(socket_timeout, connect_timeout),
            )
        except ValueError as e:
            raise bad_url(self._display, e) from None
        self._client: _RedisClient = client
        options = client_options(socket_timeout, connect_timeout)
        self._new_subscriber = lambda: redis.Redis.from_url(
            url, retry=Retry(NoBackoff(), 0), client_name=SUBSCRIBER_NAME, **options
        )
        self._listening: dict[str, tuple[int, threading.Thread]] = {}
        self._listen_lock = threading.Lock()

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self._client, name)(*args, **kwargs)
        except self._errors as e:
            raise unavailable(self._display, e) from e

    def get(self, key: str) -> Optional[str]:
        """The value of `key`, or None when it is absent or expired."""
        value = self._call("get", key)
        return None if value is None else str(value)

    def set(self, key: str, value: str, ttl: float) -> None:
        """Sets `key` to `value` for `ttl` seconds."""
        self._call("set", key, value, px=millis(ttl))

    def pop(self, key: str) -> Optional[str]:
        """Removes `key` and returns its value (`GETDEL`): only one caller gets it."""
        value = self._call("getdel", key)
        return None if value is None else str(value)

    def delete(self, key: str) -> None:
        """Removes `key`."""
        self._call("delete", key)

    def acquire(self, lock: str, owner: str, ttl: float) -> bool:
        """`SET lock owner NX PX ttl`: True when this owner got the lock."""
        return bool(self._call("set", lock, owner, px=millis(ttl), nx=True))

    def release(self, lock: str, owner: str) -> None:
        """Releases `lock` if `owner` still holds it."""
        self._call("eval", RELEASE_SCRIPT, 1, lock, owner)

    def locked(self, lock: str) -> bool:
        """Whether someone holds `lock`."""
        return bool(self._call("exists", lock))

    def incr(self, counter: str, ttl: float) -> int:
        """`INCR`, with `PEXPIRE ttl` on a new counter (one script): the new value."""
        return int(self._call("eval", INCR_SCRIPT, 1, counter, str(millis(ttl))))

    def announce(self, channel: str, message: str) -> None:
        """`PUBLISH channel message`: told to every process listening to `channel`."""
        self._call("publish", channel, message)

    def listen(self, channel: str, listener: ChangeListener) -> None:
        """Tells `listener` of every announcement on `channel`, from a daemon thread of this
        process (started now, in a worker after a fork as well, unless it runs already)."""
        with self._listen_lock:
            running = self._listening.get(channel)
            if running is not None and running[0] == os.getpid() and running[1].is_alive():
                return
            thread = listen_in_thread(self._new_subscriber, channel, listener, self._errors)
            self._listening[channel] = (os.getpid(), thread)

    def __repr__(self) -> str:
        return f"RedisStore({self._display!r})"


def check_settings(url: str, socket_timeout: float, connect_timeout: float) -> None:
    """Refuses an empty URL and timeouts that are not positive, with a `ConfigurationError`."""
    if not url:
        raise ConfigurationError("the Redis store needs a URL")
    if not socket_timeout > 0 or not connect_timeout > 0:
        raise ConfigurationError("timeouts must be positive numbers of seconds")


def client_options(socket_timeout: float, connect_timeout: float) -> dict[str, Any]:
    """The options of a redis-py client (sync or async) of a store: timeouts, text replies."""
    return {
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": connect_timeout,
        "decode_responses": True,
    }


def bad_url(display: str, e: Exception) -> ConfigurationError:
    """The error of a URL that redis-py cannot read (`display` is the redacted URL)."""
    return ConfigurationError(f"bad Redis URL {display!r}: {e}")


def unavailable(display: str, e: BaseException) -> StoreUnavailableError:
    """The error of a command that failed (the redacted URL and the error's type only)."""
    return StoreUnavailableError(f"the Redis store {display} failed ({type(e).__name__})")


def millis(seconds: float) -> int:
    """Seconds as the whole milliseconds of Redis's `PX`, at least 1."""
    return max(1, int(seconds * 1000))


def redacted(url: str) -> str:
    """The URL for messages and reprs: the password of its user part and every `*password*`
    query value (redis-py reads `?password=` and `?ssl_password=`) become `***`; the fragment
    is left out. A URL that cannot be split shows as its scheme only."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{url.partition(':')[0][:16]}://***"
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.partition(':')[0]}:***@{hostport}"
    query = "&".join(_redacted_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _redacted_pair(pair: str) -> str:
    name, eq, _ = pair.partition("=")
    return f"{name}=***" if eq and "password" in unquote(name).lower() else pair
