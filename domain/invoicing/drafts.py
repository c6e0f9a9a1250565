"""Drafts (manual or generated from a prompt), their version history, recurring-invoice
suggestions, templates, and conversion into a real invoice plus a send request."""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.core import outbox
from domain.core.errors import Conflict, ErrorCollector, NotFound, ValidationFailed
from domain.core.money import plain
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers.models import Customer
from domain.customers.repository import CustomerRepository
from domain.invoicing import tax
from domain.invoicing.draft_repository import DraftRepository
from domain.invoicing.models import (
    DraftStatus,
    Invoice,
    InvoiceDraft,
    InvoiceDraftVersion,
    InvoiceLine,
    InvoiceTemplate,
)
from domain.invoicing.repository import InvoiceRepository
from domain.invoicing.service import (
    InvoiceData,
    LineData,
    business_region,
    channel_for,
    create_invoice,
    invoice_payload,
    load_business,
    request_send,
)

MAX_PROMPT = 2000
COLUMNS = ("description", "quantity", "unit", "unit_price", "discount", "tax", "total")


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
class Suggestion:
    lines: list[DraftLineData]
    next_date: date
    cadence: str
    reasoning: str
    confidence: float


@dataclass
class DraftTotals:
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    components: list[tax.TaxComponent] = field(default_factory=list)


async def _customer(tx: Tx, customer_id: int) -> Customer:
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
        errors.add("lines", "at most 200 lines", "TOO_MANY")
    for i, line in enumerate(lines):
        if not line.description.strip():
            errors.add(f"lines.{i}.description", "is required", "REQUIRED")
        if line.quantity <= 0:
            errors.add(f"lines.{i}.quantity", "must be greater than zero", "NOT_POSITIVE")
        if line.unit_price is not None and line.unit_price < 0:
            errors.add(f"lines.{i}.unitPrice", "must not be negative", "NEGATIVE")


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
    await _customer(tx, customer_id)
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


async def _history(
    tx: Tx, customer_id: int
) -> tuple[dict[str, Decimal], Decimal | None, list[Invoice]]:
    repo = InvoiceRepository(tx.session, tx.viewer)
    invoices = list(await repo.history(customer_id, limit=500))
    prices: dict[str, Decimal] = {}
    if invoices:
        lines = await repo.lines_as_written([i.id for i in invoices])
        for line in lines:  # later lines overwrite: the last price wins
            prices[line.description.strip().lower()] = plain(line.unit_price)
    usual = (sum((i.total for i in invoices), Decimal(0)) / len(invoices)) if invoices else None
    return prices, usual, invoices


async def generate_draft(tx: Tx, customer_id: int, prompt: str, parser: Any = None) -> InvoiceDraft:
    """Parse a plain-language prompt (offline rules, or an LLM when configured); our code
    recomputes every total and runs the same checks whatever parsed it."""
    from domain.invoicing.drafting import check_against_history, parse_prompt

    tx.viewer.require_business(Scope.INVOICES_WRITE)
    text = (prompt or "").strip()
    if not text:
        raise ValidationFailed.one("prompt", "describe the invoice", "REQUIRED")
    if len(text) > MAX_PROMPT:
        raise ValidationFailed.one("prompt", f"at most {MAX_PROMPT} characters", "TOO_LONG")
    await _customer(tx, customer_id)
    business = await load_business(tx)
    prices, usual, _ = await _history(tx, customer_id)
    if parser is not None:  # same history fill and checks as the offline engine
        bound = parser.bind(history=prices, known_items=list(prices))
        proposal = await bound.parse(text, business.currency)
    else:
        proposal = parse_prompt(
            text, currency=business.currency, history=prices, known_items=list(prices)
        )
    warnings = list(proposal.warnings)
    lines = [
        DraftLineData(
            description=pl.description,
            quantity=pl.quantity,
            unit=pl.unit,
            unit_price=pl.unit_price,
            discount_percent=pl.discount_percent,
        )
        for pl in proposal.lines
    ]
    foreign = {pl.currency for pl in proposal.lines if pl.currency != business.currency}
    currency = (
        foreign.pop()
        if len(foreign) == 1 and len({pl.currency for pl in proposal.lines}) == 1
        else business.currency
    )
    if not lines:
        warnings.append("no invoice lines recognised; add them by hand")
    draft = await create_draft(
        tx,
        customer_id=customer_id,
        lines=lines,
        discount_percent=proposal.invoice_discount_percent,
        currency=currency,
        source="generated",
        prompt=text,
        confidence=round(float(proposal.confidence), 3),
        warnings=warnings,
        suggestions=list(proposal.suggestions),
    )
    totals = await draft_totals(tx, draft)
    if totals is not None:
        draft.warnings = [*draft.warnings, *check_against_history(proposal.lines, usual)]
    return draft


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
            errors.add(f"lines.{i}.unitPrice", "set a price before converting", "REQUIRED")
    if send is not None:
        if not send.channels or not set(send.channels) <= {"sms", "email"}:
            errors.add("send.channels", "choose sms and/or email", "INVALID_CHOICE")
        if send.message and len(send.message) > 500:
            errors.add("send.message", "must be at most 500 characters", "TOO_LONG")
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
        customer = await _customer(tx, invoice.customer_id)
        request_send(tx, invoice, sorted(set(send.channels)), send.scheduled_at)
        event = outbox.emit(
            tx,
            "invoice.send_requested",
            invoice_payload(
                invoice,
                customer,
                channels=sorted(set(send.channels)),
                includePdf=send.include_pdf,
                message=send.message,
                scheduledAt=send.scheduled_at.isoformat() if send.scheduled_at else None,
                paymentLink=f"{public_url}/pay/{invoice.payment_token}",
            ),
            channels=[channel_for(invoice.business_id)],
        )
        request_id = event.id
    return invoice, request_id


