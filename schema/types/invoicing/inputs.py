"""Inputs of the invoicing context's mutations and lists."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry

from schema.types.common import SortDirection, idempotency_field
from schema.types.invoicing.objects import (
    InvoiceStatus,
    PaymentMethodKind,
)


@strawberry.enum
class InvoiceSortField(Enum):
    ISSUE_DATE = "issue_date"
    DUE_DATE = "due_date"
    TOTAL = "total"
    BALANCE = "balance"
    CREATED = "id"


@strawberry.input
class InvoiceLineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    tax_rate: Decimal | None = strawberry.field(
        default=None, description="Percent; default from the country."
    )


@strawberry.input
class CreateInvoiceInput:
    customer_id: strawberry.ID
    lines: list[InvoiceLineInput]
    currency: str | None = None
    issue_date: date | None = None
    due_date: date | None = strawberry.field(
        default=None, description="Default: from the customer's payment terms."
    )
    prices_include_tax: bool = False
    place_of_supply: str | None = strawberry.field(
        default=None, description="India: buyer's GST state code (e.g. 27)."
    )
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    notes: str | None = None
    terms: str | None = None
    idempotency_key: str | None = idempotency_field()


@strawberry.input
class RecordPaymentInput:
    invoice_id: strawberry.ID
    amount: Decimal
    method: PaymentMethodKind
    idempotency_key: str = strawberry.field(description="Same key replays the first result.")
    reference: str | None = None
    received_at: datetime | None = None
    keep_excess_as_credit: bool = False


@strawberry.input
class SendInvoiceInput:
    invoice_id: strawberry.ID
    channels: list[str] = strawberry.field(default_factory=lambda: ["sms"])
    include_pdf: bool = True
    message: str | None = None
    scheduled_at: datetime | None = strawberry.field(
        default=None,
        description="Send at this time instead of now (cancellable until it starts).",
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="The same key replays the first send instead of sending again."
    )


@strawberry.input
class InvoiceFilterInput:
    status: list[InvoiceStatus] | None = None
    overdue: bool | None = None
    customer_id: strawberry.ID | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    total_min: Decimal | None = None
    total_max: Decimal | None = None
    number: str | None = None
    currency: str | None = strawberry.field(
        default=None, description="Only invoices in this ISO 4217 currency."
    )


@strawberry.input
class InvoiceSortInput:
    field: InvoiceSortField = InvoiceSortField.ISSUE_DATE
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class ApplyCustomerCreditInput:
    invoice_id: strawberry.ID
    idempotency_key: str


@strawberry.input
class ReversePaymentInput:
    id: strawberry.ID
    reason: str


@strawberry.input
class IssueCreditNoteInput:
    invoice_id: strawberry.ID
    reason: str
    amount: Decimal | None = None


@strawberry.input
class VoidInvoiceInput:
    id: strawberry.ID
    reason: str
