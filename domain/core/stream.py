"""The event stream a subscriber follows: gapless, ordered, duplicate-free, resumable.

Redis pub/sub is lossy and two processes may publish out of order; the database is
neither. A follower subscribes to the live channel first, then reads the backlog after
its cursor from the outbox, then takes live events, skipping positions it has yielded and
filling any gap (a lost message, a late publish) from the database. Positions are dense
and in commit order (domain/core/positions.py), so "everything up to N" is exact.

The cursor is opaque and versioned: `1.` + base64url of `business:position` pairs, so a
portal stream spanning several businesses carries one position per business."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Hashable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from domain.core.clock import Clock
from domain.core.codes import CoreCode
from domain.core.db import Database
from domain.core.errors import DomainError, FieldError, ValidationFailed
from domain.core.events import EventHub, Subscription
from domain.core.outbox import OutboxEvent, stream_channel
from domain.core.positions import StreamCounter

VERSION = "1"
PAGE = 500  # backlog rows read per query


class CursorExpired(DomainError):
    """The events after this cursor were pruned (older than the retention window): refetch
    the data, then subscribe again without `after`. Code CURSOR_EXPIRED."""

    code = CoreCode.CURSOR_EXPIRED


class SubscriptionLimit(DomainError):
    """Too many open subscriptions on this connection or for this user or API key: close
    some first. Code SUBSCRIPTION_LIMIT."""

    code = CoreCode.SUBSCRIPTION_LIMIT


class Slots:
    """Open stream subscriptions per owner (a user or an API key) in this process."""

    def __init__(self, per_owner: int) -> None:
        self.per_owner = per_owner
        self.open: dict[Hashable, int] = {}

    def can_hold(self, owner: Hashable) -> bool:
        """Whether the owner may open one more (`hold` raises SUBSCRIPTION_LIMIT if not)."""
        return self.open.get(owner, 0) < self.per_owner

    def take(self, owner: Hashable) -> None:
        """One more open stream of the owner (SUBSCRIPTION_LIMIT past the limit); paired
        with `give_back` (plain calls, not a generator context manager held open per
        subscriber: bench/subscription_memory.py)."""
        if not self.can_hold(owner):
            raise SubscriptionLimit(f"at most {self.per_owner} open subscriptions per user")
        self.open[owner] = self.open.get(owner, 0) + 1

    def give_back(self, owner: Hashable) -> None:
        self.open[owner] -= 1
        if not self.open[owner]:
            del self.open[owner]


def bad_cursor(message: str = "not a cursor of this stream") -> ValidationFailed:
    return ValidationFailed(
        FieldError("after", message, CoreCode.BAD_CURSOR), code=CoreCode.BAD_CURSOR
    )


def encode_cursor(positions: Mapping[int, int]) -> str:
    body = ",".join(f"{b}:{p}" for b, p in sorted(positions.items()))
    return f"{VERSION}." + base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, businesses: Sequence[int]) -> dict[int, int]:
    """The positions a cursor holds, for exactly the stream's businesses."""
    version, _, body = cursor.partition(".")
    if version != VERSION or not body or len(cursor) > 2000:
        raise bad_cursor()
    try:
        text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        pairs = [pair.split(":") for pair in text.split(",")]
        positions = {int(b): int(p) for b, p in pairs}
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise bad_cursor() from exc
    if set(positions) != set(businesses) or min(positions.values()) < 0:
        raise bad_cursor()
    return positions


@dataclass(frozen=True)
class StreamEvent:
    id: str  # the outbox row's id
    business_id: int
    position: int
    topic: str
    payload: dict[str, Any]
    cursor: str  # resume after this event
    # the event's object as of its commit (outbox.emit); None for events without one
    snapshot: dict[str, Any] | None = None


class _Follower:
    def __init__(self, db: Database, seen: dict[int, int]) -> None:
        self.db = db
        self.seen = seen

    def event(
        self,
        event_id: str,
        business_id: int,
        position: int,
        topic: str,
        payload: Any,
        snapshot: dict[str, Any] | None,
    ) -> StreamEvent:
        self.seen[business_id] = position
        cursor = encode_cursor(self.seen)
        return StreamEvent(event_id, business_id, position, topic, payload, cursor, snapshot)

    async def read(self, business_id: int, upto: int | None = None) -> AsyncIterator[StreamEvent]:
        """Events after what was seen (through `upto`), from the database, page by page."""
        while True:
            query = (
                select(
                    OutboxEvent.id,
                    OutboxEvent.position,
                    OutboxEvent.topic,
                    OutboxEvent.payload,
                    OutboxEvent.snapshot,
                )
                .where(
                    OutboxEvent.business_id == business_id,
                    OutboxEvent.position > self.seen[business_id],
                )
                .order_by(OutboxEvent.position)
                .limit(PAGE)
            )
            if upto is not None:
                query = query.where(OutboxEvent.position <= upto)
            async with self.db.read() as session:
                rows = (await session.execute(query)).all()
            for event_id, position, topic, payload, snapshot in rows:
                yield self.event(event_id, business_id, position, topic, payload, snapshot)
            if len(rows) < PAGE:
                return


