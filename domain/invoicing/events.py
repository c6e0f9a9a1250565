"""Topics of invoicing's outbox events (the event stream, notifications). Payloads are
`service.invoice_payload`: raw ids in camelCase, money as plain digits, plus what the
event says (`amount`, `method` for payments; `creditNoteId`, `amount` for credit notes;
`previousStatus`, `reason` for a void)."""

from __future__ import annotations

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
