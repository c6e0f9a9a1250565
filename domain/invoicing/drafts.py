"""Drafts (manual or generated from a prompt: `draft_generation`), their version history,
and conversion into a real invoice plus a send request. Templates are in `templates`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.core.codes import CoreCode
from domain.core.errors import Conflict, ErrorCollector, NotFound, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers.models import Customer
from domain.customers.repository import CustomerRepository
from domain.invoicing import sending, tax
from domain.invoicing.codes import InvoicingCode
from domain.invoicing.draft_repository import DraftRepository
from domain.invoicing.models import (
    DraftStatus,
    Invoice,
    InvoiceDraft,
    InvoiceDraftVersion,
)
from domain.invoicing.service import (
    InvoiceData,
    LineData,
    business_region,
    create_invoice,
    load_business,
)

MAX_PROMPT = 2000


@dataclass
class DraftLineData:
    description: str
    quantity: Decimal = Decimal(1)
    unit: str | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    tax_rate: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> DraftLineData:
        dec = lambda k: Decimal(raw[k]) if raw.get(k) not in (None, "") else None  # noqa: E731
        return cls(
            description=raw["description"],
            quantity=dec("quantity") or Decimal(1),
            unit=raw.get("unit"),
            unit_price=dec("unit_price"),
            discount_percent=dec("discount_percent"),
            tax_rate=dec("tax_rate"),
        )


@dataclass
class SendRequest:
    channels: list[str]
    include_pdf: bool = True
    message: str | None = None
    scheduled_at: datetime | None = None


@dataclass
class DraftTotals:
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    components: list[tax.TaxComponent] = field(default_factory=list)


async def draft_customer(tx: Tx, customer_id: int) -> Customer:
    customer = await CustomerRepository(tx.session, tx.viewer).get(customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    return customer


async def get_draft(tx: Tx, draft_id: int) -> InvoiceDraft:
    tx.viewer.require_business(Scope.INVOICES_READ)
    draft = await DraftRepository(tx.session, tx.viewer).draft(draft_id)
    if draft is None:
        raise NotFound("draft", draft_id)
    return draft


def _check_lines(lines: list[DraftLineData], errors: ErrorCollector) -> None:
    if len(lines) > 200:
        errors.add("lines", "at most 200 lines", CoreCode.TOO_MANY)
    for i, line in enumerate(lines):
        if not line.description.strip():
            errors.add(f"lines.{i}.description", "is required", CoreCode.REQUIRED)
        if line.quantity <= 0:
            errors.add(
                f"lines.{i}.quantity", "must be greater than zero", InvoicingCode.NOT_POSITIVE
            )
        if line.unit_price is not None and line.unit_price < 0:
            errors.add(f"lines.{i}.unitPrice", "must not be negative", CoreCode.NEGATIVE)


async def create_draft(
    tx: Tx,
    *,
    customer_id: int,
    lines: list[DraftLineData],
    notes: str | None = None,
    discount_percent: Decimal | None = None,
    prices_include_tax: bool = False,
    currency: str | None = None,
    template_id: int | None = None,
    source: str = "manual",
    prompt: str | None = None,
    confidence: float | None = None,
    warnings: list[str] | None = None,
    suggestions: list[str] | None = None,
) -> InvoiceDraft:
    business_id = tx.viewer.require_business(Scope.INVOICES_WRITE)
    await draft_customer(tx, customer_id)
    business = await load_business(tx)
    errors = ErrorCollector()
    _check_lines(lines, errors)
    errors.raise_if_any()
    draft = InvoiceDraft(
        business_id=business_id,
        customer_id=customer_id,
        status=DraftStatus.DRAFT,
        source=source,
        prompt=prompt,
        confidence=confidence,
        warnings=warnings or [],
        suggestions=suggestions or [],
        currency=(currency or business.currency).upper(),
        lines=[line.as_json() for line in lines],
        discount_percent=discount_percent,
        prices_include_tax=prices_include_tax,
        notes=notes,
        version=1,
        invoice_id=None,
        template_id=template_id,
        created_at=tx.now(),
        updated_at=tx.now(),
    )
    await DraftRepository(tx.session, tx.viewer).add(draft)
    return draft


def snapshot(draft: InvoiceDraft) -> dict[str, Any]:
    return {
        "lines": draft.lines,
        "notes": draft.notes,
        "status": draft.status,
        "discountPercent": str(draft.discount_percent)
        if draft.discount_percent is not None
        else None,
        "pricesIncludeTax": draft.prices_include_tax,
        "currency": draft.currency,
    }


async def update_draft(
    tx: Tx,
    draft_id: int,
    *,
    lines: list[DraftLineData] | None = None,
    notes: str | None = None,
    discount_percent: Decimal | None = None,
) -> InvoiceDraft:
    """Each edit keeps the previous version; editing a reviewed draft returns it to draft."""
    tx.viewer.require_business(Scope.INVOICES_WRITE)
    draft = await get_draft(tx, draft_id)
    if draft.status in (DraftStatus.CONVERTED, DraftStatus.DISCARDED):
        raise Conflict(f"draft is {draft.status}")
    errors = ErrorCollector()
    if lines is not None:
        _check_lines(lines, errors)
    errors.raise_if_any()
    await DraftRepository(tx.session, tx.viewer).add(
        InvoiceDraftVersion(
            business_id=draft.business_id,
            draft_id=draft.id,
            version=draft.version,
            snapshot=snapshot(draft),
            actor=tx.viewer.actor_label,
            created_at=tx.now(),
        )
    )
    if lines is not None:
        draft.lines = [line.as_json() for line in lines]
    if notes is not None:
        draft.notes = notes
    if discount_percent is not None:
        draft.discount_percent = discount_percent
    draft.version += 1
    draft.status = DraftStatus.DRAFT
    draft.updated_at = tx.now()
    await tx.session.flush()
    return draft


async def set_draft_status(tx: Tx, draft_id: int, status: DraftStatus) -> InvoiceDraft:
    tx.viewer.require_business(Scope.INVOICES_WRITE)
    draft = await get_draft(tx, draft_id)
    if draft.status in (DraftStatus.CONVERTED, DraftStatus.DISCARDED):
        raise Conflict(f"draft is {draft.status}")
    draft.status = status
    draft.updated_at = tx.now()
    return draft


async def draft_versions(tx: Tx, draft_id: int) -> list[InvoiceDraftVersion]:
    draft = await get_draft(tx, draft_id)
    return list(await DraftRepository(tx.session, tx.viewer).versions(draft.id))


async def draft_totals(tx: Tx, draft: InvoiceDraft) -> DraftTotals | None:
    """Always recomputed by our tax engine; None while a line still lacks a price."""
    totals = await computed_draft(tx, draft)
    if totals is None:
        return None
    return DraftTotals(
        totals.subtotal,
        totals.discount_total,
        totals.tax_total,
        totals.total,
        list(totals.components),
    )


async def computed_draft(tx: Tx, draft: InvoiceDraft) -> tax.InvoiceTotals | None:
    """The tax engine's view of a draft (per line and in total), or None while incomplete."""
    lines = [DraftLineData.from_json(raw) for raw in draft.lines]
    if not lines or any(line.unit_price is None for line in lines):
        return None
    business = await load_business(tx)
    try:
        totals = tax.compute_invoice(
            [
                tax.LineInput(
                    description=line.description,
                    quantity=line.quantity,
                    unit_price=line.unit_price or Decimal(0),
                    unit=line.unit,
                    discount_percent=line.discount_percent,
                    tax_rate=line.tax_rate,
                )
                for line in lines
            ],
            tax.TaxContext(
                country=business.country,
                currency=draft.currency,
                inclusive=draft.prices_include_tax,
                seller_region=business_region(business),
            ),
            invoice_discount_percent=draft.discount_percent,
        )
    except ValidationFailed:
        return None
    return totals


