"""Provider-agnostic payment webhook: signed, idempotent on the provider's payment id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.core.codes import CoreCode
from domain.core.errors import NotFound, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.invoicing.codes import InvoicingCode
from domain.invoicing.models import PaymentMethodKind
from domain.invoicing.payments import PaymentData, record_payment
from domain.invoicing.repository import InvoiceRepository


@dataclass
class WebhookResult:
    status: str  # recorded | duplicate
    payment_id: int
    invoice_number: str


MAX_INTEGER_DIGITS = 15  # money columns are NUMERIC(18, 3)
MAX_DIGITS = 18
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SHAPE = "expected provider, paymentId, invoiceToken, amount, currency"


def _text(body: dict[str, Any], key: str, limit: int, default: str | None = None) -> str:
    """A short printable string (ids may come as JSON integers); control characters such
    as NUL cannot be stored in PostgreSQL text and are never part of a real id."""
    value = body.get(key, default)
    if value is None:
        raise ValidationFailed.one(key, f"is required ({SHAPE})", InvoicingCode.BAD_PAYLOAD)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationFailed.one(key, "must be a string", InvoicingCode.BAD_PAYLOAD)
    text = str(value)
    if not text or len(text) > limit or _CONTROL.search(text):
        raise ValidationFailed.one(
            key, f"must be 1-{limit} printable characters", InvoicingCode.BAD_PAYLOAD
        )
    return text


def _amount(value: Any) -> Decimal:
    """A finite, positive decimal that fits a money column; JSON numbers and strings."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValidationFailed.one("amount", "must be a decimal number", InvoicingCode.BAD_PAYLOAD)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed.one(
            "amount", "must be a decimal number", InvoicingCode.BAD_PAYLOAD
        ) from None
    if not amount.is_finite():
        raise ValidationFailed.one("amount", "must be a finite number", InvoicingCode.BAD_PAYLOAD)
    if amount <= 0:
        raise ValidationFailed.one(
            "amount", "must be greater than zero", InvoicingCode.NOT_POSITIVE
        )
    digits = amount.as_tuple().digits
    if amount.adjusted() >= MAX_INTEGER_DIGITS or len(digits) > MAX_DIGITS:
        raise ValidationFailed.one(
            "amount", f"must have at most {MAX_INTEGER_DIGITS} integer digits", CoreCode.TOO_LARGE
        )
    return amount


def parse(body: dict[str, Any]) -> tuple[str, str, str, Decimal, str, str, datetime | None]:
    """Every field checked before anything is looked up: a signed body with impossible
    values is the provider's mistake (400), never a server error it would retry."""
    provider = _text(body, "provider", 40)
    payment_id = _text(body, "paymentId", 120)
    token = _text(body, "invoiceToken", 200)
    if "amount" not in body:
        raise ValidationFailed.one("amount", f"is required ({SHAPE})", InvoicingCode.BAD_PAYLOAD)
    amount = _amount(body["amount"])
    currency = _text(body, "currency", 3).upper()
    method = _text(body, "method", 40, default="other") if body.get("method") else "other"
    received = body.get("receivedAt")
    received_at = None
    if received:
        try:
            received_at = datetime.fromisoformat(_text(body, "receivedAt", 40))
        except ValueError:
            raise ValidationFailed.one(
                "receivedAt", "must be an ISO 8601 time", InvoicingCode.BAD_PAYLOAD
            ) from None
    if method not in {m.value for m in PaymentMethodKind} or method == PaymentMethodKind.CREDIT:
        method = PaymentMethodKind.OTHER
    if received_at is not None and received_at.tzinfo is None:
        raise ValidationFailed.one("receivedAt", "needs a time zone", InvoicingCode.BAD_PAYLOAD)
    return provider, payment_id, token, amount, currency, method, received_at


async def handle_payment(tx: Tx, body: dict[str, Any]) -> WebhookResult:
    """Money that arrived is never refused: an overpayment becomes customer credit."""
    provider, payment_id, token, amount, currency, method, received_at = parse(body)
    invoice = await InvoiceRepository(tx.session, tx.viewer).by_payment_token(token)
    if invoice is None:
        raise NotFound("invoice")
    if currency != invoice.currency:
        raise ValidationFailed.one(
            "currency", f"invoice is in {invoice.currency}", InvoicingCode.CURRENCY_MISMATCH
        )
    tx.viewer = Viewer.system_actor(
        f"webhook:{provider}",
        business_id=invoice.business_id,
        ip=tx.viewer.ip,
        request_id=tx.viewer.request_id,
    )
    outcome = await record_payment(
        tx,
        PaymentData(
            invoice_id=invoice.id,
            amount=amount,
            method=method,
            idempotency_key=f"webhook:{provider}:{payment_id}",
            reference=f"{provider} {payment_id}",
            received_at=received_at,
            keep_excess_as_credit=True,
            provider=provider,
            provider_payment_id=payment_id,
        ),
    )
    return WebhookResult(
        "duplicate" if outcome.replayed else "recorded", outcome.payment.id, invoice.number
    )
