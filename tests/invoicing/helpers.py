"""Helpers shared by the tests split out of test_invoicing.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import (
    Actor,
    create_customer,
)

INVOICE_FIELDS = """id number status currency issueDate dueDate total { amount currency }
  subtotal { amount } discountTotal { amount } taxTotal { amount } balance { amount }
  amountPaid { amount } paymentLink taxes { name rate amount { amount } }
  lines { description quantity taxRate total { amount } taxes { name amount { amount } } }"""


CREATE = (
    """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { __typename
  ... on InvoicePayload { invoice { %s } }
  ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""
    % INVOICE_FIELDS
)


PAY = """mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { __typename
  ... on PaymentPayload { replayed payment { id amount { amount } excessToCredit { amount } state }
      invoice { status balance { amount } amountPaid { amount } } }
  ... on ValidationError { code fields { field code } }
  ... on UserError { code message } } }"""


async def customer_id(actor: Actor, **fields: Any) -> str:
    fields.setdefault("name", "Invoice Customer")
    result = await create_customer(actor, **fields)
    return result["customer"]["id"]  # type: ignore[no-any-return]


async def invoice(
    actor: Actor, cid: str, lines: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    body = await actor.gql(CREATE, {"input": {"customerId": cid, "lines": lines, **extra}})
    return body["data"]["createInvoice"]  # type: ignore[no-any-return]


async def pay(actor: Actor, invoice_id: str, amount: str, key: str, **extra: Any) -> dict[str, Any]:
    body = await actor.gql(
        PAY,
        {
            "input": {
                "invoiceId": invoice_id,
                "amount": amount,
                "method": "UPI",
                "idempotencyKey": key,
                **extra,
            }
        },
    )
    return body["data"]["recordPayment"]  # type: ignore[no-any-return]


def _rid(gid: str) -> int:
    from schema.relay import parse_global_id

    return parse_global_id(gid)[1]


STATEMENT = """query($c: ID!, $from: Date!, $to: Date!) {
  customerStatement(customerId: $c, from: $from, to: $to) {
    openingBalance { amount } closingBalance { amount }
    entries { date kind reference description debit { amount } credit { amount }
              balance { amount } }
    aging { current { amount } days1To30 { amount } days31To60 { amount } days61To90 { amount }
            daysOver90 { amount } } } }"""


def local_today() -> date:  # the test businesses are in India
    return datetime.now(ZoneInfo("Asia/Kolkata")).date()


def at_ist(day: date, clock: str) -> str:
    return f"{day.isoformat()}T{clock}:00+05:30"


async def statement(actor: Actor, cid: str, start: date, end: date) -> dict[str, Any]:
    body = await actor.gql(STATEMENT, {"c": cid, "from": start.isoformat(), "to": end.isoformat()})
    return body["data"]["customerStatement"]  # type: ignore[no-any-return]


async def dated_invoice(
    actor: Actor, cid: str, amount: str, issued: date, due: date | None = None
) -> dict[str, Any]:
    """A one-line, tax-free invoice with the given dates."""
    extra = {"issueDate": issued.isoformat()}
    if due is not None:
        extra["dueDate"] = due.isoformat()
    line = {"description": f"Goods {amount}", "quantity": "1", "unitPrice": amount, "taxRate": "0"}
    result = await invoice(actor, cid, [line], **extra)
    assert result["__typename"] == "InvoicePayload", result
    return result["invoice"]  # type: ignore[no-any-return]
