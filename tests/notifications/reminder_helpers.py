"""Helpers of the reminder and scheduled-send tests: a desk moved far ahead (so the
suite's other invoices are outside every window the jobs read), its owner and customer,
an invoice due a given number of days from the business's today."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from domain.core.outbox import OutboxEvent
from domain.notifications.reminder_models import InvoiceReminder
from khata.runtime import Runtime
from schema.relay import expect_id
from tests.conftest import Actor, sign_up
from tests.notifications.conftest import Desk
from tests.notifications.helpers import UPDATE_PREFERENCES, customer

AHEAD_DAYS = 400
READ = """query($id: ID!) { node(id: $id) { ... on Invoice { status balance { amount }
  reminders { sentCount lastRemindedAt nextReminderOn history { occurrence manual scheduledOn } }
  scheduledSendAt sends { id status sendAt requestId } } } }"""
POLICY = """mutation($input: UpdateReminderPolicyInput!) { updateReminderPolicy(input: $input) {
  __typename ... on ReminderPolicyPayload { policy { enabled daysBefore onDueDate
  everyDaysAfter maxReminders channels } }
  ... on ValidationError { code fields { field code } } ... on UserError { code message } } }"""
REMIND = """mutation($input: RemindNowInput!) { remindNow(input: $input) { __typename
  ... on RemindNowPayload { replayed reminder { id manual } invoice { reminders { sentCount } } }
  ... on ValidationError { fields { field code } } ... on UserError { code message } } }"""
CREATE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { __typename
  ... on InvoicePayload { invoice { id number dueDate } } } }"""
PAY = """mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { __typename
  ... on PaymentPayload { invoice { status } } ... on UserError { code message } } }"""
VOID = """mutation($id: ID!) { voidInvoice(input: { id: $id, reason: "typo" }) { __typename } }"""


def today(desk: Desk) -> date:
    return desk.clock.now().astimezone(ZoneInfo("Asia/Kolkata")).date()


async def shop(desk: Desk) -> tuple[Actor, str]:
    """An IN business far ahead in time, and a Kenyan customer who takes messages at any
    hour (no quiet hours, no DLT)."""
    owner = await sign_up(desk.client, "IN")
    cid = await customer(owner, name="Asha Rao", phone="+254712345611")
    always = {"customerId": cid, "quietHours": {"start": "00:00", "end": "00:00"}}
    await owner.gql(UPDATE_PREFERENCES, {"input": always})
    return owner, cid


def move_ahead(desk: Desk) -> None:
    desk.clock.advance(days=AHEAD_DAYS)


async def shop_ahead(desk: Desk) -> tuple[Actor, str]:
    """`shop` on a desk moved ahead first: where a test runs the daily jobs."""
    move_ahead(desk)
    return await shop(desk)


async def issue(owner: Actor, cid: str, due: date, price: str = "100") -> str:
    line = {"description": "Seeds", "quantity": "1", "unitPrice": price, "taxRate": "0"}
    body = await owner.gql(
        CREATE, {"input": {"customerId": cid, "lines": [line], "dueDate": due.isoformat()}}
    )
    made = body["data"]["createInvoice"]
    assert made["__typename"] == "InvoicePayload", made
    return str(made["invoice"]["id"])


async def read(owner: Actor, invoice_id: str) -> dict[str, Any]:
    return (await owner.gql(READ, {"id": invoice_id}))["data"]["node"]  # type: ignore[no-any-return]


async def recorded(rt: Runtime, invoice_id: str) -> tuple[int, int]:
    """(reminder rows, `invoice.reminder` outbox events) of the invoice."""
    row_id = expect_id(invoice_id, "Invoice")
    async with rt.db.read() as session:
        rows = await session.scalar(
            select(func.count(InvoiceReminder.id)).where(InvoiceReminder.invoice_id == row_id)
        )
        events = await session.scalars(
            select(OutboxEvent).where(OutboxEvent.topic == "invoice.reminder")
        )
        sent = sum(1 for e in events if e.payload.get("invoiceId") == row_id)
    return int(rows or 0), sent
