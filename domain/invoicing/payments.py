"""Payments (idempotent, never below zero), reversals, customer credit and credit notes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import orjson

from domain.core import audit
from domain.core.codes import CoreCode
from domain.core.counters import format_number, next_value
from domain.core.errors import Conflict, ErrorCollector, NotFound, ValidationFailed
from domain.core.money import format_money, minor_units, quantize
from domain.core.tx import Tx
from domain.core.viewer import Role, Scope
from domain.customers.models import Customer
from domain.invoicing import events
from domain.invoicing.codes import InvoicingCode
from domain.invoicing.models import (
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethodKind,
    PaymentState,
)
from domain.invoicing.repository import InvoiceRepository
from domain.invoicing.service import (
    _customer,
    emit,
    get_invoice,
    load_business,
    refresh_customer_summary,
    set_status,
    timeline,
)

MAX_KEY = 120


@dataclass
class PaymentData:
    invoice_id: int
    amount: Decimal
    method: str
    idempotency_key: str
    reference: str | None = None
    received_at: datetime | None = None
    keep_excess_as_credit: bool = False
    provider: str | None = None
    provider_payment_id: str | None = None


@dataclass
class PaymentOutcome:
    payment: Payment
    invoice: Invoice
    replayed: bool


def _fingerprint(data: PaymentData) -> str:
    canonical = orjson.dumps(
        [
            data.invoice_id,
            str(data.amount.normalize()),
            data.method,
            data.reference or "",
            data.received_at.isoformat() if data.received_at else "",
            data.keep_excess_as_credit,
        ]
    )
    return hashlib.sha256(canonical).hexdigest()


def _amount(value: Decimal, currency: str, field: str, errors: ErrorCollector) -> Decimal:
    if not value.is_finite() or value <= 0:
        errors.add(field, "must be greater than zero", InvoicingCode.NOT_POSITIVE)
        return Decimal(0)
    if value != quantize(value, currency):
        errors.add(
            field,
            f"{currency} has {minor_units(currency)} decimal places",
            CoreCode.TOO_PRECISE,
        )
    return value


async def record_payment(tx: Tx, data: PaymentData) -> PaymentOutcome:
    """The invoice row is locked first, then the key is looked up: a concurrent duplicate
    waits for the first to commit and then replays it; the balance never goes negative."""
    business_id = tx.viewer.require_business(Scope.PAYMENTS_WRITE)
    errors = ErrorCollector()
    key = (data.idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY:
        errors.add("idempotencyKey", f"is required (1-{MAX_KEY} characters)", CoreCode.REQUIRED)
    try:
        PaymentMethodKind(data.method)
    except ValueError:
        errors.add("method", "is not a payment method", CoreCode.INVALID_CHOICE)
    if data.method == PaymentMethodKind.CREDIT:
        errors.add("method", "use applyCustomerCredit for customer credit", CoreCode.INVALID_CHOICE)
    if data.received_at is not None and data.received_at > tx.now() + timedelta(minutes=5):
        errors.add("receivedAt", "cannot be in the future", InvoicingCode.IN_FUTURE)
    if data.reference and len(data.reference) > 120:
        errors.add("reference", "must be at most 120 characters", CoreCode.TOO_LONG)
    errors.raise_if_any()
    invoice = await get_invoice(tx, data.invoice_id, lock=True)
    repo = InvoiceRepository(tx.session, tx.viewer)
    existing = await repo.payment_by_key(key)
    fingerprint = _fingerprint(data)
    if existing is not None:
        if existing.request_hash != fingerprint:
            raise Conflict("this idempotency key was used for a different payment")
        return PaymentOutcome(existing, invoice, replayed=True)
    _amount(data.amount, invoice.currency, "amount", errors)
    errors.raise_if_any()
    if invoice.status == InvoiceStatus.VOID:
        raise Conflict("invoice is void")
    if invoice.balance <= 0:
        raise Conflict("invoice is already paid")
    applied, excess = data.amount, Decimal(0)
    if data.amount > invoice.balance:
        if not data.keep_excess_as_credit:
            raise ValidationFailed.one(
                "amount",
                f"exceeds the balance of {format_money(invoice.balance, invoice.currency)} "
                f"{invoice.currency}; "
                "ask to keep the excess as customer credit",
                InvoicingCode.OVERPAYMENT,
            )
        if tx.viewer.role not in (Role.OWNER, Role.ADMIN) and data.provider is None:
            raise ValidationFailed.one(
                "keepExcessAsCredit",
                "only an owner or admin may keep an overpayment as credit",
                InvoicingCode.PERMISSION,
            )
        applied, excess = invoice.balance, data.amount - invoice.balance
    customer = await _customer(tx, invoice)
    payment = Payment(
        business_id=business_id,
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        amount=applied,
        excess_to_credit=excess,
        currency=invoice.currency,
        method=data.method,
        reference=(data.reference or "").strip() or None,
        received_at=data.received_at or tx.now(),
        idempotency_key=key,
        request_hash=fingerprint,
        state=PaymentState.COMPLETED,
        provider=data.provider,
        provider_payment_id=data.provider_payment_id,
        reversed_at=None,
        reverse_reason=None,
        recorded_by=tx.viewer.actor_label,
        created_at=tx.now(),
    )
    await repo.add(payment)
    invoice.amount_paid += applied
    invoice.balance -= applied
    invoice.updated_at = tx.now()
    if excess:
        home = (await load_business(tx)).currency
        customer.add_credit(invoice.currency, home, excess)
    timeline(
        tx,
        invoice,
        "payment_recorded",
        paymentId=payment.id,
        amount=format_money(applied, invoice.currency),
        method=data.method,
        excessToCredit=format_money(excess, invoice.currency),
    )
    emit(
        tx,
        events.PAYMENT_RECEIVED,
        invoice,
        customer,
        paymentId=payment.id,
        amount=format_money(applied, invoice.currency),
        method=data.method,
        excessToCredit=format_money(excess, invoice.currency),
    )
    paid_changed = set_status(tx, invoice, customer, at=payment.received_at)
    await tx.session.flush()
    await refresh_customer_summary(tx, customer, await load_business(tx), paid_changed=paid_changed)
    return PaymentOutcome(payment, invoice, replayed=False)


async def apply_customer_credit(tx: Tx, invoice_id: int, idempotency_key: str) -> PaymentOutcome:
    """Use the customer's kept credit against this invoice (as much as both allow)."""
    business_id = tx.viewer.require_business(Scope.PAYMENTS_WRITE)
    invoice = await get_invoice(tx, invoice_id, lock=True)
    repo = InvoiceRepository(tx.session, tx.viewer)
    existing = await repo.payment_by_key(idempotency_key)
    if existing is not None:
        if existing.invoice_id != invoice.id or existing.method != PaymentMethodKind.CREDIT:
            raise Conflict("this idempotency key was used for a different payment")
        return PaymentOutcome(existing, invoice, replayed=True)
    customer = await _customer(tx, invoice)
    if invoice.status == InvoiceStatus.VOID or invoice.balance <= 0:
        raise Conflict("invoice has nothing to pay")
    home = (await load_business(tx)).currency
    amount = min(customer.credit_in(invoice.currency, home), invoice.balance)
    if amount <= 0:
        raise Conflict(f"customer has no credit in {invoice.currency}")
    payment = Payment(
        business_id=business_id,
        invoice_id=invoice.id,
        customer_id=customer.id,
        amount=amount,
        excess_to_credit=Decimal(0),
        currency=invoice.currency,
        method=PaymentMethodKind.CREDIT,
        reference="customer credit",
        received_at=tx.now(),
        idempotency_key=idempotency_key,
        request_hash="credit",
        state=PaymentState.COMPLETED,
        provider=None,
        provider_payment_id=None,
        reversed_at=None,
        reverse_reason=None,
        recorded_by=tx.viewer.actor_label,
        created_at=tx.now(),
    )
    await repo.add(payment)
    customer.add_credit(invoice.currency, home, -amount)
    invoice.amount_paid += amount
    invoice.balance -= amount
    timeline(
        tx,
        invoice,
        "credit_applied",
        paymentId=payment.id,
        amount=format_money(amount, invoice.currency),
    )
    emit(
        tx,
        events.PAYMENT_RECEIVED,
        invoice,
        customer,
        paymentId=payment.id,
        amount=format_money(amount, invoice.currency),
        method=PaymentMethodKind.CREDIT,
    )
    paid_changed = set_status(tx, invoice, customer)
    await tx.session.flush()
    await refresh_customer_summary(tx, customer, await load_business(tx), paid_changed=paid_changed)
    return PaymentOutcome(payment, invoice, replayed=False)


