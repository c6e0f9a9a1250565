"""Invoice rules: numbering, taxes through the tax engine, lifecycle transitions with a
timeline, the customer's financial summary kept exact in the same transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from domain.accounts.models import Business
from domain.accounts.repository import AccountsRepository
from domain.core import outbox
from domain.core.codes import CoreCode
from domain.core.counters import format_number, next_value
from domain.core.errors import (
    Conflict,
    ErrorCollector,
    NotFound,
    ValidationFailed,
)
from domain.core.gst import gst_state_code, gstin_state
from domain.core.money import format_money, is_currency_code, quantize
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers.models import Customer, CustomerStatus, PaymentStatus
from domain.customers.repository import CustomerRepository
from domain.customers.status import StatusRules, refresh_status
from domain.invoicing import events, tax
from domain.invoicing.codes import InvoicingCode
from domain.invoicing.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceStatus
from domain.invoicing.repository import InvoiceRepository

TERMS_DAYS = {"due_on_receipt": 0, "net_15": 15, "net_30": 30, "net_60": 60}
MAX_LINES = 200


def channel_for(business_id: int) -> str:
    return f"business:{business_id}:invoices"


@dataclass
class LineData:
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    tax_rate: Decimal | None = None


@dataclass
class InvoiceData:
    customer_id: int
    lines: list[LineData]
    currency: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    prices_include_tax: bool = False
    place_of_supply: str | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    notes: str | None = None
    terms: str | None = None
    template_id: int | None = None
    draft_id: int | None = None
    order_id: int | None = None  # the order this invoice bills (invoiceOrder)
    extra_event: dict[str, Any] = field(default_factory=dict)


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


def timeline(tx: Tx, invoice: Invoice, kind: str, **data: Any) -> None:
    tx.session.add(InvoiceEvent(**timeline_row(tx, invoice, kind, **data)))


def timeline_row(tx: Tx, invoice: Invoice, kind: str, **data: Any) -> dict[str, Any]:
    """One timeline entry's columns."""
    return {
        "business_id": invoice.business_id,
        "invoice_id": invoice.id,
        "kind": kind,
        "actor": tx.viewer.actor_label,
        "data": data,
        "created_at": tx.now(),
    }


def invoice_payload(
    invoice: Invoice, customer: Customer | None = None, **extra: Any
) -> dict[str, Any]:
    """Enough to render a notification or a live update without another query."""
    payload = {
        "invoiceId": invoice.id,
        "orderId": invoice.order_id,
        "number": invoice.number,
        "status": invoice.status,
        "customerId": invoice.customer_id,
        "currency": invoice.currency,
        "total": format_money(invoice.total, invoice.currency),
        "amountPaid": format_money(invoice.amount_paid, invoice.currency),
        "balance": format_money(invoice.balance, invoice.currency),
        "dueDate": invoice.due_date.isoformat(),
        "issueDate": invoice.issue_date.isoformat(),
    }
    if customer is not None:  # no contact data: the notification job reads it by id
        payload |= {"customerName": customer.name, "personId": customer.person_id}
    return payload | extra


# topics the notification pipeline turns into messages (a payment receipt), for a
# customer it can reach
NOTIFIED = {events.PAYMENT_RECEIVED}


def emit(
    tx: Tx, topic: str, invoice: Invoice, customer: Customer | None = None, **extra: Any
) -> None:
    payload = invoice_payload(invoice, customer, **extra)
    reachable = customer is not None and bool(customer.phone or customer.email)
    outbox.emit(
        tx,
        topic,
        payload,
        channels=[channel_for(invoice.business_id)],
        job="send_notification" if topic in NOTIFIED and reachable else None,
        snapshot=lambda: events.snapshot(invoice),
    )


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


async def refresh_customer_summary(
    tx: Tx, customer: Customer, business: Business, *, paid_changed: bool = True
) -> None:
    """Recomputed from the rows in the same transaction: exact by construction. The
    average days to pay reads every paid invoice of the customer, so it is left as it
    is when no invoice became paid or stopped being paid (`paid_changed`)."""
    totals = await InvoiceRepository(tx.session, tx.viewer).customers_totals(
        [customer.id],
        business.currency,
        paid_rows_for=None if paid_changed else [],
    )
    apply_summary(tx, customer, business, totals[customer.id])
    refresh_status(customer, StatusRules.of(business), tx.now())


