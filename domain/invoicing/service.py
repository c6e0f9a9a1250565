"""Invoice lifecycle: issue (numbered, taxed through the tax engine), void, send, status
transitions, and the business's own today. The checks before an invoice is written are
in `invoice_data`, the customer's summary in `customer_summary`, the timeline and outbox
events in `timeline`."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.accounts.models import Business
from domain.accounts.repository import AccountsRepository
from domain.core.codes import CoreCode
from domain.core.counters import format_number, next_value
from domain.core.errors import Conflict, NotFound, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers.models import Customer
from domain.customers.repository import CustomerRepository
from domain.customers.status import StatusRules, refresh_status
from domain.invoicing import events

# The pieces of an invoice's rules live in their own modules; they stay importable from
# here, the public path every context (orders, notifications, workers, bench) uses.
from domain.invoicing.customer_summary import apply_summary as apply_summary
from domain.invoicing.customer_summary import refresh_customer_summary as refresh_customer_summary
from domain.invoicing.customer_summary import summary_values as summary_values
from domain.invoicing.customer_summary import summary_with as summary_with
from domain.invoicing.invoice_data import MAX_LINES as MAX_LINES
from domain.invoicing.invoice_data import TERMS_DAYS as TERMS_DAYS
from domain.invoicing.invoice_data import InvoiceData as InvoiceData
from domain.invoicing.invoice_data import LineData as LineData
from domain.invoicing.invoice_data import business_region as business_region
from domain.invoicing.invoice_data import check_invoice as check_invoice
from domain.invoicing.invoice_data import component_json as component_json
from domain.invoicing.invoice_data import compute as compute
from domain.invoicing.invoice_data import line_columns as line_columns
from domain.invoicing.invoice_data import prepare
from domain.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from domain.invoicing.repository import InvoiceRepository
from domain.invoicing.timeline import NOTIFIED as NOTIFIED
from domain.invoicing.timeline import channel_for as channel_for
from domain.invoicing.timeline import emit as emit
from domain.invoicing.timeline import invoice_payload as invoice_payload
from domain.invoicing.timeline import timeline as timeline
from domain.invoicing.timeline import timeline_row as timeline_row


async def load_business(tx: Tx) -> Business:
    business = await AccountsRepository(tx.session, tx.viewer).business()
    if business is None:
        raise NotFound("business")
    return business


def local_today(tx: Tx, business: Business) -> date:
    return business_today(business, tx.now())


def business_today(business: Business, now: datetime) -> date:
    """Issue dates, due dates and "overdue" are in the business's own time zone."""
    return now.astimezone(ZoneInfo(business.timezone)).date()


def status_for(invoice: Invoice) -> str:
    if invoice.status == InvoiceStatus.VOID:
        return InvoiceStatus.VOID
    if invoice.balance <= 0:
        return InvoiceStatus.PAID
    if invoice.amount_paid > 0 or invoice.amount_credited > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.SENT if invoice.sent_at else InvoiceStatus.ISSUED


def set_status(
    tx: Tx, invoice: Invoice, customer: Customer | None, *, at: datetime | None = None
) -> bool:
    """Moves the invoice to the status its figures give; True when it became paid or
    stopped being paid (which moves the customer's average days to pay). An invoice that
    becomes paid is paid `at` the time the money that settled it came (a payment's
    received time, which may be earlier than its recording), by default now."""
    new = status_for(invoice)
    paid_before = invoice.status == InvoiceStatus.PAID
    if new != invoice.status:
        old, invoice.status = invoice.status, new
        if new == InvoiceStatus.PAID and invoice.paid_at is None:
            invoice.paid_at = min(at, tx.now()) if at is not None else tx.now()
        if new != InvoiceStatus.PAID:
            invoice.paid_at = None
        timeline(tx, invoice, "status_changed", **{"from": old, "to": new})
        emit(tx, events.STATUS_CHANGED, invoice, customer, previousStatus=old)
        if new == InvoiceStatus.PAID:
            emit(tx, events.PAID, invoice, customer, previousStatus=old)
    return paid_before != (new == InvoiceStatus.PAID)


