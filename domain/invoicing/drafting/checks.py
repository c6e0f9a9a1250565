"""What runs after any parser (rules or LLM): prices from the customer's history, the
catalogue check, currency consistency, warnings, suggestions and the confidence score."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.core.money import format_money, quantize

from .models import DraftProposal, ProposedLine, line_net
from .raw import (
    AMBIGUOUS_NUMBER,
    FUZZY_UNIT,
    IGNORED_NUMBER,
    PRICE_GUESSED,
    QTY_GUESSED,
    TOTAL_SPLIT,
    UNIT_MISMATCH,
    ParseResult,
    RawLine,
)

# confidence penalties per line (a complete, clean line scores 1.0)
PENALTY = {
    "missing_price": 0.45,
    "history_price": 0.1,
    "fuzzy_match": 0.1,
    "no_description": 0.4,
    "unknown_item": 0.15,
    QTY_GUESSED: 0.1,
    PRICE_GUESSED: 0.1,
    AMBIGUOUS_NUMBER: 0.1,
    FUZZY_UNIT: 0.1,
    IGNORED_NUMBER: 0.15,
    TOTAL_SPLIT: 0.05,
    UNIT_MISMATCH: 0.15,
}
UNPARSED_PENALTY = 0.15
FOREIGN_CURRENCY_PENALTY = 0.1

_STOP = {"of", "for", "the", "a", "an", "and", "ya", "ka", "ki", "ke", "service", "services"}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()


def _tokens(text: str) -> set[str]:
    out = set()
    for tok in _norm(text).split():
        if tok in _STOP or tok.isdigit() or re.fullmatch(r"\d+\w{0,3}", tok):
            continue
        if len(tok) > 3 and tok.endswith("es") and not tok.endswith("ses"):
            tok = tok[:-2] if tok[-3] in "sxz" or tok.endswith("oes") else tok[:-1]
        elif len(tok) > 3 and tok.endswith("s") and not tok.endswith("ss"):
            tok = tok[:-1]
        out.add(tok)
    return out


@dataclass(frozen=True)
class ItemMatch:
    name: str
    fuzzy: bool


def match_item(description: str, names: Sequence[str]) -> ItemMatch | None:
    """Case-insensitive exact match, then word containment either way, then difflib on
    the whole name and on single words (typos such as 'feritlizer')."""
    if not description.strip() or not names:
        return None
    norm = _norm(description)
    by_norm = {_norm(n): n for n in names}
    if norm in by_norm:
        return ItemMatch(by_norm[norm], False)
    words = _tokens(description)
    if words:
        contained: list[tuple[int, int, str]] = []
        for name in names:
            other = _tokens(name)
            if other and (other <= words or words <= other):
                contained.append((-len(words & other), len(other), name))
        if contained:
            return ItemMatch(min(contained)[2], False)
    close = difflib.get_close_matches(norm, list(by_norm), n=1, cutoff=0.82)
    if close:
        return ItemMatch(by_norm[close[0]], True)
    scored: list[tuple[float, str]] = []
    for name in names:
        other = _tokens(name)
        if not other:
            continue
        hits = 0
        best = 0.0
        for w in words:
            if len(w) < 4:
                continue
            ratios = [difflib.SequenceMatcher(None, w, o).ratio() for o in other]
            r = max(ratios, default=0.0)
            if r >= 0.8:
                hits += 1
                best = max(best, r)
        # every word of the shorter side must match something
        if hits and hits >= min(len(other), len([w for w in words if len(w) >= 4])):
            scored.append((best, name))
    if scored:
        return ItemMatch(max(scored)[1], True)
    return None


def _fmt(amount: Decimal) -> str:
    return format(amount.normalize(), "f") if amount == amount.to_integral() else f"{amount}"


def finalize(
    parsed: ParseResult,
    *,
    currency: str,
    history: Mapping[str, Decimal] | None,
    known_items: Sequence[str],
    source: str = "rules",
) -> DraftProposal:
    history = history or {}
    history_names = list(history)
    catalogue = [*known_items, *history_names]
    warnings = list(parsed.warnings)
    suggestions = list(parsed.suggestions)
    lines: list[ProposedLine] = []
    scores: list[float] = []

    explicit = Counter(line.currency for line in parsed.lines if line.unit_price is not None)
    invoice_currency = currency
    if explicit and len(explicit) == 1:
        only = next(iter(explicit))
        if only != currency and all(
            line.unit_price is not None or line.currency == only for line in parsed.lines
        ):
            invoice_currency = only
            suggestions.append(f"invoice currency set to {only} as written in the prompt")

    for raw in parsed.lines:
        score = 1.0
        label = raw.description or raw.segment or "item"
        line = _to_line(raw, invoice_currency)
        if not raw.description:
            score -= PENALTY["no_description"]
            warnings.append(f"no description for the item in '{raw.segment}'")
        for flag in raw.flags:
            score -= PENALTY.get(flag, 0.0)
        suggestions.extend(f"{label}: {note}" for note in raw.notes)
        warnings.extend(f"{label}: {warning}" for warning in raw.warnings)
        if QTY_GUESSED in raw.flags:
            suggestions.append(f"quantity not stated for '{label}'; assumed {_fmt(line.quantity)}")

        match = match_item(raw.description, catalogue) if raw.description else None
        if line.unit_price is None:
            hist = match_item(raw.description, history_names) if raw.description else None
            if hist is not None and line.currency == currency:
                line.unit_price = Decimal(history[hist.name])
                line.price_source = "history"
                score -= PENALTY["history_price"]
                suggestions.append(
                    f"price for '{label}' taken from this customer's history "
                    f"('{hist.name}' at {format_money(line.unit_price, line.currency)} "
                    f"{line.currency})"
                )
                match = hist
            else:
                score -= PENALTY["missing_price"]
                warnings.append(f"missing price for '{label}'")
        if catalogue and raw.description:
            if match is None:
                score -= PENALTY["unknown_item"]
                warnings.append(f"unknown item '{label}': not in the catalogue or past invoices")
            elif match.fuzzy:
                score -= PENALTY["fuzzy_match"]
                suggestions.append(f"did you mean '{match.name}' for '{label}'?")
        if line.quantity <= 0:
            warnings.append(f"quantity for '{label}' is not positive")
            score -= 0.3
        if line.currency != invoice_currency:
            warnings.append(
                f"'{label}' is priced in {line.currency} but the invoice is in {invoice_currency}"
            )
            score -= FOREIGN_CURRENCY_PENALTY
        if line.discount_percent is not None and not (0 <= line.discount_percent <= 100):
            warnings.append(f"discount for '{label}' is outside 0-100 %")
            score -= 0.3
        lines.append(line)
        scores.append(max(score, 0.0))

    for text in parsed.unparsed:
        warnings.append(f"could not understand '{text}'")
    if not lines:
        warnings.append("no invoice lines found in the prompt")
    confidence = sum(scores) / len(scores) if scores else 0.0
    confidence -= UNPARSED_PENALTY * len(parsed.unparsed)
    confidence = round(min(max(confidence, 0.0), 1.0), 2)
    if lines and all(line.unit_price is not None for line in lines) and not warnings:
        suggestions.append("review the draft, then convert it to an invoice")
    return DraftProposal(
        lines=lines,
        invoice_discount_percent=parsed.invoice_discount_percent,
        currency=invoice_currency,
        confidence=confidence,
        warnings=warnings,
        suggestions=suggestions,
        source="llm" if source == "llm" else "rules",
    )


def _to_line(raw: RawLine, invoice_currency: str) -> ProposedLine:
    currency = raw.currency if raw.unit_price is not None else invoice_currency
    return ProposedLine(
        description=raw.description,
        quantity=raw.quantity,
        unit=raw.unit,
        unit_price=raw.unit_price,
        currency=currency,
        discount_percent=raw.discount_percent,
        price_source="prompt" if raw.unit_price is not None else None,
    )


def check_against_history(
    lines: Sequence[ProposedLine],
    usual_total: Decimal | None,
    *,
    factor: Decimal = Decimal(3),
) -> list[str]:
    """Warn when the draft's amount is more than `factor` times above or below this
    customer's usual invoice total. Lines without a price are left out of the sum."""
    if usual_total is None or usual_total <= 0:
        return []
    priced = [line for line in lines if line.unit_price is not None]
    if not priced:
        return []
    currency = priced[0].currency
    total = sum((line_net(line) for line in priced), Decimal(0))
    shown = format_money(quantize(total, currency), currency)
    usual = format_money(quantize(usual_total, currency), currency)
    warnings: list[str] = []
    if total > usual_total * factor:
        ratio = (total / usual_total).quantize(Decimal("0.1"))
        warnings.append(
            f"amount {shown} {currency} is {ratio}\u00d7 this customer's usual {usual} {currency}"
        )
    elif total * factor < usual_total:
        detail = f"1/{(usual_total / total).quantize(Decimal('0.1'))} of" if total else "far below"
        warnings.append(
            f"amount {shown} {currency} is {detail} this customer's usual {usual} {currency}"
        )
    if warnings and len(priced) < len(lines):
        warnings.append("some lines have no price yet; the amount will change")
    return warnings
