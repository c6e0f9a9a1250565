"""Payment reminders. The daily job (`send_due_reminders`: arq cron hourly, the embedded
timer otherwise) takes each business in its own time zone, reads its owed invoices due in
the policy's window in one statement, works out which have an occurrence today, and
records them with one INSERT ... ON CONFLICT DO NOTHING RETURNING: only the rows it
inserted get an `invoice.reminder` outbox event, which the notification pipeline turns
into messages (templates, consent, quiet hours, ledger). A second run the same day, or a
second worker at the same moment, inserts nothing and sends nothing. A reminder stops once
the invoice is paid, void or at a zero balance: the job no longer reads it, and a message
still waiting (quiet hours) is refused before its send (rules.check)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from domain.core import outbox
from domain.core.clock import Clock
from domain.core.db import Database
from domain.core.errors import Conflict, NotFound, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Scope, Viewer
from domain.customers.models import Customer
from domain.invoicing.codes import InvoicingCode
from domain.invoicing.models import Invoice, InvoiceStatus
from domain.invoicing.repository import OPEN
from domain.invoicing.service import (
    get_invoice,
    invoice_payload,
    timeline,
)
from domain.notifications import messages
from domain.notifications.reminder_models import InvoiceReminder, ReminderPolicyRow
from domain.notifications.reminder_repository import ReminderRepository
from domain.notifications.reminder_schedule import ReminderPolicy, due_today, due_window

REMINDER = messages.REMINDER
JOB_BATCH = 200
ACTOR = "job:payment_reminders"


def policy_of(row: ReminderPolicyRow | None) -> ReminderPolicy:
    if row is None:
        return ReminderPolicy()
    return ReminderPolicy(
        enabled=row.enabled,
        days_before=row.days_before,
        on_due_date=row.on_due_date,
        every_days_after=row.every_days_after,
        max_reminders=row.max_reminders,
        channels=tuple(row.channels),
    )


async def get_policy(tx: Tx) -> ReminderPolicy:
    tx.viewer.require_business(Scope.NOTIFICATIONS_READ)
    return policy_of(await ReminderRepository(tx.session, tx.viewer).policy())


async def update_policy(tx: Tx, policy: ReminderPolicy) -> ReminderPolicy:
    business_id = tx.viewer.require_business(Scope.NOTIFICATIONS_WRITE)
    policy = ReminderPolicy(**{**policy.__dict__, "channels": tuple(sorted(set(policy.channels)))})
    policy.check()
    repo = ReminderRepository(tx.session, tx.viewer)
    row = await repo.policy()
    if row is None:
        row = ReminderPolicyRow(business_id=business_id)
        tx.session.add(row)
    row.enabled = policy.enabled
    row.days_before = policy.days_before
    row.on_due_date = policy.on_due_date
    row.every_days_after = policy.every_days_after
    row.max_reminders = policy.max_reminders
    row.channels = list(policy.channels)
    row.updated_at = tx.now()
    await tx.session.flush()
    return policy


def owed(invoice: Invoice) -> bool:
    return invoice.status in OPEN and invoice.balance > 0


def _emit(
    tx: Tx,
    invoice: Invoice,
    customer: Customer | None,
    reminder: InvoiceReminder,
    channels: tuple[str, ...],
    public_url: str,
) -> None:
    outbox.emit(
        tx,
        REMINDER,
        invoice_payload(
            invoice,
            customer,
            channels=list(channels),
            reminderId=reminder.id,
            occurrence=reminder.occurrence,
            manual=reminder.manual,
            paymentLink=f"{public_url}/pay/{invoice.payment_token}",
        ),
        job="send_notification",
    )
    timeline(
        tx,
        invoice,
        "reminder_requested",
        occurrence=reminder.occurrence,
        manual=reminder.manual,
        channels=list(channels),
    )


async def remind_now(tx: Tx, invoice_id: int, public_url: str) -> InvoiceReminder:
    """A reminder at once, outside the schedule (it does not count towards K). Refused
    on a paid or void invoice, or one with nothing left to pay."""
    business_id = tx.viewer.require_business(Scope.NOTIFICATIONS_WRITE)
    invoice = await get_invoice(tx, invoice_id, lock=True)
    if invoice.status == InvoiceStatus.VOID:
        raise ValidationFailed.one(
            "invoiceId", "a void invoice gets no reminders", InvoicingCode.INVOICE_VOID
        )
    if not owed(invoice):
        raise Conflict("the invoice is paid: nothing to remind of", InvoicingCode.INVOICE_PAID)
    repo = ReminderRepository(tx.session, tx.viewer)
    reminder = InvoiceReminder(
        business_id=business_id,
        invoice_id=invoice.id,
        scheduled_on=None,
        occurrence=None,
        manual=True,
        actor=tx.viewer.actor_label,
        created_at=tx.now(),
    )
    await repo.add(reminder)
    customers = await repo.rows_by_id(Customer, [invoice.customer_id])
    policy = policy_of(await repo.policy())
    _emit(tx, invoice, customers.get(invoice.customer_id), reminder, policy.channels, public_url)
    return reminder


@dataclass
class ReminderRun:
    businesses: int = 0
    reminded: int = 0


async def send_due_reminders(db: Database, clock: Clock, public_url: str) -> ReminderRun:
    """Every business with an invoice still owed, `JOB_BATCH` at a time; one short
    transaction each for those whose policy is enabled."""
    run = ReminderRun()
    after = 0
    while True:
        async with db.read() as session:
            batch = await ReminderRepository.businesses_after(session, after, JOB_BATCH)
        if not batch:
            return run
        for business_id, timezone, row in batch:
            policy = policy_of(row)
            if policy.enabled:
                today = clock.now().astimezone(ZoneInfo(timezone)).date()
                run.reminded += await _remind_business(
                    db, clock, business_id, policy, today, public_url
                )
                run.businesses += 1
        after = batch[-1][0]


async def _remind_business(
    db: Database,
    clock: Clock,
    business_id: int,
    policy: ReminderPolicy,
    today: date,
    public_url: str,
) -> int:
    """A read finds what is due today and not yet recorded; only then a short write
    records and sends it (a business with nothing due costs one read, no write lock)."""
    viewer = Viewer.system_actor(ACTOR, business_id=business_id)
    wanted: dict[int, tuple[date, int]] = {}  # invoice id: (occurrence date, number)
    async with db.read() as session:
        for c in await ReminderRepository(session, viewer).candidates(*due_window(policy, today)):
            day = due_today(policy, c.invoice.due_date, today, c.sent)
            if day is not None and day != c.last_on:  # not sent already
                wanted[c.invoice.id] = (day, c.sent + 1)
    if not wanted:
        return 0
    async with db.unit_of_work() as session:
        tx = Tx(session, viewer, clock)
        repo = ReminderRepository(session, viewer)
        owing = await repo.still_owing(list(wanted))  # paid or voided since the read: left out
        claimed = await repo.claim(
            [
                {
                    "invoice_id": invoice_id,
                    "scheduled_on": day,
                    "occurrence": number,
                    "manual": False,
                    "actor": ACTOR,
                    "created_at": tx.now(),
                }
                for invoice_id, (day, number) in wanted.items()
                if invoice_id in owing
            ]
        )
        customers = await repo.rows_by_id(
            Customer, [owing[r.invoice_id].customer_id for r in claimed]
        )
        for reminder in claimed:
            invoice = owing[reminder.invoice_id]
            customer = customers.get(invoice.customer_id)
            _emit(tx, invoice, customer, reminder, policy.channels, public_url)
        return len(claimed)


async def business_policy(tx: Tx) -> ReminderPolicy:
    """The viewer's business's policy, for the invoice's reminder summary."""
    return policy_of(await ReminderRepository(tx.session, tx.viewer).policy())


async def reminders_for(tx: Tx, invoice_ids: list[int]) -> list[InvoiceReminder]:
    """The reminders of these invoices (the `Invoice.reminders` loader), one statement."""
    return list(await ReminderRepository(tx.session, tx.viewer).for_invoices(invoice_ids))


async def get_reminder(tx: Tx, reminder_id: int) -> InvoiceReminder:
    rows = await ReminderRepository(tx.session, tx.viewer).by_ids([reminder_id])
    if not rows:
        raise NotFound("reminder", reminder_id)
    return rows[0]


async def still_owed(tx: Tx, invoice_id: int) -> bool:
    """Checked again just before a reminder's send (it may have waited for quiet hours)."""
    try:
        return owed(await get_invoice(tx, invoice_id))
    except NotFound:
        return False