def apply_summary(tx: Tx, customer: Customer, business: Business, totals: dict[str, Any]) -> None:
    """Sets the summary fields from `customers_totals`; a None `paid_rows` keeps the
    average days to pay (no paid invoice of this customer changed)."""
    for key, value in summary_values(tx, business, totals).items():
        setattr(customer, key, value)


def summary_values(tx: Tx, business: Business, totals: dict[str, Any]) -> dict[str, Any]:
    """A customer's summary columns from its `customers_totals` entry."""
    cur = business.currency
    last, oldest_due = (
        date.fromisoformat(d) if isinstance(d, str) else d  # SQLite's MIN/MAX give text
        for d in (totals["last_issue"], totals["oldest_due"])
    )
    # OVERDUE is not stored: payment_status_on derives it from oldest_open_due.
    if totals["count"] == 0:
        status = PaymentStatus.NONE
    elif totals["partial"]:
        status = PaymentStatus.WARNING
    else:
        status = PaymentStatus.GOOD
    values: dict[str, Any] = {
        "total_billed": quantize(totals["billed"], cur),
        "total_paid": quantize(totals["paid"], cur),
        "outstanding": quantize(totals["outstanding"], cur),
        "invoice_count": totals["count"],
        "last_invoice_at": (
            None if last is None else datetime(last.year, last.month, last.day, tzinfo=UTC)
        ),
        "payment_status": status,
        "oldest_open_due": oldest_due,
        "updated_at": tx.now(),
    }
    if totals["paid_rows"] is not None:
        days = []
        zone = ZoneInfo(business.timezone)
        for issued, paid_at in totals["paid_rows"]:
            if paid_at is not None:
                issued_d = date.fromisoformat(issued) if isinstance(issued, str) else issued
                paid_d = (
                    paid_at.astimezone(zone).date() if isinstance(paid_at, datetime) else paid_at
                )
                days.append(max((paid_d - issued_d).days, 0))
        values["avg_days_to_pay"] = (
            quantize(Decimal(sum(days)) / len(days), "USD") if days else None
        )
    return values


def _validate_lines(lines: list[LineData], errors: ErrorCollector) -> None:
    if not lines:
        errors.add("lines", "an invoice needs at least one line", CoreCode.REQUIRED)
    if len(lines) > MAX_LINES:
        errors.add("lines", f"at most {MAX_LINES} lines", CoreCode.TOO_MANY)
    for i, line in enumerate(lines):
        if not line.description.strip():
            errors.add(f"lines.{i}.description", "is required", CoreCode.REQUIRED)
        elif len(line.description) > 500:
            errors.add(
                f"lines.{i}.description", "must be at most 500 characters", CoreCode.TOO_LONG
            )
        if line.unit is not None and len(line.unit) > 20:
            errors.add(f"lines.{i}.unit", "must be at most 20 characters", CoreCode.TOO_LONG)


def compute(data: InvoiceData, business: Business, currency: str) -> tax.InvoiceTotals:
    lines = [
        tax.LineInput(
            description=line.description.strip(),
            quantity=line.quantity,
            unit_price=line.unit_price,
            unit=line.unit,
            discount_percent=line.discount_percent,
            discount_amount=line.discount_amount,
            tax_rate=line.tax_rate,
        )
        for line in data.lines
    ]
    ctx = tax.TaxContext(
        country=business.country,
        currency=currency,
        inclusive=data.prices_include_tax,
        seller_region=business_region(business),
        buyer_region=data.place_of_supply,
    )
    return tax.compute_invoice(
        lines,
        ctx,
        invoice_discount_percent=data.discount_percent,
        invoice_discount_amount=data.discount_amount,
    )


def business_region(business: Business) -> str | None:
    """India GST: the seller's state is the first two digits of its GSTIN, else the state
    set on the business (`stateCode`)."""
    if business.country != "IN":
        return None
    return gstin_state(business.tax_id) or business.state_code