async def suggest_invoices(tx: Tx, customer_id: int) -> list[Suggestion]:
    """Recurring items (monthly, weekly…) in past invoices -> the next invoice, explained."""
    tx.viewer.require_business(Scope.INVOICES_READ)
    await _customer(tx, customer_id)
    _, _, invoices = await _history(tx, customer_id)
    if len(invoices) < 3:
        return []
    by_id = {i.id: i for i in invoices}
    lines = await InvoiceRepository(tx.session, tx.viewer).lines_as_written(list(by_id))
    seen: dict[str, list[tuple[date, InvoiceLine]]] = defaultdict(list)
    for line in lines:
        seen[line.description.strip().lower()].append((by_id[line.invoice_id].issue_date, line))
    groups: dict[tuple[str, int], list[tuple[str, InvoiceLine, date]]] = defaultdict(list)
    for key, occurrences in seen.items():
        dates = sorted({d for d, _ in occurrences})
        if len(dates) < 3:
            continue
        gaps = [(b - a).days for a, b in itertools.pairwise(dates)]
        median = statistics.median(gaps)
        spread = max(abs(g - median) for g in gaps)
        cadence = next(
            (
                name
                for name, days, tol in (
                    ("weekly", 7, 2),
                    ("fortnightly", 14, 3),
                    ("monthly", 30, 4),
                    ("quarterly", 91, 10),
                )
                if abs(median - days) <= tol and spread <= tol * 2
            ),
            None,
        )
        if cadence is None:
            continue
        last = max(occurrences, key=lambda o: (o[0], o[1].id))
        groups[(cadence, round(median))].append(
            (key, last[1], dates[-1] + timedelta(days=round(median)))
        )
    suggestions = []
    for (cadence, days), items in groups.items():
        next_date = max(d for _, _, d in items)
        lines_out = [
            DraftLineData(
                description=line.description,
                quantity=plain(line.quantity),
                unit=line.unit,
                unit_price=plain(line.unit_price),
                tax_rate=plain(line.tax_rate),
            )
            for _, line, _ in items
        ]
        names = ", ".join(line.description for _, line, _ in items)
        suggestions.append(
            Suggestion(
                lines=lines_out,
                next_date=next_date,
                cadence=cadence,
                reasoning=f"{names} billed {cadence} (about every {days} days) on "
                f"{len(seen[items[0][0]])} invoices; the next is due around "
                f"{next_date.isoformat()} at the last prices.",
                confidence=min(0.95, 0.5 + 0.1 * len(seen[items[0][0]])),
            )
        )
    suggestions.sort(key=lambda s: s.next_date)
    return suggestions


async def create_template(
    tx: Tx,
    *,
    name: str,
    columns: list[str],
    show_tax_breakdown: bool,
    show_discount: bool,
    footer_terms: str | None,
    payment_details: dict[str, str],
    accent_color: str,
    make_default: bool,
) -> InvoiceTemplate:
    from domain.core.viewer import Role

    business_id = tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    errors = ErrorCollector()
    if not name.strip() or len(name) > 100:
        errors.add("name", "is required (at most 100 characters)", "REQUIRED")
    bad = [c for c in columns if c not in COLUMNS]
    if bad or "description" not in columns:
        errors.add(
            "columns",
            f"choose from {', '.join(COLUMNS)}; description is required",
            "INVALID_CHOICE",
        )
    if not (
        len(accent_color) == 7
        and accent_color.startswith("#")
        and all(ch in "0123456789abcdefABCDEF" for ch in accent_color[1:])
    ):
        errors.add("accentColor", "must be #RRGGBB", "INVALID")
    allowed = {
        "bank_name",
        "account_name",
        "account_number",
        "ifsc_or_branch",
        "mpesa_paybill",
        "mpesa_account",
        "upi_id",
    }
    if set(payment_details) - allowed:
        errors.add("paymentDetails", f"keys: {', '.join(sorted(allowed))}", "INVALID")
    errors.raise_if_any()
    repo = DraftRepository(tx.session, tx.viewer)
    existing = list(await repo.templates())
    make_default = make_default or not existing
    if make_default:
        for other in existing:
            other.is_default = False
        await tx.session.flush()
    template = InvoiceTemplate(
        business_id=business_id,
        name=name.strip(),
        columns=list(columns),
        show_tax_breakdown=show_tax_breakdown,
        show_discount=show_discount,
        footer_terms=footer_terms,
        payment_details=payment_details,
        accent_color=accent_color,
        is_default=make_default,
        created_at=tx.now(),
    )
    await repo.add(template)
    return template


async def get_template(tx: Tx, template_id: int) -> InvoiceTemplate:
    tx.viewer.require_business(Scope.INVOICES_READ)
    template = await DraftRepository(tx.session, tx.viewer).template(template_id)
    if template is None:
        raise NotFound("template", template_id)
    return template


async def templates(tx: Tx) -> list[InvoiceTemplate]:
    tx.viewer.require_business(Scope.INVOICES_READ)
    return list(await DraftRepository(tx.session, tx.viewer).templates())
