"""Inputs of the invoice draft mutations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from domain.invoicing import drafts
from domain.invoicing import templates as invoice_templates
from schema.types.common import idempotency_field


@strawberry.input
class DraftLineInput:
    description: str
    quantity: Decimal = Decimal(1)
    unit: str | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    tax_rate: Decimal | None = None

    def to_domain(self) -> drafts.DraftLineData:
        return drafts.DraftLineData(
            description=self.description,
            quantity=self.quantity,
            unit=self.unit,
            unit_price=self.unit_price,
            discount_percent=self.discount_percent,
            tax_rate=self.tax_rate,
        )


@strawberry.input
class CreateDraftInput:
    customer_id: strawberry.ID
    lines: list[DraftLineInput]
    notes: str | None = None
    discount_percent: Decimal | None = None
    prices_include_tax: bool = False
    currency: str | None = None
    idempotency_key: str | None = idempotency_field()


@strawberry.input
class UpdateDraftInput:
    id: strawberry.ID
    lines: list[DraftLineInput] | None = None
    notes: str | None = None
    discount_percent: Decimal | None = None


@strawberry.input
class SendRequestInput:
    channels: list[str] = strawberry.field(default_factory=lambda: ["sms"])
    include_pdf: bool = True
    message: str | None = None
    scheduled_at: datetime | None = None


@strawberry.input
class TemplateInput:
    name: str
    columns: list[str] = strawberry.field(default_factory=lambda: list(invoice_templates.COLUMNS))
    show_tax_breakdown: bool = True
    show_discount: bool = True
    footer_terms: str | None = None
    payment_details: JSON | None = None
    accent_color: str = "#1F6FEB"
    make_default: bool = False


@strawberry.input
class GenerateInvoiceDraftInput:
    customer_id: strawberry.ID
    prompt: str


@strawberry.input
class ReviewInvoiceDraftInput:
    id: strawberry.ID


@strawberry.input
class DiscardInvoiceDraftInput:
    id: strawberry.ID


@strawberry.input
class ConvertDraftToInvoiceInput:
    id: strawberry.ID
    send: SendRequestInput | None = None
