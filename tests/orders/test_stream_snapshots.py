"""Stream events carry their object as committed (a snapshot written with the event): a
subscriber sees each change's own state, in order, live and when replayed from a cursor;
many groups receiving one event load nothing per group; the snapshot holds no contact data.
On the PostgreSQL run events travel through Redis."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from sqlalchemy import select

from domain.core.outbox import OutboxEvent
from khata.runtime import Runtime
from schema.http.cohorts import Cohorts
from tests.conftest import Actor, count_statements, run_jobs, sign_up
from tests.invoicing.helpers import invoice, pay
from tests.orders.helpers import change, customer_id, placed
from tests.orders.test_order_updates import RESCHEDULE, day
from tests.realtime import INVOICE_UPDATES, connect, subscribe, update
from tests.schema.test_cohorts import business_of, ready
from tests.schema.ws_helpers import next_frame, open_socket, send_subscribe

UPDATES = """subscription($after: String) { orderUpdates(after: $after) {
  cursor kind timelineEntry { toStatus version note }
  order { id status version expectedDeliveryDate isDeliveryOverdue total { amount } } } }"""
LINE = [{"description": "Rice 5kg", "quantity": "1", "unitPrice": "100", "taxRate": "0"}]


async def updates(ws: Any, count: int, field: str = "orderUpdates") -> list[dict[str, Any]]:
    return [await update(ws, field) for _ in range(count)]


def states(events: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return [(e["kind"], e["order"]["status"], e["order"]["version"]) for e in events]


async def test_each_event_shows_the_order_as_its_change_committed_it_live_and_replayed(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    order = await placed(owner, await customer_id(owner), expectedDeliveryDate=day(3))
    ws = await connect(server, owner)
    await subscribe(ws, runtime, owner, UPDATES)
    # two quick changes, read only afterwards: a load at delivery would show the last state
    assert (await change(owner, order["id"], "CONFIRMED", 1, note="ok"))["__typename"] == (
        "OrderPayload"
    )
    assert (await change(owner, order["id"], "PROCESSING", 2))["__typename"] == "OrderPayload"
    live = await updates(ws, 2)
    assert states(live) == [("STATUS_CHANGED", "CONFIRMED", 2), ("STATUS_CHANGED", "PROCESSING", 3)]
    assert [e["timelineEntry"] for e in live] == [
        {"toStatus": "CONFIRMED", "version": 2, "note": "ok"},
        {"toStatus": "PROCESSING", "version": 3, "note": None},
    ]
    await ws.close()

    # replayed from the database after the first event: the same states at those positions
    later = {"orderId": order["id"], "expectedVersion": 3, "expectedDeliveryDate": day(6)}
    body = await owner.gql(RESCHEDULE, {"input": later})
    assert body["data"]["rescheduleOrderDelivery"]["__typename"] == "OrderPayload", body
    again = await connect(server, owner)
    await subscribe(again, runtime, owner, UPDATES, after=live[0]["cursor"])
    replayed = await updates(again, 2)
    assert replayed[0] == live[1]  # byte for byte what the live subscriber got
    assert states(replayed) == [
        ("STATUS_CHANGED", "PROCESSING", 3),
        ("DELIVERY_CHANGED", "PROCESSING", 4),
    ]
    assert replayed[0]["order"]["expectedDeliveryDate"] == day(3)
    assert replayed[1]["order"]["expectedDeliveryDate"] == day(6)
    await again.close()


async def test_invoice_events_replay_the_balance_of_each_payment(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    cid = await customer_id(owner, phone="+919812345678", email="asha@example.com")
    ws = await connect(server, owner)
    await subscribe(ws, runtime, owner)
    first = (await invoice(owner, cid, LINE))["invoice"]
    issued = await update(ws, "invoiceUpdates")
    await pay(owner, first["id"], "30", "s1")
    await pay(owner, first["id"], "20", "s2")
    live = await updates(ws, 2, "invoiceUpdates")
    await ws.close()
    again = await connect(server, owner)
    await subscribe(again, runtime, owner, INVOICE_UPDATES, after=issued["cursor"])
    replayed = await updates(again, 2, "invoiceUpdates")
    await again.close()
    assert replayed == live
    assert [(e["invoice"]["status"], e["invoice"]["balance"]["amount"]) for e in live] == [
        ("PARTIALLY_PAID", "70.00"),
        ("PARTIALLY_PAID", "50.00"),
    ]
    async with runtime.db.read() as session:
        snapshots = (
            await session.scalars(
                select(OutboxEvent.snapshot).where(OutboxEvent.topic.like("invoice.%"))
            )
        ).all()
    text = json.dumps([s for s in snapshots if s and s["invoice"]["customer_id"]])
    assert snapshots and "9812345678" not in text and "asha@example.com" not in text


def group_query(n: int) -> str:
    """Equal but for a comment: each is a group of its own (the key holds the document)."""
    return UPDATES.replace("{ orderUpdates", f"{{ # group {n}\n orderUpdates")


async def reschedule(actor: Actor, order_id: str, version: int, offset: int) -> None:
    wanted = {"orderId": order_id, "expectedVersion": version, "expectedDeliveryDate": day(offset)}
    body = await actor.gql(RESCHEDULE, {"input": wanted})
    assert body["data"]["rescheduleOrderDelivery"]["__typename"] == "OrderPayload", body


async def test_many_groups_receiving_one_event_load_nothing_per_group(
    http: httpx.AsyncClient, server: str, app: Any, runtime: Runtime
) -> None:
    cohorts: Cohorts = app.state.cohorts
    owner = await sign_up(http, "IN")
    bid = business_of(owner)
    order = await placed(owner, await customer_id(owner), expectedDeliveryDate=day(2))
    await reschedule(owner, order["id"], 1, 3)  # the first request also notes the sign-in
    await run_jobs(runtime)  # the placement's status message: its statements stay out
    with count_statements(runtime) as alone:  # the change with no subscriber at all
        await reschedule(owner, order["id"], 2, 4)
    groups = 6
    sockets = [await open_socket(server, owner.token, owner.business_id) for _ in range(groups)]
    try:
        for n, ws in enumerate(sockets):
            await send_subscribe(ws, "s", group_query(n), {})
        await ready(cohorts, runtime, bid, [1] * groups)
        await reschedule(owner, order["id"], 3, 5)  # each group reads its business once
        await asyncio.gather(*(next_frame(ws) for ws in sockets))
        await run_jobs(runtime)
        with count_statements(runtime) as seen:
            await reschedule(owner, order["id"], 4, 6)
            frames = await asyncio.gather(*(next_frame(ws) for ws in sockets))
        got = [f["payload"]["data"]["orderUpdates"]["order"] for f in frames]
        assert {(o["version"], o["expectedDeliveryDate"]) for o in got} == {(5, day(6))}
        # the mutation's own statements, none per group (their order may differ: the
        # position step and the reads of other work in flight interleave under load)
        assert sorted(seen) == sorted(alone)
    finally:
        for ws in sockets:
            await ws.close()
