"""Drafts written from a plain-language prompt, and recurring-invoice suggestions from a
customer's past invoices."""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.core.codes import CoreCode
from domain.core.errors import ValidationFailed
from domain.core.money import plain
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.invoicing.drafts import (
    MAX_PROMPT,
    DraftLineData,
    create_draft,
    draft_customer,
    draft_totals,
)
from domain.invoicing.models import (
    Invoice,
    InvoiceDraft,
    InvoiceLine,
)
from domain.invoicing.repository import InvoiceRepository
from domain.invoicing.service import (
    load_business,
)


@dataclass
class Suggestion:
    lines: list[DraftLineData]
    next_date: date
    cadence: str
    reasoning: str
    confidence: float
    key: str = ""  # names the pattern (cadence and days) for createRecurringScheduleFromSuggestion


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
        raise ValidationFailed.one("prompt", "describe the invoice", CoreCode.REQUIRED)
    if len(text) > MAX_PROMPT:
        raise ValidationFailed.one("prompt", f"at most {MAX_PROMPT} characters", CoreCode.TOO_LONG)
    await draft_customer(tx, customer_id)
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


async def suggest_invoices(tx: Tx, customer_id: int) -> list[Suggestion]:
    """Recurring items (monthly, weekly…) in past invoices -> the next invoice, explained."""
    tx.viewer.require_business(Scope.INVOICES_READ)
    await draft_customer(tx, customer_id)
    _, _, invoices = await _history(tx, customer_id)
    if len(invoices) < 3:
        return []
    by_id = {i.id: i for i in invoices}
    lines = await InvoiceRepository(tx.session, tx.viewer).lines_as_written(list(by_id))
    seen: dict[str, list[tuple[date, InvoiceLine]]] = defaultdict(list)
    for line in lines:
        seen[line.description.strip().lower()].append((by_id[line.invoice_id].issue_date, line))
    suggestions = [
        _suggestion(cadence, days, items, len(seen[items[0][0]]))
        for (cadence, days), items in _recurring(seen).items()
    ]
    suggestions.sort(key=lambda s: s.next_date)
    return suggestions


# (cadence, its days, tolerance in days)
CADENCES = (("weekly", 7, 2), ("fortnightly", 14, 3), ("monthly", 30, 4), ("quarterly", 91, 10))


def _recurring(
    seen: dict[str, list[tuple[date, InvoiceLine]]],
) -> dict[tuple[str, int], list[tuple[str, InvoiceLine, date]]]:
    """Items billed on 3+ dates at a steady cadence, grouped by (cadence, median gap): each
    with its last line and when it is next due."""
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
                for name, days, tol in CADENCES
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
    return groups


def _suggestion(
    cadence: str, days: int, items: list[tuple[str, InvoiceLine, date]], times: int
) -> Suggestion:
    """The next invoice of one group, at the last prices; `times`: how many invoices the
    group's first item was on."""
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
    return Suggestion(
        lines=lines_out,
        next_date=next_date,
        cadence=cadence,
        reasoning=f"{names} billed {cadence} (about every {days} days) on "
        f"{times} invoices; the next is due around "
        f"{next_date.isoformat()} at the last prices.",
        confidence=min(0.95, 0.5 + 0.1 * times),
        key=f"{cadence}:{days}",
    )
