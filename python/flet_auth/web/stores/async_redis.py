"""`AsyncRedisStore`: the `RedisStore` of async apps, on redis-py's asyncio client: the same
commands, lock script, timeouts and errors."""

import asyncio
from typing import Any, Callable, Optional

from flet_auth._core import ConfigurationError
from flet_auth.web.stores.protocol import ChangeListener
from flet_auth.web.stores.redis import (
    INCR_SCRIPT,
    MISSING_PACKAGE,
    RELEASE_SCRIPT,
    RETRY_BACKOFF,
    bad_url,
    check_settings,
    client_options,
    millis,
    redacted,
    unavailable,
)
from flet_auth.web.stores.redis_changes import SUBSCRIBER_NAME, listen_on_loop

__all__ = ["AsyncRedisStore"]


class AsyncRedisStore:
    """A store in Redis for async apps (`redis.asyncio`): see `RedisStore`.

    A client's connections belong to the event loop that opened them, so the store opens one
    client per loop (a server has one; a test client may start several one after another).
    Its pool holds at most `max_connections`; more concurrent commands wait for one (at most
    `socket_timeout`) instead of each opening a connection at once. Changes are announced
    with `PUBLISH` and heard by one subscriber task per loop (`listen`).
    """

    def __init__(
        self,
        url: str,
        *,
        socket_timeout: float = 5.0,
        connect_timeout: float = 2.0,
        max_connections: int = 64,
    ) -> None:
        check_settings(url, socket_timeout, connect_timeout)
        if not isinstance(max_connections, int) or max_connections < 1:
            raise ConfigurationError("max_connections must be a positive number")
        try:
            import redis
            import redis.asyncio as aioredis
            from redis.asyncio.retry import Retry
            from redis.backoff import ConstantBackoff, NoBackoff
        except ImportError:
            raise ConfigurationError(MISSING_PACKAGE) from None
        self._errors: tuple[type[BaseException], ...] = (
            redis.RedisError,
            OSError,
            asyncio.TimeoutError,
        )
        self._display = redacted(url)
        options = client_options(socket_timeout, connect_timeout)

        def new_client() -> Any:
            pool = aioredis.BlockingConnectionPool.from_url(
                url,
                max_connections=max_connections,
                timeout=socket_timeout,
                retry=Retry(ConstantBackoff(RETRY_BACKOFF), 1),
                **options,
            )
            return aioredis.Redis(connection_pool=pool)

        try:
            new_client()  # the URL is read now, so that a bad one is a configuration error
        except ValueError as e:
            raise bad_url(self._display, e) from None
        self._new_client: Callable[[], Any] = new_client
        self._new_subscriber: Callable[[], Any] = lambda: aioredis.Redis.from_url(
            url, retry=Retry(NoBackoff(), 0), client_name=SUBSCRIBER_NAME, **options
        )
        self._listening: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Task[None]]] = {}
        self._client: Any = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    async def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._client, self._loop = self._new_client(), loop
        try:
            return await getattr(self._client, name)(*args, **kwargs)
        except self._errors as e:
            raise unavailable(self._display, e) from e

    async def get(self, key: str) -> Optional[str]:
        """The value of `key`, or None when it is absent or expired."""
        value = await self._call("get", key)
        return None if value is None else str(value)

    async def set(self, key: str, value: str, ttl: float) -> None:
        """Sets `key` to `value` for `ttl` seconds."""
        await self._call("set", key, value, px=millis(ttl))

    async def pop(self, key: str) -> Optional[str]:
        """Removes `key` and returns its value (`GETDEL`): only one caller gets it."""
        value = await self._call("getdel", key)
        return None if value is None else str(value)

    async def delete(self, key: str) -> None:
        """Removes `key`."""
        await self._call("delete", key)

    async def acquire(self, lock: str, owner: str, ttl: float) -> bool:
        """`SET lock owner NX PX ttl`: True when this owner got the lock."""
        return bool(await self._call("set", lock, owner, px=millis(ttl), nx=True))

    async def release(self, lock: str, owner: str) -> None:
        """Releases `lock` if `owner` still holds it."""
        await self._call("eval", RELEASE_SCRIPT, 1, lock, owner)

    async def locked(self, lock: str) -> bool:
        """Whether someone holds `lock`."""
        return bool(await self._call("exists", lock))

    async def incr(self, counter: str, ttl: float) -> int:
        """`INCR`, with `PEXPIRE ttl` on a new counter (one script): the new value."""
        return int(await self._call("eval", INCR_SCRIPT, 1, counter, str(millis(ttl))))

    async def announce(self, channel: str, message: str) -> None:
        """`PUBLISH channel message`: told to every process listening to `channel`."""
        await self._call("publish", channel, message)

    def listen(self, channel: str, listener: ChangeListener) -> None:
        """Tells `listener` of every announcement on `channel`, from a task on the running
        loop (started now unless one runs on it already)."""
        loop = asyncio.get_running_loop()
        running = self._listening.get(channel)
        if running is not None and running[0] is loop and not running[1].done():
            return
        task = listen_on_loop(self._new_subscriber, channel, listener, self._errors)
        self._listening[channel] = (loop, task)

    async def aclose(self) -> None:
        """Closes the connections of the current loop's client and stops its listening."""
        loop = asyncio.get_running_loop()
        for channel, (owner, task) in list(self._listening.items()):
            if owner is loop:
                task.cancel()
                del self._listening[channel]
        client, self._client, self._loop = self._client, None, None
        if client is not None:
            await client.aclose()

    def __repr__(self) -> str:
        return f"AsyncRedisStore({self._display!r})"
