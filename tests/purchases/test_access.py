"""Purchases belong to one business (a foreign id is not found), need the purchases
scopes, and recordPurchase replays on its idempotency key."""

from __future__ import annotations

import httpx

from tests.accounts.helpers import _bearer, _create_key
from tests.conftest import Actor, gql
from tests.purchases.helpers import DELETE, RECORD, UPDATE, item, new_customer, record

PURCHASE = "query($id: ID!) { purchase(id: $id) { id total { amount } } }"
RECENT = "{ purchases(first: 50) { edges { node { id } } totalCount } }"


async def test_another_business_neither_sees_nor_changes_a_purchase(
    owner: Actor, other_owner: Actor
) -> None:
    cid = await new_customer(owner)
    pid = (await record(owner, cid, [item("Tea", "10")]))["purchase"]["id"]
    assert (await other_owner.gql(PURCHASE, {"id": pid}))["data"]["purchase"] is None
    listed = (await other_owner.gql(RECENT))["data"]["purchases"]
    assert pid not in [e["node"]["id"] for e in listed["edges"]]
    edit = await other_owner.gql(UPDATE, {"input": {"id": pid, "method": "CARD"}})
    assert edit["data"]["updatePurchase"]["code"] == "NOT_FOUND"
    gone = await other_owner.gql(DELETE, {"input": {"id": pid}})
    assert gone["data"]["deletePurchase"]["code"] == "NOT_FOUND"
    # nor sell to the first business's customer
    foreign = await record(other_owner, cid, [item("Tea", "10")])
    assert foreign["code"] == "NOT_FOUND"
    mine = (await owner.gql(PURCHASE, {"id": pid}))["data"]["purchase"]
    assert mine == {"id": pid, "total": {"amount": "10.00"}}


async def test_api_keys_need_the_purchases_scopes(owner: Actor, client: httpx.AsyncClient) -> None:
    cid = await new_customer(owner)
    pid = (await record(owner, cid, [item("Tea", "10")]))["purchase"]["id"]
    reader = (await _create_key(owner, ["PURCHASES_READ"]))["secret"]
    customers_only = (await _create_key(owner, ["CUSTOMERS_READ", "CUSTOMERS_WRITE"]))["secret"]

    seen = await gql(client, PURCHASE, {"id": pid}, headers=_bearer(reader))
    assert seen["data"]["purchase"]["id"] == pid
    denied = await gql(
        client, PURCHASE, {"id": pid}, headers=_bearer(customers_only), expect_errors=True
    )
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    write = await gql(
        client,
        RECORD,
        {"input": {"customerId": cid, "items": [item("Tea", "1")], "method": "CASH"}},
        headers=_bearer(reader),
    )
    assert write["data"]["recordPurchase"]["code"] == "PERMISSION_DENIED"
    # the timeline shows invoices and payments too: it needs INVOICES_READ as well
    timeline = await gql(
        client,
        "query($c: ID!) { customerTimeline(customerId: $c) { edges { cursor } } }",
        {"c": cid},
        headers=_bearer(reader),
        expect_errors=True,
    )
    assert timeline["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    # and it shows orders: INVOICES_READ alone is not enough, ORDERS_READ completes it
    query = "query($c: ID!) { customerTimeline(customerId: $c) { edges { node { kind } } } }"
    no_orders = (await _create_key(owner, ["PURCHASES_READ", "INVOICES_READ"]))["secret"]
    denied = await gql(client, query, {"c": cid}, headers=_bearer(no_orders), expect_errors=True)
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    full = (await _create_key(owner, ["PURCHASES_READ", "INVOICES_READ", "ORDERS_READ"]))["secret"]
    seen = await gql(client, query, {"c": cid}, headers=_bearer(full))
    assert [e["node"]["kind"] for e in seen["data"]["customerTimeline"]["edges"]] == ["PURCHASE"]


async def test_record_purchase_replays_on_its_idempotency_key(owner: Actor) -> None:
    cid = await new_customer(owner)
    items = [item("Rice", "55.5", "2")]
    first = await record(owner, cid, items, idempotencyKey="till-7-0001")
    again = await record(owner, cid, items, idempotencyKey="till-7-0001")
    assert first["replayed"] is False and again["replayed"] is True
    assert again["purchase"]["id"] == first["purchase"]["id"]
    assert again["customer"]["purchases"]["purchaseCount"] == 1
    other = await record(owner, cid, [item("Rice", "56", "2")], idempotencyKey="till-7-0001")
    assert other["__typename"] == "ConflictError", other
    fresh = await record(owner, cid, items, idempotencyKey="till-7-0002")
    assert fresh["customer"]["purchases"]["purchaseCount"] == 2
