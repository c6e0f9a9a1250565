"""The event stream's positions and resume (domain/core/positions.py, stream.py): dense
per business in commit order; a follower is served the backlog from the database, then
live events, with lost or late messages filled from the database and republished ones
skipped; an expired cursor is a typed error; a slow follower is told it fell behind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from domain.core import outbox
from domain.core.clock import FrozenClock, SystemClock
from domain.core.db import Database
from domain.core.errors import ValidationFailed
from domain.core.events import EventHub, FellBehind
from domain.core.outbox import OutboxEvent, event_message, stream_channel
from domain.core.positions import StreamCounter
from domain.core.stream import (
    CursorExpired,
    StreamEvent,
    decode_cursor,
    encode_cursor,
    follow,
    prune,
    start_positions,
)
from domain.core.tx import Tx
from khata.runtime import Runtime
from schema.relay import parse_global_id
from tests.conftest import sign_up, viewer_of


async def commit_events(db: Database, actor: Any, n: int, tag: str = "e") -> list[OutboxEvent]:
    """n events of the actor's business, committed in one transaction through `db` (a
    Database without a relay publishes nothing: the messages are "lost")."""
    async with db.unit_of_work() as session:
        tx = Tx(session, viewer_of(actor), SystemClock())
        rows = [outbox.emit(tx, "test.event", {"tag": f"{tag}{i}"}) for i in range(n)]
    return rows


async def head(db: Database, business_id: int) -> str:
    return encode_cursor(await start_positions(db, [business_id], None))


@pytest.fixture
async def silent_db(runtime: Runtime) -> AsyncIterator[Database]:
    db = Database(runtime.settings.database_url, pool_size=2)  # no relay: nothing published
    yield db
    await db.dispose()


async def _next(stream: AsyncIterator[StreamEvent]) -> StreamEvent:
    return await anext(stream)


async def take(stream: AsyncIterator[StreamEvent], n: int) -> list[StreamEvent]:
    return [await asyncio.wait_for(anext(stream), 10) for _ in range(n)]


def tags(events: list[StreamEvent]) -> list[str]:
    return [e.payload["tag"] for e in events]


async def test_positions_are_dense_per_business_in_commit_order(
    client: httpx.AsyncClient, runtime: Runtime, silent_db: Database
) -> None:
    a, b = await sign_up(client, "IN"), await sign_up(client, "KE")
    start_a = (await start_positions(runtime.db, [parse_global_id(a.business_id)[1]], None)).copy()
    first = await commit_events(silent_db, a, 3)
    other = await commit_events(silent_db, b, 2)
    second = await commit_events(silent_db, a, 1)
    (ba,) = start_a
    positions = [r.position for r in first + second]
    assert positions == list(range(start_a[ba] + 1, start_a[ba] + 5))
    assert other[1].position == other[0].position + 1  # type: ignore[operator]
    assert event_message(second[0])["position"] == positions[-1]
    assert outbox.channels_of(second[0])[0] == stream_channel(ba)


async def test_a_rolled_back_transaction_gives_its_positions_back(
    client: httpx.AsyncClient, runtime: Runtime, silent_db: Database
) -> None:
    a = await sign_up(client, "IN")
    with pytest.raises(RuntimeError):
        async with silent_db.unit_of_work() as session:
            outbox.emit(Tx(session, viewer_of(a), SystemClock()), "test.event", {"tag": "x"})
            await session.flush()
            raise RuntimeError("rolled back")
    before = await start_positions(runtime.db, [parse_global_id(a.business_id)[1]], None)
    rows = await commit_events(silent_db, a, 1)
    assert rows[0].position == next(iter(before.values())) + 1


async def test_resume_serves_the_backlog_then_fills_gaps_and_skips_duplicates(
    client: httpx.AsyncClient, runtime: Runtime, silent_db: Database
) -> None:
    actor = await sign_up(client, "IN")
    business = parse_global_id(actor.business_id)[1]
    cursor = await head(runtime.db, business)
    await commit_events(runtime.db, actor, 2, "backlog")  # published while nobody listened
    stream = follow(runtime.hub, runtime.db, [business], cursor)
    got = await take(stream, 2)
    assert tags(got) == ["backlog0", "backlog1"]
    # three more commits whose messages are lost; only the last one is published (late)
    lost = await commit_events(silent_db, actor, 3, "lost")
    await runtime.hub.publish(stream_channel(business), event_message(lost[-1]))
    got += await take(stream, 3)
    assert tags(got[2:]) == ["lost0", "lost1", "lost2"]  # the gap came from the database
    # a republish (the sweep relays a row again) is skipped; the next live event follows
    await runtime.hub.publish(stream_channel(business), event_message(lost[0]))
    await commit_events(runtime.db, actor, 1, "live")
    got += await take(stream, 1)
    assert tags(got[5:]) == ["live0"]
    positions = [e.position for e in got]
    assert positions == list(range(positions[0], positions[0] + 6))
    # every cursor resumes right after its event
    resumed = follow(runtime.hub, runtime.db, [business], got[2].cursor)
    assert tags(await take(resumed, 3)) == ["lost1", "lost2", "live0"]
    await resumed.aclose()
    await stream.aclose()


async def test_cursors_are_opaque_versioned_and_checked(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    actor = await sign_up(client, "IN")
    business = parse_global_id(actor.business_id)[1]
    several = encode_cursor({business: 0, business + 1: 5})
    assert decode_cursor(several, [business + 1, business]) == {business: 0, business + 1: 5}
    for bad in ["", "garbage", "2." + several[2:], several, "1.!!!", encode_cursor({business: 99})]:
        with pytest.raises(ValidationFailed) as caught:
            await start_positions(runtime.db, [business], bad)
        assert caught.value.errors[0].code == "BAD_CURSOR"


async def test_pruning_expires_old_cursors_and_is_idempotent(
    client: httpx.AsyncClient, runtime: Runtime, silent_db: Database
) -> None:
    actor = await sign_up(client, "IN")
    business = parse_global_id(actor.business_id)[1]
    old_cursor = await head(runtime.db, business)
    await commit_events(runtime.db, actor, 2, "old")
    await runtime.relay.flush()  # relayed: prunable once old
    kept_cursor = await head(runtime.db, business)
    clock = FrozenClock(runtime.clock.now() + timedelta(days=8))
    assert await prune(runtime.db, clock, timedelta(days=7)) >= 2
    assert await prune(runtime.db, clock, timedelta(days=7)) == 0  # nothing more
    with pytest.raises(CursorExpired):
        await start_positions(runtime.db, [business], old_cursor)
    async with runtime.db.read() as session:
        counter = await session.get(StreamCounter, business)
        left = (
            await session.scalars(select(OutboxEvent.id).where(OutboxEvent.business_id == business))
        ).all()
    assert counter is not None and counter.pruned_through == counter.last_position
    assert left == []
    # the newest cursor still resumes: events after it arrive
    stream = follow(runtime.hub, runtime.db, [business], kept_cursor)
    await commit_events(runtime.db, actor, 1, "new")
    assert tags(await take(stream, 1)) == ["new0"]
    await stream.aclose()


async def test_a_slow_follower_is_told_it_fell_behind_and_resumes(
    client: httpx.AsyncClient, runtime: Runtime, silent_db: Database
) -> None:
    hub = EventHub("memory://", queue_size=2)  # a tiny per-client queue
    await hub.connect()
    try:
        actor = await sign_up(client, "IN")
        business = parse_global_id(actor.business_id)[1]
        stream = follow(hub, runtime.db, [business], await head(runtime.db, business))
        waiting = asyncio.create_task(_next(stream))
        await hub.wait_for_subscribers(stream_channel(business))
        (row,) = await commit_events(silent_db, actor, 1, "first")
        await hub.publish(stream_channel(business), event_message(row))
        first = await asyncio.wait_for(waiting, 10)  # the follower is past its backlog now
        rows = await commit_events(silent_db, actor, 3, "burst")
        for row in rows:  # the follower takes nothing meanwhile: its queue overflows
            await hub.publish(stream_channel(business), event_message(row))
        await asyncio.wait_for(hub.overflowed.wait(), 10)
        with pytest.raises(FellBehind) as behind:
            await take(stream, 1)
        assert behind.value.code == "FELL_BEHIND"
        resumed = follow(hub, runtime.db, [business], first.cursor)
        assert tags(await take(resumed, 3)) == ["burst0", "burst1", "burst2"]
        await resumed.aclose()
    finally:
        await hub.disconnect()


def test_the_prune_cron_is_named_per_deployment(runtime: Runtime) -> None:
    from workers.arq_worker import deployment_cron_jobs

    names = [job.name for job in deployment_cron_jobs(runtime.settings)]
    assert f"cron:{runtime.settings.redis_namespace}:prune_stream" in names