async def convert_draft(
    tx: Tx, draft_id: int, send: SendRequest | None, public_url: str
) -> tuple[Invoice, str | None]:
    draft = await get_draft(tx, draft_id)
    if draft.status in (DraftStatus.CONVERTED, DraftStatus.DISCARDED):
        raise Conflict(f"draft is {draft.status}")
    lines = [DraftLineData.from_json(raw) for raw in draft.lines]
    errors = ErrorCollector()
    for i, line in enumerate(lines):
        if line.unit_price is None:
            errors.add(f"lines.{i}.unitPrice", "set a price before converting", CoreCode.REQUIRED)
    if send is not None:
        if not send.channels or not set(send.channels) <= {"sms", "email"}:
            errors.add("send.channels", "choose sms and/or email", CoreCode.INVALID_CHOICE)
        if send.message and len(send.message) > 500:
            errors.add("send.message", "must be at most 500 characters", CoreCode.TOO_LONG)
    errors.raise_if_any()
    invoice = await create_invoice(
        tx,
        InvoiceData(
            customer_id=draft.customer_id,
            currency=draft.currency,
            lines=[
                LineData(
                    description=line.description,
                    quantity=line.quantity,
                    unit_price=line.unit_price or Decimal(0),
                    unit=line.unit,
                    discount_percent=line.discount_percent,
                    tax_rate=line.tax_rate,
                )
                for line in lines
            ],
            prices_include_tax=draft.prices_include_tax,
            discount_percent=draft.discount_percent,
            notes=draft.notes,
            template_id=draft.template_id,
            draft_id=draft.id,
            extra_event={"fromDraft": draft.id},
        ),
    )
    draft.status = DraftStatus.CONVERTED
    draft.invoice_id = invoice.id
    draft.updated_at = tx.now()
    request_id = None
    if send is not None:
        customer = await draft_customer(tx, invoice.customer_id)
        options: dict[str, object] = {"includePdf": send.include_pdf, "message": send.message}
        row = await sending.record_send(
            tx,
            invoice,
            customer,
            sorted(set(send.channels)),
            options,
            send.scheduled_at,
            public_url,
        )
        request_id = row.request_id
    return invoice, request_id
