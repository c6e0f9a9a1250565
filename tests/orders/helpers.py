"""Helpers shared by the orders tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import Actor, create_customer

ORDER_FIELDS = """id number status version channel placedBy placedAt currency
  allowedNextStatuses expectedDeliveryDate isDeliveryOverdue notes cancelReason
  subtotal { amount } taxTotal { amount } total { amount currency }
  taxes { name rate amount { amount } }
  deliveryAddress { street city country deliveryNotes }
  lines { description quantity unit unitPrice { amount } taxRate total { amount } }
  customer { id name }"""

CREATE = (
    """mutation($input: CreateOrderInput!) { createOrder(input: $input) { __typename
  ... on OrderPayload { replayed order { %s } }
  ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""
    % ORDER_FIELDS
)

CHANGE = """mutation($input: ChangeOrderStatusInput!) { changeOrderStatus(input: $input) {
  __typename
  ... on OrderPayload { order { id status version expectedDeliveryDate cancelReason
      timeline { kind fromStatus toStatus actor note expectedDeliveryDate version } }
    timelineEntry { kind fromStatus toStatus actor note expectedDeliveryDate version at } }
  ... on IllegalTransitionError { code message currentStatus requestedStatus allowedStatuses }
  ... on OrderConflictError { code message currentStatus currentVersion }
  ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""

LINE = {"description": "Basmati rice", "quantity": "2", "unit": "kg", "unitPrice": "100"}


async def customer_id(actor: Actor, **fields: Any) -> str:
    fields.setdefault("name", "Order Customer")
    result = await create_customer(actor, **fields)
    assert result["__typename"] == "CustomerPayload", result
    return result["customer"]["id"]  # type: ignore[no-any-return]


async def create_order(actor: Actor, cid: str, **extra: Any) -> dict[str, Any]:
    extra.setdefault("lines", [LINE])
    body = await actor.gql(CREATE, {"input": {"customerId": cid, **extra}})
    return body["data"]["createOrder"]  # type: ignore[no-any-return]


async def placed(actor: Actor, cid: str, **extra: Any) -> dict[str, Any]:
    result = await create_order(actor, cid, **extra)
    assert result["__typename"] == "OrderPayload", result
    return result["order"]  # type: ignore[no-any-return]


async def change(
    actor: Actor, order_id: str, status: str, version: int, **extra: Any
) -> dict[str, Any]:
    body = await actor.gql(
        CHANGE,
        {"input": {"orderId": order_id, "status": status, "expectedVersion": version, **extra}},
    )
    return body["data"]["changeOrderStatus"]  # type: ignore[no-any-return]


async def advance(actor: Actor, order: dict[str, Any], *statuses: str) -> dict[str, Any]:
    """Walks the order through `statuses`, each at the version the last step returned."""
    current = order
    for status in statuses:
        result = await change(actor, current["id"], status, current["version"])
        assert result["__typename"] == "OrderPayload", result
        current = result["order"]
    return current
