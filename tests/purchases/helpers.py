"""GraphQL documents and small helpers of the purchases tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import Actor, create_customer

SUMMARY = """isVip vipMode activity isWalkIn
  financial { totalBilled { amount } invoiceCount }
  purchases { totalSpent { amount currency } purchaseTotal { amount } purchaseCount
              salesCount firstPurchaseOn lastPurchaseOn lastSaleOn }"""

RECORD = (
    """mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { __typename
  ... on PurchasePayload { replayed purchase { id total { amount currency } method
      purchasedAt purchasedOn notes items { name quantity unitPrice { amount } total { amount } }
      customer { id name } }
    customer { id name %s } }
  ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""
    % SUMMARY
)

UPDATE = (
    """mutation($input: UpdatePurchaseInput!) { updatePurchase(input: $input) { __typename
  ... on PurchasePayload { purchase { id total { amount } method notes purchasedOn }
    customer { id %s } }
  ... on ValidationError { code fields { field code } }
  ... on UserError { code message } } }"""
    % SUMMARY
)

DELETE = (
    """mutation($input: DeletePurchaseInput!) { deletePurchase(input: $input) { __typename
  ... on DeletePurchasePayload { deletedId customer { id %s } }
  ... on UserError { code message } } }"""
    % SUMMARY
)

CUSTOMER = """query($id: ID!) { customer(id: $id) { id %s } }""" % SUMMARY

VIP_MODE = (
    """mutation($input: SetCustomerVipModeInput!) { setCustomerVipMode(input: $input) {
  __typename ... on CustomerPayload { customer { id %s } }
  ... on UserError { code message } } }"""
    % SUMMARY
)

RULES = """mutation($input: SetCustomerStatusRulesInput!) { setCustomerStatusRules(input: $input) {
  __typename ... on CustomerStatusRulesPayload { rules { vipThreshold { amount currency }
    vipThresholdIsDefault lapseDays } }
  ... on ValidationError { code fields { field code } }
  ... on UserError { code message } } }"""

TIMELINE = """query($c: ID!, $first: Int, $after: String) {
  customerTimeline(customerId: $c, first: $first, after: $after) {
    edges { cursor node { kind at amount { amount currency } reference method status objectId
      purchase { id } invoice { id number } payment { id } order { id number status } } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } }"""


def item(name: str, price: str, quantity: str = "1") -> dict[str, str]:
    return {"name": name, "quantity": quantity, "unitPrice": price}


async def new_customer(actor: Actor, name: str = "Purchase Customer", **fields: Any) -> str:
    result = await create_customer(actor, name=name, **fields)
    assert result["__typename"] == "CustomerPayload", result
    return result["customer"]["id"]  # type: ignore[no-any-return]


async def record(
    actor: Actor,
    customer_id: str | None,
    items: list[dict[str, str]],
    method: str = "CASH",
    **extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {"items": items, "method": method, **extra}
    if customer_id is not None:
        data["customerId"] = customer_id
    body = await actor.gql(RECORD, {"input": data})
    return body["data"]["recordPurchase"]  # type: ignore[no-any-return]


async def customer(actor: Actor, customer_id: str) -> dict[str, Any]:
    body = await actor.gql(CUSTOMER, {"id": customer_id})
    return body["data"]["customer"]  # type: ignore[no-any-return]
