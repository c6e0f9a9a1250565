"""Payloads of the invoicing context's mutations."""

from __future__ import annotations

import strawberry

from schema.types.invoicing.objects import (
    CreditNote,
    Invoice,
    Payment,
)
from schema.types.invoicing.sends import InvoiceSend
from schema.types.notifications.reminders import InvoiceReminder


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
    send: InvoiceSend
    replayed: bool = strawberry.field(
        default=False, description="True when the idempotency key was seen before."
    )


@strawberry.type
class CancelScheduledSendPayload:
    send: InvoiceSend
    invoice: Invoice


@strawberry.type
class RemindNowPayload:
    reminder: InvoiceReminder
    invoice: Invoice
    replayed: bool = strawberry.field(
        default=False, description="True when the idempotency key was seen before."
    )
