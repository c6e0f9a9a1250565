"""A Redis backend for broadcaster's Broadcast that survives Redis failures.

broadcaster's own RedisBackend stops delivering for good when its pub/sub connection
drops. This one reconnects with backoff, resubscribes every channel, and tells each
channel about the gap (a GAP message) so listeners can close their clients, which then
resubscribe and refetch instead of silently missing events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend
from redis import asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("khata.events.redis")
GAP = "\x00khata:gap"


class ResilientRedisBackend(BroadcastBackend):
    def __init__(self, url: str, client_name: str = "khata:pubsub") -> None:
        self._url = url
        self.client_name = client_name  # lets an operator (or a test) find this connection
        self._publisher = aioredis.Redis.from_url(url)
        self._pubsub: Any = None
        self._channels: set[str] = set()
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._has_channels = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self.reconnects = 0
        # Held while a pub/sub connection is used to subscribe or is swapped for a new
        # one: a SUBSCRIBE never reopens a connection the listener has given up on.
        self._switch = asyncio.Lock()

    async def connect(self) -> None:
        await self._open()
        self._listener = asyncio.create_task(self._listen())

    async def _open(self) -> None:
        self._pubsub = aioredis.Redis.from_url(self._url, client_name=self.client_name).pubsub()
        if self._channels:
            await self._pubsub.subscribe(*self._channels)
        self.connected.set()

    async def disconnect(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        await self._publisher.aclose()

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        async with self._switch:
            # on a lost link the listener reconnects and subscribes every channel
            if self.connected.is_set():
                with contextlib.suppress(RedisConnectionError, RedisTimeoutError, OSError):
                    await self._pubsub.subscribe(channel)
        self._has_channels.set()

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        with contextlib.suppress(RedisConnectionError, RedisTimeoutError, OSError):
            await self._pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: Any) -> None:
        await self._publisher.publish(channel, message)

    async def next_published(self) -> Event:
        return await self._queue.get()

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            try:
                await self._has_channels.wait()
                if self._pubsub.connection is None:  # no SUBSCRIBE sent on this pubsub yet
                    if not self._channels:
                        self._has_channels.clear()
                        continue
                    await self._pubsub.subscribe(*self._channels)
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=1.0
                )
                if message is not None and message["type"] == "message":
                    await self._queue.put(
                        Event(message["channel"].decode(), message["data"].decode())
                    )
                delay = 0.1
                if not self._channels:
                    self._has_channels.clear()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never die silently: treat anything as a lost link
                async with self._switch:
                    self.connected.clear()
                    with contextlib.suppress(Exception):
                        await self._pubsub.aclose()
                log.warning("redis pub/sub lost (%s); reconnecting", exc)
                for channel in list(self._channels):
                    await self._queue.put(Event(channel, GAP))
                while True:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    try:
                        async with self._switch:
                            await self._open()
                        self.reconnects += 1
                        break
                    except (RedisConnectionError, RedisTimeoutError, OSError):
                        log.warning("redis still unreachable; retrying in %.1fs", delay)
