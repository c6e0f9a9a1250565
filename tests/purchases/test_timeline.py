"""The customer timeline: purchases, invoices, payments and orders in one newest-first list,
keyset-paginated on (time, kind, id) with an opaque cursor, one SQL statement a page;
and the business's recent purchases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.core.clock import FrozenClock
from khata.runtime import Runtime
from tests.conftest import Actor, count_statements, sign_up
from tests.invoicing.helpers import invoice, pay
from tests.orders.helpers import advance, placed
from tests.purchases.helpers import TIMELINE, item, new_customer, record

FLAT = """query($c: ID!, $first: Int, $after: String) {
  customerTimeline(customerId: $c, first: $first, after: $after) {
    edges { cursor node { kind at amount { amount } } } pageInfo { hasNextPage } } }"""


async def _walk(actor: Actor, cid: str, size: int) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        body = await actor.gql(TIMELINE, {"c": cid, "first": size, "after": after})
        page = body["data"]["customerTimeline"]
        nodes += [e["node"] for e in page["edges"]]
        assert len(page["edges"]) <= size
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def test_timeline_pages_across_kinds_with_ties(owner: Actor) -> None:
    cid = await new_customer(owner)
    tie = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    inv = await invoice(
        owner, cid, [{"description": "Desk", "quantity": "1", "unitPrice": "900", "taxRate": "0"}]
    )
    paid = await pay(owner, inv["invoice"]["id"], "400", "tl-1", receivedAt=tie.isoformat())
    assert paid["__typename"] == "PaymentPayload", paid
    p1 = await record(owner, cid, [item("Pen", "10")], purchasedAt=tie.isoformat())
    p2 = await record(owner, cid, [item("Ink", "20")], purchasedAt=tie.isoformat())
    p3 = await record(
        owner, cid, [item("Pad", "30")], purchasedAt=(tie - timedelta(days=1)).isoformat()
    )
    want = [
        ("invoice", inv["invoice"]["id"]),  # issued now: the newest
        ("purchase", p2["purchase"]["id"]),  # at the tie: purchases first, newest id first
        ("purchase", p1["purchase"]["id"]),
        ("payment", paid["payment"]["id"]),
        ("purchase", p3["purchase"]["id"]),
    ]
    for size in (1, 2, 3, 5, 10):
        nodes = await _walk(owner, cid, size)
        assert [(n["kind"].lower(), n["objectId"]) for n in nodes] == want, size
    nodes = await _walk(owner, cid, 10)
    assert nodes[0]["invoice"] == {"id": inv["invoice"]["id"], "number": inv["invoice"]["number"]}
    assert (nodes[0]["reference"], nodes[0]["status"]) == (
        inv["invoice"]["number"],
        "partially_paid",
    )
    assert nodes[1]["purchase"] == {"id": p2["purchase"]["id"]} and nodes[1]["invoice"] is None
    assert nodes[3]["payment"] == {"id": paid["payment"]["id"]}
    assert (nodes[3]["amount"]["amount"], nodes[3]["method"]) == ("400.00", "upi")
    assert nodes[4]["amount"]["amount"] == "30.00"


async def test_orders_join_the_timeline_and_tie_last(clocked: tuple[Any, FrozenClock]) -> None:
    """All four kinds at one instant (the frozen clock): purchase, payment, invoice, then
    the orders newest id first; an order placed an hour earlier comes after them all."""
    client, clock = clocked
    actor = await sign_up(client)
    cid = await new_customer(actor)
    early = await placed(actor, cid)
    clock.advance(hours=1)
    await actor.sign_in_again()
    tie = clock.now().isoformat()
    o1 = await placed(actor, cid)
    o2 = await placed(actor, cid)
    await advance(actor, o2, "CONFIRMED")
    inv = await invoice(
        actor, cid, [{"description": "Desk", "quantity": "1", "unitPrice": "900", "taxRate": "0"}]
    )
    paid = await pay(actor, inv["invoice"]["id"], "400", "tl-o", receivedAt=tie)
    assert paid["__typename"] == "PaymentPayload", paid
    bought = await record(actor, cid, [item("Pen", "10")], purchasedAt=tie)
    want = [
        ("purchase", bought["purchase"]["id"]),
        ("payment", paid["payment"]["id"]),
        ("invoice", inv["invoice"]["id"]),
        ("order", o2["id"]),
        ("order", o1["id"]),
        ("order", early["id"]),
    ]
    for size in (1, 2, 3, 4, 5, 6, 10):
        nodes = await _walk(actor, cid, size)
        assert [(n["kind"].lower(), n["objectId"]) for n in nodes] == want, size
    nodes = await _walk(actor, cid, 10)
    assert nodes[3]["order"] == {"id": o2["id"], "number": o2["number"], "status": "CONFIRMED"}
    assert (nodes[3]["reference"], nodes[3]["status"]) == (o2["number"], "confirmed")
    assert nodes[3]["amount"] == {"amount": o2["total"]["amount"], "currency": "INR"}
    assert nodes[3]["invoice"] is None and nodes[2]["order"] is None
    assert nodes[5]["at"] < nodes[4]["at"]


async def test_a_page_is_one_statement_and_cursors_are_checked(
    owner: Actor, runtime: Runtime
) -> None:
    cid = await new_customer(owner)
    for n in range(3):
        await record(owner, cid, [item(f"Item {n}", "1")])
    await owner.gql(FLAT, {"c": cid, "first": 2})  # warm the viewer's caches
    with count_statements(runtime) as seen:
        body = await owner.gql(FLAT, {"c": cid, "first": 2})
    assert len(body["data"]["customerTimeline"]["edges"]) == 2
    assert sum("UNION ALL" in s for s in seen) == 1
    assert sum("purchases" in s for s in seen) == 1  # nothing else reads the purchases

    bad = await owner.gql(FLAT, {"c": cid, "after": "bm90LWEtY3Vyc29y"}, expect_errors=True)
    assert bad["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"
    assert bad["errors"][0]["extensions"]["fields"][0]["code"] == "BAD_CURSOR"


async def test_timeline_of_another_business_customer_is_not_found(
    owner: Actor, other_owner: Actor
) -> None:
    cid = await new_customer(owner)
    await record(owner, cid, [item("Tea", "1")])
    body = await other_owner.gql(FLAT, {"c": cid}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_recent_purchases_across_the_business(owner: Actor) -> None:
    a, b = await new_customer(owner, name="A"), await new_customer(owner, name="B")
    base = datetime.now(UTC) - timedelta(hours=5)
    ids = []
    for n, cid in enumerate([a, b, a, b, None]):
        done = await record(
            owner,
            cid,
            [item("Thing", str(n + 1))],
            purchasedAt=(base + timedelta(minutes=n)).isoformat(),
        )
        ids.append(done["purchase"]["id"])
    query = """query($after: String, $c: ID) { purchases(first: 2, after: $after, customerId: $c) {
      edges { node { id customer { id } } } pageInfo { hasNextPage endCursor } totalCount } }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await owner.gql(query, {"after": after}))["data"]["purchases"]
        assert page["totalCount"] == 5
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == list(reversed(ids))
    only_b = (await owner.gql(query, {"c": b}))["data"]["purchases"]
    assert only_b["totalCount"] == 2
    assert [e["node"]["customer"]["id"] for e in only_b["edges"]] == [b, b]
