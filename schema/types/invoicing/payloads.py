"""Payloads of the invoicing context's mutations."""

from __future__ import annotations

import strawberry

from schema.types.invoicing.objects import (
    CreditNote,
    Invoice,
    Payment,
)


@strawberry.type
class InvoicePayload:
    invoice: Invoice
    replayed: bool = strawberry.field(
        default=False, description="True when a create's idempotency key was seen before."
    )


@strawberry.type
class PaymentPayload:
    payment: Payment
    invoice: Invoice
    replayed: bool = strawberry.field(description="True when the idempotency key was seen before.")


@strawberry.type
class CreditNotePayload:
    credit_note: CreditNote
    invoice: Invoice


@strawberry.type
class SendInvoicePayload:
    invoice: Invoice
    request_id: str