def _prepare(
    data: InvoiceData, customer: Customer | None, business: Business, today: date
) -> tuple[str, date, date, tax.InvoiceTotals]:
    """Everything checkable before writing: a bad item fails alone, with every bad field."""
    if customer is None:
        raise NotFound("customer", data.customer_id)
    errors = ErrorCollector()
    if customer.status != CustomerStatus.ACTIVE:
        errors.add("customerId", f"customer is {customer.status}", InvoicingCode.CUSTOMER_INACTIVE)
    currency = (data.currency or business.currency).upper()
    if not is_currency_code(currency):
        errors.add("currency", "is not an ISO 4217 code", CoreCode.INVALID_CURRENCY)
    _validate_lines(data.lines, errors)
    for name in ("notes", "terms"):
        value = getattr(data, name)
        if value and len(value) > 5000:
            errors.add(name, "must be at most 5000 characters", CoreCode.TOO_LONG)
    if data.place_of_supply is not None and not data.place_of_supply.strip():
        data.place_of_supply = None
    if data.place_of_supply is not None and business.country == "IN":
        # Stored as the GST state code; a name that is no state is refused by the tax engine.
        data.place_of_supply = gst_state_code(data.place_of_supply) or data.place_of_supply
    if data.place_of_supply is not None and len(data.place_of_supply) > 10:
        errors.add("placeOfSupply", "must be at most 10 characters", CoreCode.TOO_LONG)
    issue = data.issue_date or today
    due = data.due_date or issue + timedelta(days=TERMS_DAYS.get(customer.payment_terms, 0))
    if due < issue:
        errors.add("dueDate", "cannot be before the issue date", InvoicingCode.INVALID_DATE)
    totals = None
    try:
        totals = compute(data, business, currency)
    except ValidationFailed as exc:  # report every bad field at once, without repeats
        seen = {e.field for e in errors.errors}
        errors.errors.extend(e for e in exc.errors if e.field not in seen)
    errors.raise_if_any()
    assert totals is not None
    return currency, issue, due, totals


def check_invoice(
    data: InvoiceData, customer: Customer | None, business: Business, today: date
) -> tuple[str, tax.InvoiceTotals]:
    """Every check `create_invoice` makes, without writing: the currency and totals the
    invoice would get (a recurring schedule's template is checked when it is saved)."""
    currency, _, _, totals = _prepare(data, customer, business, today)
    return currency, totals


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
    currency, issue, due, totals = _prepare(data, customer, business, local_today(tx, business))
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


def summary_with(
    tx: Tx, business: Business, customer: Customer, invoices: list[Invoice]
) -> dict[str, Any]:
    """The summary columns after adding new unpaid invoices (what summary_values would
    give from the rows): money in the business's currency only, counts and dates of all."""
    added = sum((i.total for i in invoices if i.currency == business.currency), Decimal(0))
    last = max(i.issue_date for i in invoices)
    last_at = datetime(last.year, last.month, last.day, tzinfo=UTC)
    dues = [i.due_date for i in invoices]
    if customer.oldest_open_due is not None:
        dues.append(customer.oldest_open_due)
    status = customer.payment_status
    return {
        "total_billed": quantize(customer.total_billed + added, business.currency),
        "outstanding": quantize(customer.outstanding + added, business.currency),
        "invoice_count": customer.invoice_count + len(invoices),
        "last_invoice_at": max(last_at, customer.last_invoice_at or last_at),
        "payment_status": PaymentStatus.GOOD if status == PaymentStatus.NONE else status,
        "oldest_open_due": min(dues),
        "updated_at": tx.now(),
    }


def component_json(c: Any) -> dict[str, str]:
    """A tax component as invoices and orders store it."""
    return {"name": c.name, "rate": str(c.rate), "taxable": str(c.taxable), "amount": str(c.amount)}


def line_columns(position: int, src: LineData, lt: Any) -> dict[str, Any]:
    """The columns an invoice line and an order line share: what was asked and what the
    tax engine computed for it."""
    return {
        "position": position,
        "description": src.description.strip(),
        "quantity": src.quantity,
        "unit": src.unit,
        "unit_price": src.unit_price,
        "discount_percent": src.discount_percent,
        "discount_amount": src.discount_amount,
        "tax_rate": lt.tax_rate,
        "gross": lt.gross,
        "discount": lt.discount,
        "taxable": lt.taxable,
        "tax": lt.tax,
        "total": lt.total,
        "tax_components": [component_json(c) for c in lt.components],
    }


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
