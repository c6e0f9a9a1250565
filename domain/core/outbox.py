"""Transactional outbox: side effects are rows written with the change, relayed after
commit (job queue + broadcast channels) and swept again if a crash left them behind."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import BigInteger, Index, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.clock import Clock
from domain.core.db import Database
from domain.core.failures import log_failure
from domain.core.orm import Base, IdType
from domain.core.tx import Tx

log = logging.getLogger("khata.outbox")


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_events_pending", "relayed_at", "created_at"),
        Index("ix_outbox_events_business_id_position", "business_id", "position", unique=True),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_id: Mapped[int | None] = mapped_column(IdType)
    topic: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]]
    job: Mapped[str | None] = mapped_column(String(80))
    channels: Mapped[list[str]]
    created_at: Mapped[datetime]
    relayed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    # dense per business, in commit order (domain/core/positions.py); None without a business
    position: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # what the event is about as of its commit (`emit(snapshot=...)`): a subscriber builds
    # its object from this, live or replayed, instead of loading it once per subscription
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(default=None)


Snapshot = Callable[[], dict[str, Any]]


def emit(
    tx: Tx,
    topic: str,
    payload: dict[str, Any],
    *,
    job: str | None = None,
    channels: Sequence[str] = (),
    business_id: int | None = None,
    snapshot: Snapshot | None = None,
    event_id: str | None = None,
) -> OutboxEvent:
    """Record a side effect inside the caller's transaction; nothing leaves before commit.
    `snapshot` is called once, as the transaction's last step (with the positions), so the
    event carries its object as committed, not as it was when the event was emitted.
    `event_id`: an id handed out earlier (a scheduled send's request id), else a new one."""
    row = OutboxEvent(**_columns(tx, topic, payload, job, channels, business_id))
    if event_id is not None:
        row.id = event_id
    tx.session.add(row)
    tx.session.info.setdefault("outbox", []).append(row)
    if snapshot is not None:
        tx.session.info.setdefault("snapshots", []).append((row, snapshot))
    return row


def emitted(tx: Tx, event_id: str) -> OutboxEvent | None:
    """The event this transaction emitted with that id, not yet committed (None if none)."""
    for row in tx.session.info.get("outbox", []):
        if row.id == event_id:
            return row  # type: ignore[no-any-return]
    return None


async def get_event(db: Database, outbox_id: str) -> OutboxEvent | None:
    """The row a job was enqueued for (jobs receive only its id)."""
    async with db.read() as session:
        return await session.get(OutboxEvent, outbox_id)


def new_event_id() -> str:
    return uuid.uuid4().hex


def _columns(
    tx: Tx,
    topic: str,
    payload: dict[str, Any],
    job: str | None,
    channels: Sequence[str],
    business_id: int | None = None,
) -> dict[str, Any]:
    return {
        "id": new_event_id(),
        "business_id": business_id if business_id is not None else tx.viewer.business_id,
        "topic": topic,
        "payload": payload,
        "job": job,
        "channels": list(channels),
        "created_at": tx.now(),
        "relayed_at": None,
        "attempts": 0,
        "position": None,
    }


class JobQueue(Protocol):
    async def enqueue(self, task: str, *, job_id: str, **kwargs: Any) -> None: ...


class Publisher(Protocol):
    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...


def stream_channel(business_id: int) -> str:
    """The one channel per business that carries every event of its stream, in order."""
    return f"business:{business_id}:stream"


def event_message(row: OutboxEvent) -> dict[str, Any]:
    message: dict[str, Any] = {"id": row.id, "topic": row.topic, "payload": row.payload}
    if row.position is not None:
        message |= {"businessId": row.business_id, "position": row.position}
    if row.snapshot is not None:
        message["snapshot"] = row.snapshot
    return message


def channels_of(row: OutboxEvent) -> list[str]:
    """The business's stream channel (rows with a position), then the legacy channels the
    row lists (kept while subscribers move to the stream)."""
    legacy = list(row.channels)
    if row.position is None or row.business_id is None:
        return legacy
    return [stream_channel(row.business_id), *legacy]


class OutboxRelay:
    """Relays committed outbox rows and marks them relayed.

    Marking is a write of its own (a transaction: three round trips and a commit). Done
    once per relay it would cost every mutation a second transaction; here the rows
    handed over in the next `mark_delay` seconds are marked together, in the background.
    One second, not less: at the tens of mutations a second an API process serves, a
    0.2 s window still held one or two rows, so nearly every mutation paid for a mark
    transaction of its own. An unmarked row is only ever relayed again by the sweep,
    which waits `stale_seconds` (10 s) for it: delivery stays at least once, as it always
    was (a crash between publish and mark).
    """

    def __init__(
        self,
        db: Database,
        jobs: JobQueue,
        publisher: Publisher,
        clock: Clock,
        *,
        mark_delay: float = 1.0,
    ) -> None:
        self.db = db
        self.jobs = jobs
        self.publisher = publisher
        self.clock = clock
        self.mark_delay = mark_delay
        self.marks = 0  # mark transactions run, for tests and benchmarks
        self._unmarked: list[str] = []
        self._marker: asyncio.Task[None] | None = None
        self._hurry = asyncio.Event()

    async def relay(self, rows: Sequence[OutboxEvent]) -> int:
        """Hand rows to the queue and the channels; what went out is marked shortly after.
        Never raises: whatever fails stays unrelayed for the sweep."""
        done: list[str] = []
        for row in rows:
            try:
                if row.job:
                    await self.jobs.enqueue(row.job, job_id=row.id, outbox_id=row.id)
                message = event_message(row)
                for channel in channels_of(row):
                    await self.publisher.publish(channel, message)
                done.append(row.id)
            except Exception as exc:
                log_failure(log, "outbox relay failed", exc, extra={"outbox_id": row.id})
        if done:
            self._unmarked.extend(done)
            if self._marker is None or self._marker.done():
                self._marker = asyncio.create_task(self._mark_soon())
        return len(done)

    async def flush(self) -> None:
        """Marks what has been relayed now (shutdown, tests): returns once it is written."""
        while self._marker is not None and not self._marker.done():
            self._hurry.set()
            await asyncio.shield(self._marker)
        # a marker already past its wait leaves the flag set: the next batch would be
        # marked at once instead of coalesced
        self._hurry.clear()

    async def _mark_soon(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._hurry.wait(), self.mark_delay)
        self._hurry.clear()
        while self._unmarked:
            ids, self._unmarked = self._unmarked, []
            try:
                async with self.db.unit_of_work() as session:
                    await session.execute(
                        update(OutboxEvent)
                        .where(OutboxEvent.id.in_(ids))
                        .values(relayed_at=self.clock.now(), attempts=OutboxEvent.attempts + 1)
                    )
                self.marks += 1
            except Exception:
                log.exception("could not mark outbox rows relayed")  # the sweep has them

    async def sweep(self, stale_seconds: float = 10.0, limit: int = 500) -> int:
        """Relay rows that a crash between commit and relay left behind."""
        cutoff = self.clock.now() - timedelta(seconds=stale_seconds)
        async with self.db.read() as session:
            rows = (
                await session.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.relayed_at.is_(None), OutboxEvent.created_at <= cutoff)
                    .order_by(OutboxEvent.created_at)
                    .limit(limit)
                )
            ).all()
        return await self.relay(rows) if rows else 0


async def backlog(db: Database) -> tuple[int, datetime | None]:
    """Rows not yet relayed and the creation time of the oldest, in one query (metrics)."""
    from sqlalchemy import func

    async with db.read() as session:
        row = (
            await session.execute(
                select(func.count(), func.min(OutboxEvent.created_at)).where(
                    OutboxEvent.relayed_at.is_(None)
                )
            )
        ).one()
    oldest = row[1]
    if isinstance(oldest, str):  # SQLite returns the aggregate's text
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    return int(row[0]), oldest
