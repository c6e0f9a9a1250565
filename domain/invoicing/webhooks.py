"""Provider-agnostic payment webhook: signed, idempotent on the provider's payment id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.core.errors import NotFound, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.invoicing.models import PaymentMethodKind
from domain.invoicing.payments import PaymentData, record_payment
from domain.invoicing.repository import InvoiceRepository


@dataclass
class WebhookResult:
    status: str  # recorded | duplicate
    payment_id: int
    invoice_number: str


def parse(body: dict[str, Any]) -> tuple[str, str, str, Decimal, str, str, datetime | None]:
    try:
        provider = str(body["provider"])[:40]
        payment_id = str(body["paymentId"])[:120]
        token = str(body["invoiceToken"])
        amount = Decimal(str(body["amount"]))
        currency = str(body["currency"]).upper()
        method = str(body.get("method") or "other")
        received = body.get("receivedAt")
        received_at = datetime.fromisoformat(received) if received else None
    except (KeyError, InvalidOperation, ValueError, TypeError):
        raise ValidationFailed.one(
            "body", "expected provider, paymentId, invoiceToken, amount, currency", "BAD_PAYLOAD"
        ) from None
    if method not in {m.value for m in PaymentMethodKind} or method == PaymentMethodKind.CREDIT:
        method = PaymentMethodKind.OTHER
    if received_at is not None and received_at.tzinfo is None:
        raise ValidationFailed.one("receivedAt", "needs a time zone", "BAD_PAYLOAD")
    return provider, payment_id, token, amount, currency, method, received_at


async def handle_payment(tx: Tx, body: dict[str, Any]) -> WebhookResult:
    """Money that arrived is never refused: an overpayment becomes customer credit."""
    provider, payment_id, token, amount, currency, method, received_at = parse(body)
    invoice = await InvoiceRepository(tx.session, tx.viewer).by_payment_token(token)
    if invoice is None:
        raise NotFound("invoice")
    if currency != invoice.currency:
        raise ValidationFailed.one(
            "currency", f"invoice is in {invoice.currency}", "CURRENCY_MISMATCH"
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
