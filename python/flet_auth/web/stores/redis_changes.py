"""The change feed of the Redis stores: `PUBLISH` to announce, and one subscriber per process
(a daemon thread for `RedisStore`, a task on the event loop for `AsyncRedisStore`) that tells
a `ChangeListener`. The subscriber's client never retries on its own: every lost connection
reaches the listener as `disconnected`, and `connected` follows each new subscription."""

import asyncio
import contextlib
import logging
import threading
import time
from typing import Any, Callable

from flet_auth.web.stores.protocol import ChangeListener

__all__ = ["FIRST_RETRY", "LAST_RETRY", "SUBSCRIBER_NAME", "listen_in_thread", "listen_on_loop"]

logger = logging.getLogger("flet_auth.web")

FIRST_RETRY, LAST_RETRY = 0.05, 2.0
"""Seconds before subscribing again after a failure, doubling."""
SUBSCRIBER_NAME = "flet-auth-changes"
"""The client name of the subscribers' connections (in Redis's `CLIENT LIST`)."""
WAIT = 1.0  # seconds a subscriber waits for a message before it looks again


def _tell(listener: ChangeListener, message: Any) -> bool:
    """Hands a pub/sub message to `listener`; True when it was the subscription's answer."""
    kind = message.get("type")
    if kind == "subscribe":
        listener.connected()
        return True
    if kind == "message" and isinstance(message.get("data"), str):
        listener.changed(message["data"])
    return False


def listen_in_thread(
    new_client: Callable[[], Any],
    channel: str,
    listener: ChangeListener,
    errors: tuple[type[BaseException], ...],
) -> threading.Thread:
    """Starts a daemon thread that subscribes to `channel` with a client from `new_client()`
    (sync redis-py) and tells `listener` until the process ends, subscribing again after a
    failure."""

    def run() -> None:
        delay = FIRST_RETRY
        while True:
            pubsub = new_client().pubsub()
            try:
                pubsub.subscribe(channel)
                while True:
                    message = pubsub.get_message(timeout=WAIT)
                    if message is not None and _tell(listener, message):
                        delay = FIRST_RETRY
            except errors as e:
                if delay == FIRST_RETRY:  # once per outage, not at every retry
                    logger.info("the store's change feed is down (%s)", type(e).__name__)
            finally:
                listener.disconnected()
                with contextlib.suppress(*errors):
                    pubsub.close()
            time.sleep(delay)
            delay = min(delay * 2, LAST_RETRY)

    thread = threading.Thread(target=run, name="flet-auth-changes", daemon=True)
    thread.start()
    return thread


def listen_on_loop(
    new_client: Callable[[], Any],
    channel: str,
    listener: ChangeListener,
    errors: tuple[type[BaseException], ...],
) -> "asyncio.Task[None]":
    """`listen_in_thread` for the running event loop: a task (with a `redis.asyncio` client
    from `new_client()`), until it is cancelled with its loop."""

    async def run() -> None:
        delay = FIRST_RETRY
        while True:
            client = new_client()
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(channel)
                while True:
                    message = await pubsub.get_message(timeout=WAIT)
                    if message is not None and _tell(listener, message):
                        delay = FIRST_RETRY
            except errors as e:
                if delay == FIRST_RETRY:  # once per outage, not at every retry
                    logger.info("the store's change feed is down (%s)", type(e).__name__)
            finally:
                listener.disconnected()
                with contextlib.suppress(*errors):
                    await pubsub.aclose()
                    await client.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, LAST_RETRY)

    return asyncio.get_running_loop().create_task(run(), name="flet-auth-changes")
