"""invoiceOrder: the invoicing service makes the invoice from the order's lines once the
order is confirmed; Invoice.order and Order.invoices link the two."""

from __future__ import annotations

from typing import Any

from tests.conftest import Actor
from tests.orders.helpers import advance, change, customer_id, placed

INVOICE_ORDER = """mutation($input: InvoiceOrderInput!) { invoiceOrder(input: $input) {
  __typename
  ... on InvoiceOrderPayload { replayed
    invoice { id number status total { amount } notes lines { description quantity }
              order { id number status } }
    order { id status version invoices { number } timeline { kind note } } }
  ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""

LINES = [
    {"description": "Rice", "quantity": "2", "unit": "kg", "unitPrice": "100", "taxRate": "5"},
    {"description": "Oil", "quantity": "1", "unitPrice": "200", "taxRate": "18"},
]


async def invoice_order(actor: Actor, order_id: str, **extra: Any) -> dict[str, Any]:
    body = await actor.gql(INVOICE_ORDER, {"input": {"orderId": order_id, **extra}})
    return body["data"]["invoiceOrder"]  # type: ignore[no-any-return]


async def test_refused_before_confirmation(owner: Actor) -> None:
    cid = await customer_id(owner)
    draft = await placed(owner, cid, draft=True)
    pending = await placed(owner, cid)
    for order in (draft, pending):
        result = await invoice_order(owner, order["id"])
        assert result["__typename"] == "ValidationError", result
        assert result["fields"][0]["code"] == "ORDER_NOT_CONFIRMED"
    cancelled = await change(owner, pending["id"], "CANCELLED", 1, reason="no")
    assert cancelled["__typename"] == "OrderPayload"
    result = await invoice_order(owner, pending["id"])
    assert result["fields"][0]["code"] == "ORDER_NOT_CONFIRMED"
    invoices = await owner.gql("{ invoices { totalCount } }")
    assert invoices["data"]["invoices"]["totalCount"] == 0


async def test_invoice_from_a_confirmed_order(owner: Actor) -> None:
    cid = await customer_id(owner)
    order = await placed(owner, cid, lines=LINES)
    confirmed = await advance(owner, order, "CONFIRMED")
    result = await invoice_order(owner, order["id"], idempotencyKey="inv-of-order")
    assert result["__typename"] == "InvoiceOrderPayload", result
    invoice = result["invoice"]
    assert invoice["number"] == "INV-00001"
    assert invoice["total"]["amount"] == order["total"]["amount"] == "446.00"
    assert invoice["lines"] == [
        {"description": "Rice", "quantity": "2"},
        {"description": "Oil", "quantity": "1"},
    ]
    assert invoice["notes"] == f"Order {order['number']}"
    assert invoice["order"] == {"id": order["id"], "number": "ORD-00001", "status": "CONFIRMED"}
    linked = result["order"]
    assert linked["invoices"] == [{"number": "INV-00001"}]
    assert linked["version"] == confirmed["version"]  # invoicing does not move the order
    assert linked["timeline"][-1] == {"kind": "INVOICED", "note": "Invoice INV-00001"}
    replay = await invoice_order(owner, order["id"], idempotencyKey="inv-of-order")
    assert replay["replayed"] is True and replay["invoice"]["id"] == invoice["id"]
    again = await invoice_order(owner, order["id"])
    assert again["__typename"] == "ConflictError" and again["code"] == "ALREADY_INVOICED"
    # the customer's summary counts the invoice, as any other
    q = """query($id: ID!) { customer(id: $id) {
      financial { outstanding { amount } } invoices { number } } }"""
    customer = (await owner.gql(q, {"id": cid}))["data"]["customer"]
    assert customer == {
        "financial": {"outstanding": {"amount": "446.00"}},
        "invoices": [{"number": "INV-00001"}],
    }


async def test_void_then_invoice_again_and_later_statuses(owner: Actor) -> None:
    cid = await customer_id(owner)
    order = await placed(owner, cid)
    await advance(owner, order, "CONFIRMED", "PROCESSING", "OUT_FOR_DELIVERY", "DELIVERED")
    first = await invoice_order(owner, order["id"])
    assert first["__typename"] == "InvoiceOrderPayload", first
    voided = await owner.gql(
        """mutation($input: VoidInvoiceInput!) { voidInvoice(input: $input) { __typename } }""",
        {"input": {"id": first["invoice"]["id"], "reason": "wrong price"}},
    )
    assert voided["data"]["voidInvoice"]["__typename"] == "InvoicePayload"
    second = await invoice_order(owner, order["id"])
    assert second["__typename"] == "InvoiceOrderPayload", second
    assert [i["number"] for i in second["order"]["invoices"]] == ["INV-00001", "INV-00002"]


async def test_another_business_cannot_invoice_the_order(owner: Actor, other_owner: Actor) -> None:
    cid = await customer_id(owner)
    order = await advance(owner, await placed(owner, cid), "CONFIRMED")
    result = await invoice_order(other_owner, order["id"])
    assert result["__typename"] == "NotFoundError", result
