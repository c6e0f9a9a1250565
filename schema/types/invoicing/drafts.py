"""Draft, template and suggestion types."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from domain.core.money import money_amount
from domain.invoicing import models
from schema.relay import Node, to_global_id
from schema.types.common import Money
from schema.types.invoicing.objects import TaxComponent

DraftStatus = models.DraftStatus
strawberry.enum(DraftStatus, name="DraftStatus")


@strawberry.type
class DraftLine:
    description: str
    quantity: Decimal
    unit: str | None
    unit_price: Decimal | None
    discount_percent: Decimal | None
    tax_rate: Decimal | None


@strawberry.type
class DraftTotals:
    subtotal: Money
    discount_total: Money
    tax_total: Money
    total: Money
    taxes: list[TaxComponent]


@strawberry.type
class DraftVersion:
    version: int
    snapshot: JSON
    actor: str
    created_at: datetime


@strawberry.type
class InvoiceDraft(Node):
    status: DraftStatus
    source: str
    prompt: str | None
    confidence: float | None
    warnings: list[str]
    suggestions: list[str]
    currency: str
    lines: list[DraftLine]
    discount_percent: Decimal | None
    prices_include_tax: bool
    notes: str | None
    version: int
    customer_id: strawberry.ID
    invoice_id: strawberry.ID | None
    totals: DraftTotals | None = strawberry.field(
        description="Recomputed by our tax engine; null while a price is missing."
    )
    created_at: datetime
    updated_at: datetime


def draft_lines(raw: list[dict[str, str | None]], currency: str) -> list[DraftLine]:
    """Unit prices in the currency's minor units (``266.50``), like every amount."""

    def dec(v: str | None) -> Decimal | None:
        return Decimal(v) if v not in (None, "") else None

    def price(v: str | None) -> Decimal | None:
        value = dec(v)
        return None if value is None else money_amount(value, currency)

    return [
        DraftLine(
            description=str(r["description"]),
            quantity=dec(r.get("quantity")) or Decimal(1),
            unit=r.get("unit"),
            unit_price=price(r.get("unit_price")),
            discount_percent=dec(r.get("discount_percent")),
            tax_rate=dec(r.get("tax_rate")),
        )
        for r in raw
    ]


def draft_view(d: models.InvoiceDraft, totals: DraftTotals | None) -> InvoiceDraft:
    return InvoiceDraft(
        id=to_global_id("InvoiceDraft", d.id),
        status=DraftStatus(d.status),
        source=d.source,
        prompt=d.prompt,
        confidence=d.confidence,
        warnings=list(d.warnings),
        suggestions=list(d.suggestions),
        currency=d.currency,
        lines=draft_lines(d.lines, d.currency),
        discount_percent=d.discount_percent,
        prices_include_tax=d.prices_include_tax,
        notes=d.notes,
        version=d.version,
        customer_id=to_global_id("Customer", d.customer_id),
        invoice_id=to_global_id("Invoice", d.invoice_id) if d.invoice_id else None,
        totals=totals,
        created_at=d.created_at,
        updated_at=d.updated_at,
    )


@strawberry.type
class InvoiceSuggestion:
    next_date: date
    cadence: str
    reasoning: str
    confidence: float
    lines: list[DraftLine]
    key: str = strawberry.field(
        description="Names this pattern: pass it to createRecurringScheduleFromSuggestion."
    )


@strawberry.type
class InvoiceTemplate(Node):
    name: str
    columns: list[str]
    show_tax_breakdown: bool
    show_discount: bool
    footer_terms: str | None
    payment_details: JSON
    accent_color: str
    is_default: bool

    @classmethod
    def from_row(cls, t: models.InvoiceTemplate) -> InvoiceTemplate:
        return cls(
            id=to_global_id("InvoiceTemplate", t.id),
            name=t.name,
            columns=list(t.columns),
            show_tax_breakdown=t.show_tax_breakdown,
            show_discount=t.show_discount,
            footer_terms=t.footer_terms,
            payment_details=t.payment_details,  # type: ignore[arg-type]
            accent_color=t.accent_color,
            is_default=t.is_default,
        )
