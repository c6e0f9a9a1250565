"""Statement emails: a customer's statement of a period (domain/invoicing/statements.py)
as an email written from the business's STATEMENT template, with the statement PDF
attached (rendered when the email is sent, like the invoice PDF).

Two ways in: `sendStatement` (staff or a key, any period) and the monthly job: on the
1st of each month in the business's time zone, a business that turned `monthlyStatements`
on sends every customer with activity last month (an invoice issued, a payment received
or a counter purchase) who has an email address last month's statement. Each send is a
`statement_sends` row; the job's rows carry the occurrence ("monthly:2026-11"), unique per
business and customer, so each month goes out once however many runs and workers see it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from domain.accounts import queries as accounts
from domain.core import outbox
from domain.core.clock import Clock
from domain.core.codes import CoreCode
from domain.core.db import Database
from domain.core.errors import NotFound, ValidationFailed
from domain.core.outbox import OutboxEvent
from domain.core.tx import Tx
from domain.core.viewer import Scope, Viewer
from domain.customers.repository import CustomerRepository
from domain.invoicing.codes import InvoicingCode
from domain.invoicing.statements import MAX_DAYS, customer_statement
from domain.notifications.attachments import STATEMENT_PDF
from domain.notifications.compose import Draft
from domain.notifications.models import StatementSend
from domain.notifications.statement_repository import StatementSendRepository
from domain.notifications.template_service import load_template
from domain.notifications.templates import Recipient, Value, render
from domain.notifications.vocabulary import Channel, Event

REQUESTED = "statement.send_requested"
ACTOR = "job:monthly_statements"
log = logging.getLogger("khata.jobs")


async def request_send(
    tx: Tx, customer_id: int, start: date, end: date, occurrence: str | None = None
) -> StatementSend:
    """Records the send and its outbox event (delivered by the notification job)."""
    business_id = tx.viewer.require_business(Scope.NOTIFICATIONS_WRITE)
    if end < start:
        raise ValidationFailed.one("to", "must not be before from", InvoicingCode.INVALID_RANGE)
    if (end - start).days > MAX_DAYS:
        raise ValidationFailed.one("to", "a statement covers at most 10 years", CoreCode.TOO_LARGE)
    customer = await CustomerRepository(tx.session, tx.viewer).get(customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    if not customer.email:
        raise ValidationFailed.one(
            "customerId", "the customer has no email address", CoreCode.REQUIRED
        )
    row = StatementSend(
        business_id=business_id,
        customer_id=customer_id,
        period_start=start,
        period_end=end,
        occurrence=occurrence,
        created_at=tx.now(),
    )
    await StatementSendRepository(tx.session, tx.viewer).add(row)
    payload = {
        "customerId": customer_id,
        "statementSendId": row.id,
        "from": start.isoformat(),
        "to": end.isoformat(),
    }
    row.outbox_id = outbox.emit(tx, REQUESTED, payload, job="send_notification").id
    return row


async def get_send(tx: Tx, send_id: int) -> StatementSend:
    found = await StatementSendRepository(tx.session, tx.viewer).get(send_id)
    if found is None:
        raise NotFound("statement send", send_id)
    return found


async def drafts(tx: Tx, event: OutboxEvent, public_url: str) -> list[Draft]:
    """The email of a statement send (`tx` acts for the event's business)."""
    p = event.payload
    start, end = date.fromisoformat(str(p["from"])), date.fromisoformat(str(p["to"]))
    business = await accounts.viewer_business(tx)
    try:
        statement = await customer_statement(tx, int(p["customerId"]), start, end)
    except NotFound:
        return []
    customer = statement.customer
    if business is None or not customer.email:
        return []
    template = await load_template(tx, Channel.EMAIL, Event.STATEMENT, customer.language)
    values: dict[str, Value] = {
        "name": customer.name,
        "business": business.name,
        "date": end,
        "amount": statement.closing_balance,
        "link": public_url,
    }
    rendered = render(
        template,
        values,
        currency=statement.currency,
        country=business.country,
        recipient=Recipient(customer.phone, customer.email),
    )
    return [
        Draft(
            "email",
            customer.email,
            rendered.body,
            rendered.subject,
            customer_id=customer.id,
            event=event.topic,
            attachment=STATEMENT_PDF,
        )
    ]


def last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


@dataclass
class MonthlyResult:
    businesses: int = 0
    sent: int = 0


async def send_monthly(db: Database, clock: Clock) -> MonthlyResult:
    """The monthly job (arq cron hourly, or the embedded timer): each opted-in business
    whose own today is the 1st queues last month's statements of its active customers,
    once per customer and month (module docstring)."""
    result = MonthlyResult()
    async with db.read() as session:
        businesses = await StatementSendRepository.opted_in(session)
    now = clock.now()
    for business_id, timezone in businesses:
        today = now.astimezone(ZoneInfo(timezone)).date()
        if today.day != 1:
            continue
        result.businesses += 1
        try:
            result.sent += await _send_business(db, clock, business_id, timezone, today)
        except IntegrityError:  # another worker queued this month's at the same moment
            log.info("monthly statements of business %s queued by another run", business_id)
    return result


async def _send_business(
    db: Database, clock: Clock, business_id: int, timezone: str, today: date
) -> int:
    start, end = last_month(today)
    occurrence = f"monthly:{start:%Y-%m}"
    tz = ZoneInfo(timezone)
    viewer = Viewer.system_actor(ACTOR, business_id=business_id)
    async with db.unit_of_work() as session:
        tx = Tx(session, viewer, clock)
        repo = StatementSendRepository(session, viewer)
        start_at = datetime.combine(start, datetime.min.time(), tz)
        end_at = datetime.combine(end + timedelta(days=1), datetime.min.time(), tz)
        active = await repo.active_customers(start, end, start_at, end_at)
        done = await repo.occurred(occurrence)
        customers = CustomerRepository(session, viewer)
        sent = 0
        for customer_id in active:
            if customer_id in done:
                continue
            customer = await customers.get(customer_id)
            if customer is None or not customer.email:
                continue
            await request_send(tx, customer_id, start, end, occurrence)
            sent += 1
        return sent
