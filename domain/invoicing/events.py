"""Topics of invoicing's outbox events (the event stream, notifications). Payloads are
`service.invoice_payload`: raw ids in camelCase, money as plain digits, plus what the
event says (`amount`, `method` for payments; `creditNoteId`, `amount` for credit notes;
`previousStatus`, `reason` for a void)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.core import snapshots

if TYPE_CHECKING:
    from domain.invoicing.models import Invoice

ISSUED = "invoice.issued"
SENT = "invoice.sent"
PAYMENT_RECEIVED = "invoice.payment_received"
PAYMENT_REVERSED = "invoice.payment_reversed"
PAID = "invoice.paid"
OVERDUE = "invoice.overdue"
VOIDED = "invoice.voided"
CREDIT_NOTE_ISSUED = "invoice.credit_note_issued"
STATUS_CHANGED = "invoice.status_changed"
SEND_REQUESTED = "invoice.send_requested"

# What `schema.types.invoicing.objects.Invoice` reads of a row: the snapshot a stream
# event carries (domain/core/snapshots.py). No customer contact data.
INVOICE_COLUMNS = (
    "id",
    "business_id",
    "customer_id",
    "order_id",
    "number",
    "status",
    "currency",
    "issue_date",
    "due_date",
    "prices_include_tax",
    "place_of_supply",
    "subtotal",
    "discount_total",
    "tax_total",
    "total",
    "amount_paid",
    "amount_credited",
    "balance",
    "tax_components",
    "notes",
    "terms",
    "void_reason",
    "sent_at",
    "paid_at",
    "created_at",
    "payment_token",
)


def snapshot(invoice: Invoice) -> dict[str, Any]:
    """The invoice as a stream event carries it."""
    return {"invoice": snapshots.of(invoice, INVOICE_COLUMNS)}