async def create_invoice(tx: Tx, data: InvoiceData) -> Invoice:
    """Issues one invoice: checks every field (all bad fields reported at once), computes
    the taxes, writes the invoice, its lines and timeline, adds it to the customer's
    summary and records `invoice.issued` in the outbox. The gapless number is taken after
    every check, just before the invoice is written: the counter row stays locked from
    then until commit, so concurrent invoices of one business queue there and nowhere
    else."""
    business_id = tx.viewer.require_business(Scope.INVOICES_WRITE)
    business = await load_business(tx)
    customer = await CustomerRepository(tx.session, tx.viewer).get(data.customer_id, lock=True)
    currency, issue, due, totals = prepare(data, customer, business, local_today(tx, business))
    assert customer is not None
    now = tx.now()
    paid = totals.total <= 0
    invoice = Invoice(
        business_id=business_id,
        customer_id=customer.id,
        status=InvoiceStatus.PAID if paid else InvoiceStatus.ISSUED,
        currency=currency,
        issue_date=issue,
        due_date=due,
        prices_include_tax=data.prices_include_tax,
        place_of_supply=data.place_of_supply,
        discount_percent=data.discount_percent,
        discount_amount=data.discount_amount,
        subtotal=totals.subtotal,
        discount_total=totals.discount_total,
        tax_total=totals.tax_total,
        total=totals.total,
        amount_paid=Decimal(0),
        amount_credited=Decimal(0),
        balance=totals.total,
        tax_components=[component_json(c) for c in totals.components],
        notes=(data.notes or "").strip() or None,
        terms=(data.terms or "").strip() or None,
        payment_token=secrets.token_urlsafe(24),
        paid_at=now if paid else None,
        draft_id=data.draft_id,
        template_id=data.template_id,
        order_id=data.order_id,
        created_by=tx.viewer.actor_label,
        created_at=now,
        updated_at=now,
    )
    invoice.number = format_number(
        business.invoice_prefix, await next_value(tx, business_id, "invoice")
    )
    repo = InvoiceRepository(tx.session, tx.viewer)
    await repo.add(invoice)
    await repo.add_all(
        (
            InvoiceLine(
                business_id=business_id,
                invoice_id=invoice.id,
                **line_columns(i, src, lt),
            )
            for i, (src, lt) in enumerate(zip(data.lines, totals.lines, strict=True))
        )
    )
    timeline(tx, invoice, "issued", total=str(invoice.total), **data.extra_event)
    if paid:  # paid at once: the average days to pay moves, so sum the rows again
        await refresh_customer_summary(tx, customer, business)
    else:
        for key, value in summary_with(tx, business, customer, [invoice]).items():
            setattr(customer, key, value)
        refresh_status(customer, StatusRules.of(business), tx.now())
    emit(tx, events.ISSUED, invoice, customer)
    return invoice


async def get_invoice(tx: Tx, invoice_id: int, *, lock: bool = False) -> Invoice:
    invoice = await InvoiceRepository(tx.session, tx.viewer).get(invoice_id, lock=lock)
    if invoice is None:
        raise NotFound("invoice", invoice_id)
    return invoice


async def _customer(tx: Tx, invoice: Invoice) -> Customer:
    customer = await CustomerRepository(tx.session, tx.viewer).get(invoice.customer_id, lock=True)
    if customer is None:
        raise NotFound("customer", invoice.customer_id)
    return customer


async def void_invoice(tx: Tx, invoice_id: int, reason: str) -> Invoice:
    tx.viewer.require_business(Scope.INVOICES_WRITE)
    if not reason or not reason.strip():
        raise ValidationFailed.one("reason", "say why the invoice is void", CoreCode.REQUIRED)
    invoice = await get_invoice(tx, invoice_id, lock=True)
    if invoice.status == InvoiceStatus.VOID:
        raise Conflict("invoice is already void")
    if invoice.amount_paid > 0:
        raise Conflict("invoice has payments: reverse them or issue a credit note instead")
    customer = await _customer(tx, invoice)
    old = invoice.status
    invoice.status = InvoiceStatus.VOID
    invoice.void_reason = reason.strip()
    invoice.voided_at = tx.now()
    invoice.balance = Decimal(0)
    invoice.updated_at = tx.now()
    timeline(tx, invoice, "voided", reason=invoice.void_reason)
    emit(tx, events.VOIDED, invoice, customer, previousStatus=old, reason=invoice.void_reason)
    await tx.session.flush()
    await refresh_customer_summary(tx, customer, await load_business(tx))
    return invoice


def request_send(
    tx: Tx, invoice: Invoice, channels: list[str], scheduled_at: datetime | None = None
) -> None:
    """A send request is pending until a sender delivers it: it is recorded on the
    timeline (`send_requested`) and as an outbox event, and the invoice's status and
    `sentAt` stay as they were. Only `mark_sent`, once a provider has accepted the
    message, moves the invoice to SENT."""
    timeline(
        tx,
        invoice,
        "send_requested",
        channels=channels,
        scheduledAt=scheduled_at.isoformat() if scheduled_at else None,
    )


async def mark_sent(tx: Tx, invoice: Invoice, channels: list[str]) -> None:
    """For the sender, once delivery is accepted (no sender consumes requests yet)."""
    if invoice.sent_at is None:
        invoice.sent_at = tx.now()
    timeline(tx, invoice, "sent", channels=channels)
    old = invoice.status
    if invoice.status == InvoiceStatus.ISSUED:
        invoice.status = InvoiceStatus.SENT
        timeline(tx, invoice, "status_changed", **{"from": old, "to": InvoiceStatus.SENT})
    emit(tx, events.SENT, invoice, None, previousStatus=old, channels=channels)


async def _move_invoices(tx: Tx, source: Customer, target: Customer) -> int:
    """Merge mover: invoices, payments, credit notes and credit in every currency follow
    the customer. The merge itself adds the source's summary to the target's; an average
    cannot be added, so the average days to pay is worked out again over the paid
    invoices of both."""
    business = await load_business(tx)
    for currency, amount in source.credits(business.currency):
        target.add_credit(currency, business.currency, amount)
        source.add_credit(currency, business.currency, -amount)
    repo = InvoiceRepository(tx.session, tx.viewer)
    moved = await repo.move_customer(source.id, target.id)
    if moved and source.avg_days_to_pay is not None:
        totals = await repo.customers_totals([target.id], business.currency)
        values = summary_values(tx, business, totals[target.id])
        target.avg_days_to_pay = values["avg_days_to_pay"]
    return moved


def _register() -> None:
    from domain.customers.merge import register_mover

    register_mover("invoices", _move_invoices)


_register()
