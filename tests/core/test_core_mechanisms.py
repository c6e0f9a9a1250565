"""Outbox (relay after commit, nothing on rollback, sweep after a crash), gapless numbers
under concurrency, constant SQL per page, the committed SDL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from domain.core import outbox
from domain.core.clock import SystemClock
from domain.core.db import Database
from domain.core.outbox import OutboxEvent
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from khata.runtime import Runtime
from schema.relay import parse_global_id
from tests.conftest import Actor, count_statements, create_customer, gql
from workers.runner import InProcessRunner


class Boom(Exception):
    pass


async def test_outbox_relays_after_commit_and_drops_on_rollback(runtime: Runtime) -> None:
    channel = "test:outbox:rollback"
    viewer = Viewer.anonymous()
    async with runtime.hub.subscribe(channel) as events:
        with pytest.raises(Boom):
            async with runtime.db.unit_of_work() as session:
                outbox.emit(
                    Tx(session, viewer, runtime.clock),
                    "test.rolled_back",
                    {"n": 1},
                    channels=[channel],
                )
                raise Boom
        async with runtime.db.unit_of_work() as session:
            committed = outbox.emit(
                Tx(session, viewer, runtime.clock), "test.committed", {"n": 2}, channels=[channel]
            )
        # One channel is FIFO: had the rolled-back event leaked, it would arrive first.
        message = await asyncio.wait_for(events.__anext__(), timeout=10)
    assert message["topic"] == "test.committed"
    assert message["payload"] == {"n": 2}
    await runtime.relay.flush()
    async with runtime.db.read() as session:
        rows = (
            await session.scalars(
                select(OutboxEvent).where(
                    OutboxEvent.topic.in_(["test.rolled_back", "test.committed"])
                )
            )
        ).all()
    assert [r.topic for r in rows] == ["test.committed"]
    assert rows[0].id == committed.id and rows[0].relayed_at is not None


async def test_sweep_relays_rows_a_crash_left_behind(runtime: Runtime) -> None:
    channel = "test:outbox:sweep"
    # A second "process" that commits and dies before relaying: no after-commit hook.
    crashed = Database(runtime.settings.database_url)
    try:
        async with crashed.unit_of_work() as session:
            row = outbox.emit(
                Tx(session, Viewer.anonymous(), SystemClock()),
                "test.orphan",
                {"k": "v"},
                channels=[channel],
            )
    finally:
        await crashed.dispose()
    async with runtime.db.read() as session:
        assert (await session.get(OutboxEvent, row.id)).relayed_at is None  # type: ignore[union-attr]
    async with runtime.hub.subscribe(channel) as events:
        relayed = await runtime.relay.sweep(stale_seconds=0)
        message = await asyncio.wait_for(events.__anext__(), timeout=10)
    assert relayed >= 1
    assert message["id"] == row.id and message["topic"] == "test.orphan"
    await runtime.relay.flush()
    async with runtime.db.read() as session:
        assert (await session.get(OutboxEvent, row.id)).relayed_at is not None  # type: ignore[union-attr]
    async with runtime.db.read() as session:
        pending = (
            await session.scalars(
                select(OutboxEvent.id).where(
                    OutboxEvent.id == row.id, OutboxEvent.relayed_at.is_(None)
                )
            )
        ).all()
    assert pending == []


async def test_rows_relayed_together_are_marked_in_one_transaction(runtime: Runtime) -> None:
    """Marking is coalesced: three commits in a row are published at once and marked
    relayed by one write, not three; until then the rows are relayed but unmarked."""
    viewer = Viewer.anonymous()
    channel = "test:outbox:marks"
    ids = []
    # the runtime is the session's: jobs and marks left by earlier tests land first
    if isinstance(runtime.jobs, InProcessRunner):
        await runtime.jobs.drain()
    await runtime.relay.flush()
    runtime.relay.mark_delay = 3600  # only flush() marks now, however slow the machine
    async with runtime.hub.subscribe(channel) as events:
        for n in range(3):
            async with runtime.db.unit_of_work() as session:
                ids.append(
                    outbox.emit(
                        Tx(session, viewer, runtime.clock),
                        "test.mark",
                        {"n": n},
                        channels=[channel],
                    ).id
                )
        got = [await asyncio.wait_for(events.__anext__(), timeout=10) for _ in ids]
    assert [m["id"] for m in got] == ids  # published at commit, before any mark

    async def rows() -> list[OutboxEvent]:
        async with runtime.db.read() as session:
            found = await session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(ids)))
            return list(found.all())

    assert [r.relayed_at for r in await rows()] == [None, None, None]
    marks_before = runtime.relay.marks
    await runtime.relay.flush()
    assert runtime.relay.marks > marks_before
    marked = await rows()
    assert len(marked) == 3 and all(r.attempts == 1 for r in marked)
    # one UPDATE stamps one time on all three (three writes would stamp three)
    assert len({r.relayed_at for r in marked}) == 1 and marked[0].relayed_at is not None
    assert await runtime.relay.sweep(stale_seconds=0) == 0  # nothing left to relay again


async def test_concurrent_creations_get_gapless_unique_numbers(owner: Actor) -> None:
    async def make(i: int) -> dict:
        if i % 5 == 4:  # every fifth fails validation and must not burn a number
            return await create_customer(owner, name=f"Bad {i}", phone="12")
        return await create_customer(owner, name=f"Concurrent {i}", phone=None)

    results = await asyncio.gather(*(make(i) for i in range(30)))
    ok = [r["customer"]["number"] for r in results if r["__typename"] == "CustomerPayload"]
    failed = [r for r in results if r["__typename"] == "ValidationError"]
    assert len(failed) == 6 and all(f["fields"][0]["field"] == "phone" for f in failed)
    assert sorted(ok) == [f"CUST-{n:05d}" for n in range(1, 25)]


AUTO = """mutation($input: AutoRegisterCustomerInput!) { autoRegisterCustomer(input: $input) {
  __typename ... on AutoRegisterPayload { created customer { id } } ... on UserError { code } } }"""


async def test_concurrent_auto_register_same_phone_creates_one_customer(owner: Actor) -> None:
    formats = ["98111 22333", "+91 98111 22333", "098111-22333", "+919811122333"] * 3
    results = await asyncio.gather(
        *(owner.gql(AUTO, {"input": {"phone": p, "name": "Counter Rush"}}) for p in formats)
    )
    payloads = [r["data"]["autoRegisterCustomer"] for r in results]
    assert all(p["__typename"] == "AutoRegisterPayload" for p in payloads), payloads
    assert len({p["customer"]["id"] for p in payloads}) == 1
    assert sum(p["created"] for p in payloads) == 1


LIST = """query($first: Int!) { customers(first: $first, sort: {field: NAME}) {
  totalCount
  edges { cursor node { id number name financial { outstanding { amount currency } }
          addresses { id city isDefault } defaultAddress { city } } }
  pageInfo { hasNextPage endCursor } } }"""


async def test_customer_list_with_addresses_runs_constant_sql(
    owner: Actor, runtime: Runtime
) -> None:
    for i in range(12):
        await create_customer(
            owner,
            name=f"Listed {i:02d}",
            addresses=[
                {"city": "Pune", "street": f"{i} MG Road"},
                {"city": "Nashik", "street": f"{i} Station Road", "isDefault": True},
            ],
        )
    counts = {}
    for first in (1, 5, 12):
        with count_statements(runtime) as statements:
            body = await owner.gql(LIST, {"first": first})
        edges = body["data"]["customers"]["edges"]
        assert len(edges) == first
        assert all(len(e["node"]["addresses"]) == 2 for e in edges)
        assert all(e["node"]["defaultAddress"]["city"] == "Nashik" for e in edges)
        counts[first] = len(statements)
    assert counts[1] == counts[5] == counts[12], counts
    # auth (token + memberships) + business + page + addresses + count
    assert counts[12] <= 6, counts


async def test_committed_sdl_matches_the_code() -> None:
    from khata_cli import SDL_PATH, export_sdl

    assert Path(SDL_PATH).read_text() == export_sdl(), "run `make schema` and commit it"


async def test_global_ids_are_opaque_and_typed(owner: Actor) -> None:
    created = await create_customer(owner, name="Opaque")
    gid = created["customer"]["id"]
    assert "Customer" not in gid
    assert parse_global_id(gid)[0] == "Customer"
    body = await owner.gql(
        "query($id: ID!) { node(id: $id) { __typename id ... on Customer { name } } }", {"id": gid}
    )
    assert body["data"]["node"] == {"__typename": "Customer", "id": gid, "name": "Opaque"}


async def test_unauthenticated_query_gets_typed_error(client) -> None:  # type: ignore[no-untyped-def]
    body = await gql(client, "{ customers(first: 1) { totalCount } }", expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Traceback" not in str(body)


async def test_a_connection_that_died_while_idle_is_replaced_at_checkout(runtime: Runtime) -> None:
    """Pooled connections are pinged only after sitting idle (domain.core.db.ping_when_idle);
    one the server dropped meanwhile is replaced before anyone uses it."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from domain.core.db import ping_when_idle

    engine = create_async_engine(runtime.settings.database_url, pool_size=1, max_overflow=0)
    ping_when_idle(engine, idle_seconds=0.0)
    try:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            first_pid = (await conn.execute(_backend_id(runtime))).scalar()
            driver = raw.driver_connection
            assert driver is not None
        # dropped while it sits in the pool, as a server restart or an idle timeout would
        if hasattr(driver, "terminate"):
            driver.terminate()  # asyncpg: the socket closes at once
        else:
            await driver.close()  # aiosqlite
        async with engine.connect() as conn:
            assert (await conn.execute(text("select 41 + 1"))).scalar() == 42
            raw2 = await conn.get_raw_connection()
            assert raw2.driver_connection is not driver
            if runtime.db.is_sqlite is False:
                assert (await conn.execute(_backend_id(runtime))).scalar() != first_pid
    finally:
        await engine.dispose()


def _backend_id(runtime: Runtime) -> Any:
    from sqlalchemy import text

    return text("select 1" if runtime.db.is_sqlite else "select pg_backend_pid()")