async def start_positions(
    db: Database, businesses: Sequence[int], after: str | None
) -> dict[int, int]:
    """Where a follower starts: after its cursor, or at the stream's head now."""
    async with db.read() as session:
        rows = (
            await session.execute(
                select(
                    StreamCounter.business_id,
                    StreamCounter.last_position,
                    StreamCounter.pruned_through,
                ).where(StreamCounter.business_id.in_(businesses))
            )
        ).all()
    heads = {b: (0, 0) for b in businesses} | {b: (last, pruned) for b, last, pruned in rows}
    if after is None:
        return {b: heads[b][0] for b in businesses}
    positions = decode_cursor(after, businesses)
    for b, position in positions.items():
        last, pruned = heads[b]
        if position > last:
            raise bad_cursor()
        if position < pruned:
            raise CursorExpired("events after this cursor were pruned; refetch and subscribe again")
    return positions


async def follow(
    hub: EventHub, db: Database, businesses: Sequence[int], after: str | None = None
) -> AsyncGenerator[StreamEvent, None]:
    """Every event of the businesses' streams after `after` (or from now), exactly once
    and in position order per business. Raises CursorExpired, FellBehind (the bounded
    live queue overflowed) or SubscriptionClosed (the pub/sub link dropped); the client
    resumes with the cursor of the last event it received."""
    # The start is read before subscribing and the backlog after: whatever commits in
    # between is in the backlog, so "from now" misses nothing that follows the head.
    follower = _Follower(db, await start_positions(db, businesses, after))
    # joined and left by hand, not with an exit stack: one object less per subscriber
    lives = [hub.subscribe(stream_channel(b), strict=True) for b in businesses]
    try:
        for live in lives:
            await live.join()
        for b in businesses:
            async for event in follower.read(b):
                yield event
        async for message in lives[0] if len(lives) == 1 else _merged(lives):
            b, position = message["businessId"], message["position"]
            if position <= follower.seen[b]:
                continue  # already yielded (from the backlog, a gap fill or a republish)
            if position > follower.seen[b] + 1:  # lost or late messages: the database has them
                async for event in follower.read(b, upto=position):
                    yield event
                continue
            yield follower.event(
                message["id"],
                b,
                position,
                message["topic"],
                message["payload"],
                message.get("snapshot"),
            )
    finally:
        for live in lives:
            await live.leave()


async def _merged(lives: list[Subscription]) -> AsyncIterator[dict[str, Any]]:
    queue: asyncio.Queue[Any] = asyncio.Queue(1)  # each pump waits: the hub's queues bound it

    async def pump(live: Subscription) -> None:
        try:
            async for message in live:
                await queue.put(message)
        except Exception as exc:
            await queue.put(exc)

    tasks = [asyncio.create_task(pump(live)) for live in lives]
    try:
        while True:
            item = await queue.get()
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        for task in tasks:
            task.cancel()


async def prune(db: Database, clock: Clock, retention: timedelta) -> int:
    """Delete stream events older than the retention window (and relayed rows without a
    business), moving each business's pruned-through mark so an older cursor answers
    CURSOR_EXPIRED. Idempotent: a second run finds nothing more to delete. Never prunes
    at or past an unrelayed row of a business (the sweep still owes it)."""
    cutoff = clock.now() - retention
    async with db.read() as session:
        old: dict[int, int] = dict(
            (  # type: ignore[arg-type]  # both columns are set in these rows
                await session.execute(
                    select(OutboxEvent.business_id, func.max(OutboxEvent.position))
                    .where(OutboxEvent.position.is_not(None), OutboxEvent.created_at < cutoff)
                    .group_by(OutboxEvent.business_id)
                )
            ).all()
        )
        owed: dict[int, int] = dict(
            (  # type: ignore[arg-type]
                await session.execute(
                    select(OutboxEvent.business_id, func.min(OutboxEvent.position))
                    .where(OutboxEvent.position.is_not(None), OutboxEvent.relayed_at.is_(None))
                    .group_by(OutboxEvent.business_id)
                )
            ).all()
        )
    deleted = 0
    async with db.unit_of_work() as session:
        for business_id, upto in old.items():
            if business_id in owed:
                upto = min(upto, owed[business_id] - 1)
            if upto <= 0:
                continue
            result = await session.execute(
                delete(OutboxEvent).where(
                    OutboxEvent.business_id == business_id, OutboxEvent.position <= upto
                )
            )
            deleted += result.rowcount or 0  # type: ignore[attr-defined]
            await session.execute(
                update(StreamCounter)
                .where(StreamCounter.business_id == business_id)
                .values(pruned_through=func.max(StreamCounter.pruned_through, upto))
                if db.is_sqlite
                else update(StreamCounter)
                .where(StreamCounter.business_id == business_id)
                .values(pruned_through=func.greatest(StreamCounter.pruned_through, upto))
            )
        result = await session.execute(
            delete(OutboxEvent).where(
                OutboxEvent.position.is_(None),
                OutboxEvent.relayed_at.is_not(None),
                OutboxEvent.created_at < cutoff,
            )
        )
        deleted += result.rowcount or 0  # type: ignore[attr-defined]
    return deleted
