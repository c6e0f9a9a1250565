"""orderUpdates over a real WebSocket: every kind of event with the Order, its timeline
entry and a cursor; filters by order and by customer; resume with `after`; two businesses
on two app instances with interleaved events; sign-out and key revocation closing the
stream; the ORDERS_READ scope. On the PostgreSQL run events travel through Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from domain.core.outbox import OutboxEvent
from khata.composition import build_runtime, create_app
from khata.runtime import Runtime
from schema.relay import parse_global_id
from tests.accounts.test_revocation import closed_with, create_api_key
from tests.accounts.test_revocation import connect as connect_with
from tests.conftest import Actor, serving, sign_up
from tests.invoicing.helpers import local_today
from tests.orders.helpers import change, customer_id, placed
from tests.realtime import connect, error_code, frame, subscribe, update

ORDER_UPDATES = """subscription($orderId: ID, $customerId: ID, $after: String) {
  orderUpdates(orderId: $orderId, customerId: $customerId, after: $after) {
    cursor kind reason
    timelineEntry { kind fromStatus toStatus actor at note expectedDeliveryDate version }
    order { id number status version expectedDeliveryDate cancelReason customerId
      timeline { kind toStatus } } } }"""
RESCHEDULE = """mutation($input: RescheduleOrderDeliveryInput!) {
  rescheduleOrderDelivery(input: $input) { __typename } }"""


async def next_update(ws: Any) -> dict[str, Any]:
    return await update(ws, "orderUpdates")


async def listen(ws: Any, rt: Runtime, actor: Actor, op: str = "1", **variables: Any) -> None:
    await subscribe(ws, rt, actor, ORDER_UPDATES, op=op, **variables)


def day(offset: int) -> str:
    return (local_today() + timedelta(days=offset)).isoformat()


async def test_every_order_event_arrives_with_the_order_and_a_cursor(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    cid = await customer_id(owner)
    ws = await connect(server, owner)
    await listen(ws, runtime, owner)
    order = await placed(owner, cid, expectedDeliveryDate=day(3))
    created = await next_update(ws)
    assert created["kind"] == "CREATED" and created["cursor"] and created["reason"] is None
    assert created["order"]["id"] == order["id"] and created["order"]["customerId"] == cid
    assert created["order"]["number"] == order["number"]
    assert created["timelineEntry"]["kind"] == "CREATED"
    assert created["timelineEntry"]["toStatus"] == "PENDING"

    moved = await change(
        owner, order["id"], "CONFIRMED", 1, note="called back", expectedDeliveryDate=day(5)
    )
    assert moved["__typename"] == "OrderPayload", moved
    status, delivery = await next_update(ws), await next_update(ws)
    assert status["kind"] == "STATUS_CHANGED" and delivery["kind"] == "DELIVERY_CHANGED"
    entry = status["timelineEntry"]
    assert (entry["kind"], entry["fromStatus"], entry["toStatus"]) == (
        "STATUS_CHANGED",
        "PENDING",
        "CONFIRMED",
    )
    assert entry["actor"] == f"user:{parse_global_id(owner.user_id)[1]}"
    assert (entry["note"], entry["expectedDeliveryDate"], entry["version"]) == (
        "called back",
        day(5),
        2,
    )
    assert entry["at"] == moved["timelineEntry"]["at"]
    assert delivery["timelineEntry"] == entry  # one change wrote both events
    assert status["order"]["status"] == "CONFIRMED" and status["order"]["version"] == 2
    assert status["cursor"] != delivery["cursor"] != created["cursor"]

    later = {"orderId": order["id"], "expectedVersion": 2, "expectedDeliveryDate": day(7)}
    body = await owner.gql(RESCHEDULE, {"input": {**later, "note": "rain"}})
    assert body["data"]["rescheduleOrderDelivery"]["__typename"] == "OrderPayload", body
    moved_again = await next_update(ws)
    assert moved_again["kind"] == "DELIVERY_CHANGED"
    assert moved_again["order"]["expectedDeliveryDate"] == day(7)
    assert moved_again["timelineEntry"]["kind"] == "DELIVERY_CHANGED"
    assert moved_again["timelineEntry"]["note"] == "rain"

    cancelled = await change(owner, order["id"], "CANCELLED", 3, reason="out of stock")
    assert cancelled["__typename"] == "OrderPayload", cancelled
    status, cancel = await next_update(ws), await next_update(ws)
    assert (status["kind"], cancel["kind"]) == ("STATUS_CHANGED", "CANCELLED")
    assert cancel["reason"] == "out of stock" and status["reason"] is None
    assert cancel["order"]["status"] == "CANCELLED"
    assert cancel["order"]["cancelReason"] == "out of stock"
    assert cancel["timelineEntry"]["fromStatus"] == "CONFIRMED"
    # the order is as it is now, timeline included (nothing cached from earlier events)
    assert [t["kind"] for t in cancel["order"]["timeline"]] == [
        "CREATED",
        "STATUS_CHANGED",
        "DELIVERY_CHANGED",
        "STATUS_CHANGED",
    ]
    await ws.close()


async def test_order_events_travel_on_the_stream_channel_only(
    owner: Actor, runtime: Runtime
) -> None:
    """The legacy `business:<id>:orders` channel had no listener: rows list no channel."""
    order = await placed(owner, await customer_id(owner))
    await change(owner, order["id"], "CONFIRMED", 1)
    async with runtime.db.read() as session:
        rows = (
            await session.scalars(
                select(OutboxEvent).where(
                    OutboxEvent.business_id == parse_global_id(owner.business_id)[1],
                    OutboxEvent.topic.like("order.%"),
                )
            )
        ).all()
    assert len(rows) == 2
    assert all(r.channels == [] and r.position is not None for r in rows)


async def test_filters_by_order_and_by_customer(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    cid, other = await customer_id(owner), await customer_id(owner, name="Other")
    a, b = await placed(owner, cid), await placed(owner, other)
    by_order, by_customer = await connect(server, owner), await connect(server, owner)
    await listen(by_order, runtime, owner, orderId=a["id"])
    await listen(by_customer, runtime, owner, customerId=other)
    await change(owner, b["id"], "CONFIRMED", 1)
    await change(owner, a["id"], "CONFIRMED", 1)
    c = await placed(owner, other)
    seen = await next_update(by_order)
    assert (seen["order"]["id"], seen["kind"]) == (a["id"], "STATUS_CHANGED")
    theirs = [await next_update(by_customer) for _ in range(2)]
    assert [(u["order"]["id"], u["kind"]) for u in theirs] == [
        (b["id"], "STATUS_CHANGED"),
        (c["id"], "CREATED"),
    ]
    # nothing more is on its way to either: the next event each sees is its next match
    await change(owner, a["id"], "PROCESSING", 2)
    assert (await next_update(by_order))["order"]["version"] == 3
    await change(owner, c["id"], "CONFIRMED", 1)
    assert (await next_update(by_customer))["order"]["id"] == c["id"]
    await by_order.close()
    await by_customer.close()


async def test_resume_after_a_cursor_misses_nothing_and_repeats_nothing(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    cid = await customer_id(owner)
    order = await placed(owner, cid)
    ws = await connect(server, owner)
    await listen(ws, runtime, owner, orderId=order["id"])
    await change(owner, order["id"], "CONFIRMED", 1)
    last = await next_update(ws)
    assert last["order"]["version"] == 2
    await ws.close()
    # missed while away: two changes of this order, one of another (filtered out)
    await change(owner, order["id"], "PROCESSING", 2, note="packing")
    await placed(owner, cid)
    await change(owner, order["id"], "OUT_FOR_DELIVERY", 3)
    ws = await connect(server, owner)
    await listen(ws, runtime, owner, orderId=order["id"], after=last["cursor"])
    missed = [await next_update(ws) for _ in range(2)]
    assert [u["timelineEntry"]["toStatus"] for u in missed] == ["PROCESSING", "OUT_FOR_DELIVERY"]
    assert missed[0]["timelineEntry"]["note"] == "packing"
    await change(owner, order["id"], "DELIVERED", 4)
    live = await next_update(ws)
    assert live["timelineEntry"]["toStatus"] == "DELIVERED"  # not a repeat of the backlog
    assert len({last["cursor"], *(u["cursor"] for u in missed), live["cursor"]}) == 4
    await ws.close()


@pytest.fixture
async def second(runtime: Runtime) -> AsyncIterator[tuple[str, Runtime]]:
    """A second app instance on the same database and hub, as another API process."""
    rt = build_runtime(runtime.settings, hub=runtime.hub)
    async with serving(create_app(rt.settings, runtime=rt)) as address:
        yield address, rt


async def test_two_businesses_with_interleaved_events_never_cross(
    http: httpx.AsyncClient, server: str, runtime: Runtime, second: tuple[str, Runtime]
) -> None:
    other_server, other_rt = second
    a, b = await sign_up(http, "IN"), await sign_up(http, "KE")
    ws_a, ws_b = await connect(server, a), await connect(other_server, b)
    await listen(ws_a, runtime, a)
    await listen(ws_b, other_rt, b)
    cid_a, cid_b = await customer_id(a), await customer_id(b)
    orders_a, orders_b = [], []
    for _ in range(3):
        orders_a.append(await placed(a, cid_a))
        orders_b.append(await placed(b, cid_b))
    for o_a, o_b in zip(orders_a, orders_b, strict=True):
        await change(b, o_b["id"], "CONFIRMED", 1)
        await change(a, o_a["id"], "CONFIRMED", 1)
    for ws, mine in ((ws_a, orders_a), (ws_b, orders_b)):
        got = [await next_update(ws) for _ in range(6)]
        assert [(u["order"]["id"], u["kind"]) for u in got] == [
            *((o["id"], "CREATED") for o in mine),
            *((o["id"], "STATUS_CHANGED") for o in mine),
        ]
    # the next frame each gets is its own business's next event, not the other's
    await change(a, orders_a[0]["id"], "PROCESSING", 2)
    await change(b, orders_b[0]["id"], "PROCESSING", 2)
    assert (await next_update(ws_b))["order"]["id"] == orders_b[0]["id"]
    assert (await next_update(ws_a))["order"]["id"] == orders_a[0]["id"]
    await ws_a.close()
    await ws_b.close()


async def test_signing_out_closes_the_stream(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    ws = await connect(server, owner)
    await listen(ws, runtime, owner)
    await owner.gql("mutation { logout { __typename } }")
    assert await closed_with(ws) == (4401, "signed out")


async def test_revoking_the_api_key_closes_its_stream(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    key_id, secret = await create_api_key(owner, ["ORDERS_READ"])
    ws = await connect_with(server, secret, None)
    await listen(ws, runtime, owner)
    order = await placed(owner, await customer_id(owner))
    assert (await next_update(ws))["order"]["id"] == order["id"]  # the key reads the stream
    body = await owner.gql(
        "mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { __typename } }",
        {"input": {"id": key_id}},
    )
    assert body["data"]["revokeApiKey"]["__typename"] == "ApiKeyPayload"
    assert await closed_with(ws) == (4401, "API key revoked")


async def test_without_orders_read_the_subscription_is_a_permission_error(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    _, secret = await create_api_key(owner, ["CUSTOMERS_READ", "INVOICES_READ"])
    ws = await connect_with(server, secret, None)
    await subscribe(ws, runtime, owner, ORDER_UPDATES, wait=False)
    message = await frame(ws)
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert "orders:read" in errors[0]["message"]
    # the same socket still subscribes to what the key may read
    await subscribe(ws, runtime, owner, op="2")
    await ws.close()


async def test_an_order_id_of_another_type_is_not_found(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    ws = await connect(server, owner)
    cid = await customer_id(owner)
    await subscribe(ws, runtime, owner, ORDER_UPDATES, wait=False, orderId=cid)
    assert await error_code(ws) == "NOT_FOUND"
    await ws.close()
