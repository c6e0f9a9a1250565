"""Helpers of the pipeline tests: an invoice to send, the send itself, and the ledger
rows of a customer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from domain.notifications.models import NotificationLog
from khata.runtime import Runtime
from schema.relay import expect_id
from tests.conftest import Actor, create_customer

CREATE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { __typename
  ... on InvoicePayload { invoice { id number paymentLink } } } }"""
SEND = """mutation($input: SendInvoiceInput!) { sendInvoice(input: $input) { __typename
  ... on SendInvoicePayload { requestId } ... on UserError { code message } } }"""
PAY = """mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { __typename
  ... on PaymentPayload { invoice { status } } ... on UserError { code message } } }"""
LIMITS = """mutation($input: UpdateSmsLimitsInput!) { updateSmsLimits(input: $input) {
  __typename ... on SmsLimitsPayload { usage { segments quota level } } } }"""
USAGE = "{ smsUsage { messages segments quota level } }"


async def customer(actor: Actor, **fields: Any) -> str:
    fields.setdefault("name", "Asha Rao")
    made = await create_customer(actor, **fields)
    assert made["__typename"] == "CustomerPayload", made
    return str(made["customer"]["id"])


async def invoice(actor: Actor, customer_id: str, price: str = "150") -> dict[str, Any]:
    line = {"description": "Seeds", "quantity": "2", "unitPrice": price, "taxRate": "0"}
    body = await actor.gql(CREATE, {"input": {"customerId": customer_id, "lines": [line]}})
    made = body["data"]["createInvoice"]
    assert made["__typename"] == "InvoicePayload", made
    return made["invoice"]  # type: ignore[no-any-return]


async def send(actor: Actor, invoice_id: str, *channels: str) -> str:
    body = await actor.gql(SEND, {"input": {"invoiceId": invoice_id, "channels": list(channels)}})
    sent = body["data"]["sendInvoice"]
    assert sent["__typename"] == "SendInvoicePayload", sent
    return str(sent["requestId"])


async def rows_of(rt: Runtime, customer_id: str, event: str | None = None) -> list[NotificationLog]:
    """The customer's ledger rows, oldest first (of one outbox topic if given)."""
    stmt = select(NotificationLog).where(
        NotificationLog.customer_id == expect_id(customer_id, "Customer")
    )
    if event is not None:
        stmt = stmt.where(NotificationLog.event == event)
    async with rt.db.read() as session:
        return list((await session.scalars(stmt.order_by(NotificationLog.id))).all())
