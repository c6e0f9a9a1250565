"""The orders connection: search, filters, sorts, keyset pages; per-customer orders; the
status counts card."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.core.clock import FrozenClock
from tests.conftest import Actor, sign_up
from tests.invoicing.helpers import local_today
from tests.orders.helpers import advance, customer_id, placed

ORDERS = """query($first: Int, $after: String, $filter: OrderFilterInput, $sort: OrderSortInput) {
  orders(first: $first, after: $after, filter: $filter, sort: $sort) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { number status total { amount } expectedDeliveryDate
      isDeliveryOverdue customer { name } } } } }"""


async def _numbers(actor: Actor, **variables: Any) -> list[str]:
    body = await actor.gql(ORDERS, {"first": 50, **variables})
    return [e["node"]["number"] for e in body["data"]["orders"]["edges"]]


async def test_search_filters_and_sorts(owner: Actor, other_owner: Actor) -> None:
    asha = await customer_id(owner, name="Asha Traders", phone="+919812345678")
    ravi = await customer_id(owner, name="Ravi Caterers")
    soon = (local_today() + timedelta(days=1)).isoformat()
    later = (local_today() + timedelta(days=5)).isoformat()
    o1 = await placed(owner, asha, expectedDeliveryDate=later)
    o2 = await placed(
        owner,
        ravi,
        expectedDeliveryDate=soon,
        lines=[{"description": "Feast", "quantity": "1", "unitPrice": "900", "taxRate": "0"}],
    )
    o3 = await placed(owner, asha, draft=True)
    await advance(owner, o2, "CONFIRMED")
    await placed(other_owner, await customer_id(other_owner, name="Asha Elsewhere"))

    assert await _numbers(owner) == ["ORD-00003", "ORD-00002", "ORD-00001"]
    assert await _numbers(owner, filter={"search": "asha"}) == ["ORD-00003", "ORD-00001"]
    assert await _numbers(owner, filter={"search": "98123"}) == ["ORD-00003", "ORD-00001"]
    assert await _numbers(owner, filter={"search": "ord-00002"}) == ["ORD-00002"]
    assert await _numbers(owner, filter={"status": ["DRAFT", "CONFIRMED"]}) == [
        "ORD-00003",
        "ORD-00002",
    ]
    assert await _numbers(owner, filter={"customerId": ravi}) == ["ORD-00002"]
    assert await _numbers(owner, filter={"deliveryFrom": later, "deliveryTo": later}) == [
        "ORD-00001"
    ]
    today = local_today().isoformat()
    assert len(await _numbers(owner, filter={"placedFrom": today, "placedTo": today})) == 3
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    assert await _numbers(owner, filter={"placedFrom": tomorrow}) == []
    by_total = await _numbers(owner, sort={"field": "TOTAL", "direction": "DESC"})
    assert by_total[0] == "ORD-00002"
    by_delivery = await _numbers(owner, sort={"field": "EXPECTED_DELIVERY", "direction": "ASC"})
    assert by_delivery == ["ORD-00002", "ORD-00001", "ORD-00003"]  # no date sorts last
    assert o1["number"] == "ORD-00001" and o3["status"] == "DRAFT"


async def test_keyset_pages_cover_every_order_once(owner: Actor) -> None:
    cid = await customer_id(owner)
    for i in range(5):
        when = (local_today() + timedelta(days=1 + i % 2)).isoformat()
        await placed(owner, cid, expectedDeliveryDate=when)
    for sort in (
        {"field": "PLACED_AT", "direction": "DESC"},
        {"field": "EXPECTED_DELIVERY", "direction": "ASC"},
        {"field": "TOTAL", "direction": "ASC"},
        {"field": "NUMBER", "direction": "DESC"},
    ):
        seen: list[str] = []
        after = None
        while True:
            body = await owner.gql(ORDERS, {"first": 2, "after": after, "sort": sort})
            page = body["data"]["orders"]
            assert page["totalCount"] == 5
            seen += [e["node"]["number"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert sorted(seen) == [f"ORD-0000{i}" for i in range(1, 6)], sort
    bad = await owner.gql(
        ORDERS, {"after": "nonsense", "sort": {"field": "TOTAL"}}, expect_errors=True
    )
    assert bad["errors"][0]["extensions"]["fields"][0]["code"] == "BAD_CURSOR"


async def test_overdue_deliveries_and_the_status_card(clocked: tuple[Any, FrozenClock]) -> None:
    client, clock = clocked
    actor = await sign_up(client)
    cid = await customer_id(actor)
    due = (local_today() + timedelta(days=1)).isoformat()
    late = await placed(actor, cid, expectedDeliveryDate=due)
    done = await placed(actor, cid, expectedDeliveryDate=due)
    await advance(actor, done, "CONFIRMED", "PROCESSING", "OUT_FOR_DELIVERY", "DELIVERED")
    await placed(actor, cid, draft=True)
    clock.advance(days=3)
    await actor.sign_in_again()
    assert await _numbers(actor, filter={"overdue": True}) == [late["number"]]
    body = await actor.gql(
        "{ orderStatusCounts { byStatus { status count } active overdueDeliveries total } }"
    )
    card = body["data"]["orderStatusCounts"]
    counts = {c["status"]: c["count"] for c in card["byStatus"]}
    assert counts == {
        "DRAFT": 1,
        "PENDING": 1,
        "CONFIRMED": 0,
        "PROCESSING": 0,
        "OUT_FOR_DELIVERY": 0,
        "DELIVERED": 1,
        "CANCELLED": 0,
        "RETURNED": 0,
    }
    assert (card["active"], card["overdueDeliveries"], card["total"]) == (1, 1, 3)
    q = "query($id: ID!) { order(id: $id) { isDeliveryOverdue } }"
    assert (await actor.gql(q, {"id": late["id"]}))["data"]["order"]["isDeliveryOverdue"]


async def test_customer_orders_field(owner: Actor, other_owner: Actor) -> None:
    cid = await customer_id(owner)
    other = await customer_id(owner, name="Other")
    for _ in range(3):
        await placed(owner, cid)
    await placed(owner, other)
    q = "query($id: ID!) { customer(id: $id) { orders(first: 2) { number } } }"
    body = await owner.gql(q, {"id": cid})
    assert body["data"]["customer"]["orders"] == [{"number": "ORD-00003"}, {"number": "ORD-00002"}]
    assert (await other_owner.gql(q, {"id": cid}))["data"]["customer"] is None
    assert (await other_owner.gql("{ orders { totalCount } }"))["data"]["orders"]["totalCount"] == 0
