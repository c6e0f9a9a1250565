"""Live invoice updates (`invoiceUpdates`): what happened, the invoice as queries return
it, and the cursor to resume after this event."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain.invoicing import events
from schema.types.common import Money
from schema.types.invoicing.objects import Invoice, PaymentMethodKind


@strawberry.enum(description="What happened to the invoice.")
class InvoiceUpdateKind(Enum):
    ISSUED = events.ISSUED
    SENT = events.SENT
    PAYMENT_RECEIVED = events.PAYMENT_RECEIVED
    PAYMENT_REVERSED = events.PAYMENT_REVERSED
    PAID = events.PAID
    OVERDUE = events.OVERDUE
    VOIDED = events.VOIDED
    CREDIT_NOTE_ISSUED = events.CREDIT_NOTE_ISSUED


TOPICS = {kind.value: kind for kind in InvoiceUpdateKind}


@strawberry.type(description="One change of an invoice, in the business's event stream.")
class InvoiceUpdate:
    cursor: str = strawberry.field(description="Pass as `after` to resume after this event.")
    kind: InvoiceUpdateKind
    invoice: Invoice = strawberry.field(description="The invoice now.")
    amount: Money | None = strawberry.field(
        description="The payment, reversal or credit note amount."
    )
    method: PaymentMethodKind | None = strawberry.field(description="How a payment was made.")
    balance: Money = strawberry.field(description="The invoice's balance after this event.")
