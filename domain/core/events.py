"""Realtime fan-out behind broadcaster's Broadcast interface.

broadcaster subscribes per call and keeps an unbounded queue per subscriber. Here each
process subscribes once per channel and fans out in-process to bounded per-client queues;
a slow client loses its oldest events (and is told), a dead listener closes its clients so
they resubscribe instead of waiting forever."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from typing import Any

import orjson
from broadcaster import Broadcast

from domain.core.codes import CoreCode
from domain.core.errors import DomainError
from domain.core.redis_broadcast import GAP, ResilientRedisBackend

log = logging.getLogger("khata.events")


class SubscriptionClosed(DomainError):
    """The event stream was interrupted (the pub/sub link dropped, events may have been
    lost): the client resubscribes, resuming after the last event it saw. Clients see it
    as an error with `extensions.code = RESUBSCRIBE`."""

    code = CoreCode.RESUBSCRIBE


class FellBehind(DomainError):
    """This client's bounded queue overflowed: it could not keep up with the live events.
    The client resubscribes with `after: <the last cursor it received>` and is served the
    rest from the database. Code FELL_BEHIND."""

    code = CoreCode.FELL_BEHIND


_CLOSED = object()
_BEHIND = object()


class _Inbox:
    """One subscriber's bounded buffer: a deque only while it holds something (an empty
    deque still keeps a 64-slot block) and a future only while it waits (an asyncio.Queue
    is four deques and an Event per subscriber; bench/subscription_memory.py)."""

    __slots__ = ("_waiter", "items", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: deque[Any] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def full(self) -> bool:
        return self.items is not None and len(self.items) >= self.limit

    def put(self, item: Any) -> None:
        if self.items is None:
            self.items = deque()
        self.items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def put_back(self, item: Any) -> None:
        """`item` is the next one `get` returns."""
        if self.items is None:
            self.items = deque()
        self.items.appendleft(item)

    def drop_oldest(self) -> None:
        if self.items:
            self.items.popleft()

    def clear(self) -> int:
        """Drops what it holds; returns how many."""
        dropped = len(self.items) if self.items is not None else 0
        self.items = None
        return dropped

    async def get(self) -> Any:
        while not self.items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        item = self.items.popleft()
        if not self.items:
            self.items = None
        return item


class Subscription:
    """One subscriber of a channel: an async context manager that joins and leaves it,
    and the iterator of its messages. A plain object rather than a generator-based
    context manager and a draining generator: two suspended frames less per subscriber
    (bench/subscription_memory.py)."""

    __slots__ = ("_state", "channel", "hub", "inbox", "strict")

    def __init__(self, hub: EventHub, channel: str, strict: bool) -> None:
        self.hub = hub
        self.channel = channel
        self.strict = strict
        self.inbox = _Inbox(hub.queue_size)
        self._state: _Channel | None = None

    async def join(self) -> None:
        """Listens from now on (returns once the channel's listener is subscribed)."""
        self._state = await self.hub.attach(self.channel, self.inbox, self.strict)

    async def leave(self) -> None:
        """Stops listening; a no-op if it never joined or already left."""
        if self._state is not None:
            state, self._state = self._state, None
            await self.hub.detach(self.channel, state, self.inbox)

    async def __aenter__(self) -> Subscription:
        await self.join()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.leave()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        item = await self.inbox.get()
        if item is _CLOSED or item is _BEHIND:
            self.inbox.put_back(item)  # the end stays the end
        if item is _CLOSED:
            raise SubscriptionClosed("event stream interrupted; resubscribe")
        if item is _BEHIND:
            raise FellBehind("fell behind the live events; resubscribe with your last cursor")
        return item  # type: ignore[no-any-return]


class _Channel:
    def __init__(self) -> None:
        self.queues: set[_Inbox] = set()
        self.strict: set[_Inbox] = set()  # told when they fall behind
        self.task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()


class EventHub:
    """Channels are named by the domain (`business:7:invoices`); on the wire each one is
    prefixed with the deployment's namespace, so deployments sharing a Redis never see
    each other's events."""

    def __init__(self, url: str, queue_size: int = 256, namespace: str = "khata") -> None:
        self.url = url
        self.queue_size = queue_size
        self.namespace = namespace
        if url.startswith(("redis://", "rediss://")):
            self.backend: Any = ResilientRedisBackend(
                url, client_name=f"{namespace}:pubsub:{uuid.uuid4().hex[:8]}"
            )
            self._broadcast = Broadcast(backend=self.backend)
        else:
            self.backend = None
            self._broadcast = Broadcast(url)
        self._channels: dict[str, _Channel] = {}
        self._lock = asyncio.Lock()
        self._joined = asyncio.Condition()
        self.dropped = 0
        self.fell_behind = 0  # strict subscribers ended by an overflow (metrics)
        self.overflowed = asyncio.Event()  # set at the first such overflow (tests)
        self.published = 0  # events this process published (metrics)
        self.delivered = 0  # events handed to this process's subscribers (metrics)

    async def connect(self) -> None:
        await self._broadcast.connect()

    async def disconnect(self) -> None:
        for channel in list(self._channels.values()):
            if channel.task:
                channel.task.cancel()
        with contextlib.suppress(Exception):
            await self._broadcast.disconnect()

    def wire_name(self, channel: str) -> str:
        return f"{self.namespace}:{channel}"

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self._broadcast.publish(
            channel=self.wire_name(channel), message=orjson.dumps(message).decode()
        )
        self.published += 1

    def subscriptions(self) -> int:
        """Open subscriptions in this process, over all channels."""
        return sum(len(state.queues) for state in self._channels.values())

    def subscriber_count(self, channel: str) -> int:
        state = self._channels.get(channel)
        return len(state.queues) if state else 0

    async def wait_for_subscribers(self, channel: str, count: int = 1) -> None:
        """Readiness: returns once `count` clients listen on the channel in this process."""
        async with self._joined:
            await self._joined.wait_for(lambda: self.subscriber_count(channel) >= count)

    def subscribe(self, channel: str, *, strict: bool = False) -> Subscription:
        """`async with hub.subscribe(channel) as events: async for message in events`.
        `strict`: a full queue ends this subscription with FellBehind (the client resumes
        from its cursor) instead of dropping its oldest event."""
        return Subscription(self, channel, strict)

    async def attach(self, channel: str, inbox: _Inbox, strict: bool) -> _Channel:
        """A Subscription's join: the inbox gets the channel's messages from now on."""
        async with self._lock:
            state = self._channels.get(channel)
            if state is None or state.task is None or state.task.done():
                state = _Channel()
                self._channels[channel] = state
                state.task = asyncio.create_task(self._listen(channel, state))
            state.queues.add(inbox)
            if strict:
                state.strict.add(inbox)
        await state.ready.wait()
        async with self._joined:
            self._joined.notify_all()
        return state

    async def detach(self, channel: str, state: _Channel, inbox: _Inbox) -> None:
        """A Subscription's leave: the last inbox out stops the channel's listener."""
        async with self._lock:
            state.queues.discard(inbox)
            state.strict.discard(inbox)
            if not state.queues and state.task is not None:
                state.task.cancel()
                if self._channels.get(channel) is state:
                    del self._channels[channel]

    async def _listen(self, channel: str, state: _Channel) -> None:
        try:
            async with self._broadcast.subscribe(channel=self.wire_name(channel)) as subscriber:
                state.ready.set()
                async for event in subscriber:  # type: ignore[union-attr]
                    if event is None:
                        break
                    if event.message == GAP:  # events may have been lost: make clients resubscribe
                        for queue in list(state.queues):
                            self._close(queue)
                        continue
                    message = orjson.loads(event.message)
                    for queue in list(state.queues):
                        if queue.full() and queue in state.strict:
                            self._fall_behind(state, queue)
                            continue
                        if queue.full():
                            queue.drop_oldest()
                            self.dropped += 1
                        queue.put(message)
                        self.delivered += 1
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("event listener died", extra={"channel": channel})
        finally:
            state.ready.set()
            for queue in list(state.queues):
                self._close(queue)

    def _fall_behind(self, state: _Channel, queue: _Inbox) -> None:
        """Drop what the client has not taken (it resumes from its cursor) and end it."""
        self.dropped += queue.clear()
        queue.put(_BEHIND)
        state.queues.discard(queue)
        state.strict.discard(queue)
        self.fell_behind += 1
        self.overflowed.set()

    @staticmethod
    def _close(queue: _Inbox) -> None:
        if queue.full():
            queue.drop_oldest()
        queue.put(_CLOSED)
