"""Merging customers: the source's orders follow the target, like its invoices and
purchases do."""

from __future__ import annotations

from tests.conftest import Actor
from tests.orders.helpers import customer_id, placed

MERGE = """mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) {
  __typename ... on UserError { code message } } }"""
ORDERS = """query($id: ID!) { node(id: $id) { ... on Customer { orders(first: 10) {
  number customer { id } } } } }"""


async def test_a_merged_customers_orders_follow_the_target(owner: Actor) -> None:
    source = await customer_id(owner, name="Asha Duplicate", phone="+919812300001")
    target = await customer_id(owner, name="Asha Verma", phone="+919812300002")
    moved = await placed(owner, source)
    kept = await placed(owner, target)
    body = await owner.gql(MERGE, {"input": {"sourceId": source, "targetId": target}})
    assert body["data"]["mergeCustomers"]["__typename"] == "MergePayload", body
    orders = (await owner.gql(ORDERS, {"id": target}))["data"]["node"]["orders"]
    assert sorted(o["number"] for o in orders) == sorted([moved["number"], kept["number"]])
    assert {o["customer"]["id"] for o in orders} == {target}
