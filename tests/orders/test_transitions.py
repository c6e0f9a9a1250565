"""The status workflow: every legal transition, every illegal one (a typed error naming
both statuses), the version check, timeline entries and outbox events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from domain.core.outbox import OutboxEvent
from domain.orders.models import OrderStatus
from domain.orders.workflow import allowed_from
from khata.runtime import Runtime
from schema.relay import parse_global_id
from tests.conftest import Actor
from tests.invoicing.helpers import local_today
from tests.orders.helpers import advance, change, customer_id, placed

PATH = ["PENDING", "CONFIRMED", "PROCESSING", "OUT_FOR_DELIVERY", "DELIVERED"]
ALL = [s.name for s in OrderStatus]
# the statuses an order reaches from DRAFT by the forward path (and the two side exits)
REACH = {
    "DRAFT": [],
    **{s: PATH[: i + 1] for i, s in enumerate(PATH)},
    "CANCELLED": ["CANCELLED"],
    "RETURNED": [*PATH, "RETURNED"],
}


async def _order_in(actor: Actor, cid: str, status: str) -> dict[str, Any]:
    order = await placed(actor, cid, draft=True)
    steps = REACH[status]
    if status == "CANCELLED":
        result = await change(actor, order["id"], "CANCELLED", 1, reason="customer changed mind")
        assert result["__typename"] == "OrderPayload", result
        return result["order"]  # type: ignore[no-any-return]
    return await advance(actor, order, *steps)


def _legal() -> list[tuple[str, str]]:
    return [(a.name, b.name) for a in OrderStatus for b in allowed_from(a)]


def _illegal() -> list[tuple[str, str]]:
    legal = set(_legal())
    return [(a, b) for a in ALL for b in ALL if (a, b) not in legal]


def test_the_workflow_table() -> None:
    assert set(_legal()) == {
        ("DRAFT", "PENDING"),
        ("PENDING", "CONFIRMED"),
        ("CONFIRMED", "PROCESSING"),
        ("PROCESSING", "OUT_FOR_DELIVERY"),
        ("OUT_FOR_DELIVERY", "DELIVERED"),
        ("DELIVERED", "RETURNED"),
        *((s, "CANCELLED") for s in ("DRAFT", *PATH[:-1])),
    }


@pytest.mark.parametrize(("start", "to"), _legal())
async def test_every_legal_transition(owner: Actor, start: str, to: str) -> None:
    cid = await customer_id(owner)
    order = await _order_in(owner, cid, start)
    extra = {"reason": "out of stock"} if to == "CANCELLED" else {"note": f"to {to}"}
    result = await change(owner, order["id"], to, order["version"], **extra)
    assert result["__typename"] == "OrderPayload", result
    assert result["order"]["status"] == to
    assert result["order"]["version"] == order["version"] + 1
    entry = result["timelineEntry"]
    assert (entry["kind"], entry["fromStatus"], entry["toStatus"]) == ("STATUS_CHANGED", start, to)
    assert entry["actor"] == f"user:{parse_global_id(owner.user_id)[1]}"
    assert entry["note"] == extra.get("note", extra.get("reason"))
    assert result["order"]["timeline"][-1] == {k: v for k, v in entry.items() if k != "at"}


async def test_every_illegal_transition_names_both_statuses(owner: Actor) -> None:
    cid = await customer_id(owner)
    orders = {s: await _order_in(owner, cid, s) for s in ALL}
    checked = 0
    for start, to in _illegal():
        order = orders[start]
        result = await change(owner, order["id"], to, order["version"], reason="r")
        assert result["__typename"] == "IllegalTransitionError", (start, to, result)
        assert result["code"] == "ILLEGAL_TRANSITION"
        assert (result["currentStatus"], result["requestedStatus"]) == (start, to)
        assert result["allowedStatuses"] == [s.name for s in allowed_from(OrderStatus[start])]
        assert start in result["message"] and to in result["message"]
        checked += 1
    assert checked == len(ALL) ** 2 - len(_legal())
    # nothing moved
    q = "query($id: ID!) { order(id: $id) { status version timeline { kind } } }"
    for start, order in orders.items():
        now = (await owner.gql(q, {"id": order["id"]}))["data"]["order"]
        assert (now["status"], now["version"]) == (start, order["version"])


async def test_a_stale_version_is_a_conflict_with_the_current_status(owner: Actor) -> None:
    cid = await customer_id(owner)
    order = await placed(owner, cid)
    first = await change(owner, order["id"], "CONFIRMED", 1)
    assert first["order"]["version"] == 2
    # a second client still holding version 1 tries to cancel
    stale = await change(owner, order["id"], "CANCELLED", 1, reason="duplicate")
    assert stale["__typename"] == "OrderConflictError", stale
    assert stale["code"] == "STALE_VERSION"
    assert (stale["currentStatus"], stale["currentVersion"]) == ("CONFIRMED", 2)
    q = "query($id: ID!) { order(id: $id) { status version cancelReason timeline { kind } } }"
    now = (await owner.gql(q, {"id": order["id"]}))["data"]["order"]
    assert now == {
        "status": "CONFIRMED",
        "version": 2,
        "cancelReason": None,
        "timeline": [{"kind": "CREATED"}, {"kind": "STATUS_CHANGED"}],
    }


async def test_cancelling_needs_a_reason(owner: Actor) -> None:
    cid = await customer_id(owner)
    order = await placed(owner, cid)
    result = await change(owner, order["id"], "CANCELLED", 1)
    assert result["__typename"] == "ValidationError"
    assert [(f["field"], f["code"]) for f in result["fields"]] == [("reason", "REQUIRED")]
    body = await owner.gql(
        """mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { __typename
          ... on OrderPayload { order { status cancelReason version } } } }""",
        {"input": {"orderId": order["id"], "expectedVersion": 1, "reason": "  no stock "}},
    )
    assert body["data"]["cancelOrder"]["order"] == {
        "status": "CANCELLED",
        "cancelReason": "no stock",
        "version": 2,
    }


async def test_a_new_delivery_date_rides_on_the_timeline(owner: Actor) -> None:
    cid = await customer_id(owner)
    order = await placed(owner, cid)
    later = (local_today() + timedelta(days=4)).isoformat()
    moved = await change(owner, order["id"], "CONFIRMED", 1, expectedDeliveryDate=later)
    assert moved["order"]["expectedDeliveryDate"] == later
    assert moved["timelineEntry"]["expectedDeliveryDate"] == later
    even_later = (local_today() + timedelta(days=6)).isoformat()
    body = await owner.gql(
        """mutation($input: RescheduleOrderDeliveryInput!) {
          rescheduleOrderDelivery(input: $input) { __typename
            ... on OrderPayload { order { status version expectedDeliveryDate }
                                  timelineEntry { kind fromStatus toStatus note } }
            ... on OrderConflictError { currentVersion } } }""",
        {
            "input": {
                "orderId": order["id"],
                "expectedVersion": 2,
                "expectedDeliveryDate": even_later,
                "note": "truck broke down",
            }
        },
    )
    result = body["data"]["rescheduleOrderDelivery"]
    assert result["order"] == {
        "status": "CONFIRMED",
        "version": 3,
        "expectedDeliveryDate": even_later,
    }
    assert result["timelineEntry"] == {
        "kind": "DELIVERY_CHANGED",
        "fromStatus": "CONFIRMED",
        "toStatus": "CONFIRMED",
        "note": "truck broke down",
    }


async def test_each_change_writes_its_outbox_events(owner: Actor, runtime: Runtime) -> None:
    cid = await customer_id(owner)
    order = await placed(owner, cid)
    later = (local_today() + timedelta(days=2)).isoformat()
    await change(owner, order["id"], "CONFIRMED", 1, expectedDeliveryDate=later)
    await change(owner, order["id"], "CANCELLED", 2, reason="gone")
    order_id = parse_global_id(order["id"])[1]
    async with runtime.db.read() as session:
        rows = (
            await session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.business_id == parse_global_id(owner.business_id)[1])
                .where(OutboxEvent.topic.like("order.%"))
                .order_by(OutboxEvent.created_at)
            )
        ).all()
    mine = [r for r in rows if r.payload["orderId"] == order_id]
    # events of one transaction may share a timestamp: compare them per version
    by_version = sorted((r.payload["version"], r.topic) for r in mine)
    assert by_version == [
        (1, "order.created"),
        (2, "order.delivery_changed"),
        (2, "order.status_changed"),
        (3, "order.cancelled"),
        (3, "order.status_changed"),
    ]
    topic = {(r.payload["version"], r.topic): r.payload for r in mine}
    status = topic[(2, "order.status_changed")]
    assert (status["from"], status["to"]) == ("pending", "confirmed")
    assert status["customerId"] == parse_global_id(cid)[1]
    assert isinstance(status["timelineEntryId"], int)
    assert topic[(2, "order.delivery_changed")]["expectedDeliveryDate"] == later
    assert topic[(3, "order.cancelled")]["reason"] == "gone"


async def test_another_business_cannot_move_the_order(owner: Actor, other_owner: Actor) -> None:
    cid = await customer_id(owner)
    order = await placed(owner, cid)
    result = await change(other_owner, order["id"], "CONFIRMED", 1)
    assert result["__typename"] == "NotFoundError", result
    q = "query($id: ID!) { order(id: $id) { status version } }"
    assert (await owner.gql(q, {"id": order["id"]}))["data"]["order"] == {
        "status": "PENDING",
        "version": 1,
    }