async def reverse_payment(tx: Tx, payment_id: int, reason: str) -> PaymentOutcome:
    tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    if not reason or not reason.strip():
        raise ValidationFailed.one("reason", "say why the payment is reversed", CoreCode.REQUIRED)
    repo = InvoiceRepository(tx.session, tx.viewer)
    found = await repo.payment(payment_id)
    if found is None or found.invoice_id is None:
        raise NotFound("payment", payment_id)
    invoice = await get_invoice(tx, found.invoice_id, lock=True)
    payment = await repo.payment(payment_id, lock=True)
    assert payment is not None
    if payment.state == PaymentState.REVERSED:
        raise Conflict("payment is already reversed")
    customer = await _customer(tx, invoice)
    home = (await load_business(tx)).currency
    if payment.excess_to_credit > customer.credit_in(payment.currency, home):
        raise Conflict("the overpayment kept as credit was already used; reverse that first")
    customer.add_credit(payment.currency, home, -payment.excess_to_credit)
    if payment.method == PaymentMethodKind.CREDIT:
        customer.add_credit(payment.currency, home, payment.amount)
    payment.state = PaymentState.REVERSED
    payment.reversed_at = tx.now()
    payment.reverse_reason = reason.strip()
    invoice.amount_paid -= payment.amount
    invoice.balance += payment.amount
    invoice.updated_at = tx.now()
    timeline(
        tx,
        invoice,
        "payment_reversed",
        paymentId=payment.id,
        amount=format_money(payment.amount, payment.currency),
        reason=payment.reverse_reason,
    )
    emit(
        tx,
        events.PAYMENT_REVERSED,
        invoice,
        customer,
        paymentId=payment.id,
        amount=format_money(payment.amount, payment.currency),
    )
    paid_changed = set_status(tx, invoice, customer)
    audit.record(
        tx,
        "payment.reversed",
        target_type="payment",
        target_id=payment.id,
        data={
            "reason": payment.reverse_reason,
            "amount": format_money(payment.amount, payment.currency),
        },
    )
    await tx.session.flush()
    await refresh_customer_summary(tx, customer, await load_business(tx), paid_changed=paid_changed)
    return PaymentOutcome(payment, invoice, replayed=False)


async def issue_credit_note(
    tx: Tx, invoice_id: int, amount: Decimal | None, reason: str
) -> tuple[CreditNote, Invoice]:
    """Reduces what is owed; on a paid invoice the credited amount becomes customer credit."""
    business_id = tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    errors = ErrorCollector()
    if not reason or not reason.strip():
        errors.add("reason", "say why", CoreCode.REQUIRED)
    invoice = await get_invoice(tx, invoice_id, lock=True)
    if invoice.status == InvoiceStatus.VOID:
        raise Conflict("invoice is void")
    creditable = invoice.total - invoice.amount_credited
    value = creditable if amount is None else _amount(amount, invoice.currency, "amount", errors)
    if value > creditable:
        errors.add(
            "amount",
            f"at most {format_money(creditable, invoice.currency)} {invoice.currency} "
            "can still be credited",
            CoreCode.TOO_LARGE,
        )
    errors.raise_if_any()
    if value <= 0:
        raise Conflict("nothing left to credit on this invoice")
    customer: Customer = await _customer(tx, invoice)
    number = format_number("CN", await next_value(tx, business_id, "credit_note"))
    note = CreditNote(
        business_id=business_id,
        invoice_id=invoice.id,
        customer_id=customer.id,
        number=number,
        amount=value,
        reason=reason.strip(),
        issued_at=tx.now(),
        created_by=tx.viewer.actor_label,
    )
    await InvoiceRepository(tx.session, tx.viewer).add(note)
    to_balance = min(value, invoice.balance)
    invoice.amount_credited += value
    invoice.balance -= to_balance
    if value > to_balance:
        home = (await load_business(tx)).currency
        customer.add_credit(invoice.currency, home, value - to_balance)
    invoice.updated_at = tx.now()
    timeline(
        tx,
        invoice,
        "credit_note_issued",
        creditNoteId=note.id,
        number=number,
        amount=format_money(value, invoice.currency),
        reason=note.reason,
    )
    emit(
        tx,
        events.CREDIT_NOTE_ISSUED,
        invoice,
        customer,
        creditNoteId=note.id,
        creditNoteNumber=number,
        amount=format_money(value, invoice.currency),
    )
    paid_changed = set_status(tx, invoice, customer)
    audit.record(
        tx,
        "credit_note.issued",
        target_type="invoice",
        target_id=invoice.id,
        data={"number": number, "amount": format_money(value, invoice.currency)},
    )
    await tx.session.flush()
    await refresh_customer_summary(tx, customer, await load_business(tx), paid_changed=paid_changed)
    return note, invoice


async def get_payment(tx: Tx, payment_id: int) -> Payment:
    tx.viewer.require_business(Scope.INVOICES_READ)
    payment = await InvoiceRepository(tx.session, tx.viewer).payment(payment_id)
    if payment is None:
        raise NotFound("payment", payment_id)
    return payment


async def get_credit_note(tx: Tx, note_id: int) -> CreditNote:
    tx.viewer.require_business(Scope.INVOICES_READ)
    note = await InvoiceRepository(tx.session, tx.viewer).credit_note(note_id)
    if note is None:
        raise NotFound("credit note", note_id)
    return note
