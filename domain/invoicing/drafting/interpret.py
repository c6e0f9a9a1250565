"""One item segment's tokens -> a raw line: each number gets a role (price, quantity, pack
size, discount, tax) from the words around it, then the description is what is left.

The steps run in order over the same tokens, each marking what it used: discounts and
taxes, currencies, labels ("term 2"), the price, the quantity and its unit, numbers left
over (warned about, never dropped quietly), then the line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from domain.core.money import minor_units, quantize

from .lexicon import LABEL_WORDS, MONTH_NAMES, TAX_MARKERS
from .price import price_index, use_price_context
from .quantity import (
    Candidate,
    apply_compound,
    candidates,
    choose_quantity,
    description,
    kind_at,
    money_like,
    split_packs,
)
from .raw import (
    AMBIGUOUS_NUMBER,
    FUZZY_UNIT,
    IGNORED_NUMBER,
    PRICE_GUESSED,
    QTY_GUESSED,
    TOTAL_SPLIT,
    UNIT_MISMATCH,
    RawLine,
)
from .tokens import Tok


@dataclass
class SegmentResult:
    line: RawLine | None = None
    discount: Decimal | None = None
    discount_only: bool = False
    tax_note: str | None = None
    has_number: bool = False
    has_words: bool = False


@dataclass
class _Reading:
    """What the steps have found so far in one segment."""

    toks: list[Tok]
    result: SegmentResult = field(default_factory=SegmentResult)
    flags: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # numbers left out: warnings
    price_idx: int | None = None
    per_unit: str | None = None
    is_total: bool = False


def interpret(toks: list[Tok], default_currency: str, segment_text: str) -> SegmentResult:
    r = _Reading(toks)
    _discounts_and_taxes(r)
    _bind_currencies(toks)
    _labels_as_words(toks)
    nums = [i for i, t in enumerate(toks) if t.kind == "NUM" and not t.used]
    r.result.has_number = bool(nums)
    r.result.has_words = any(t.kind == "WORD" for t in toks)

    r.price_idx = price_index(toks, nums)
    if r.price_idx is not None:
        r.per_unit, r.is_total = use_price_context(toks, r.price_idx)
    packs, cands = split_packs(toks, candidates(toks, nums), r.price_idx)
    if r.price_idx is None and cands:
        cands = _guess_price(r, cands)
    qty, leftovers, factor = choose_quantity(toks, cands, r.per_unit)
    quantity, unit = _read_quantity(r, qty)
    compound: tuple[str, str | None] | None = None  # (shown as, unit of the product)
    if qty is not None and factor is not None:
        compound = apply_compound(toks, qty, factor)
        assert factor.tok.value is not None
        product = quantity * factor.tok.value
        r.notes.append(f"quantity {compound[0]} = {format(product.normalize(), 'f')}")
        quantity, unit = product, compound[1]
    unit = _settle_unit(r, unit, packs, compound is not None)
    _drop_leftovers(r, leftovers)
    unit_price, currency = _unit_price(r, quantity, default_currency)

    text = description(toks, packs)
    if not text and compound is not None:
        text = compound[0]
    return _finish(r, qty, text, quantity, unit, unit_price, currency, segment_text)


def _discounts_and_taxes(r: _Reading) -> None:
    """Discounts and taxes: "5% off", "less 10%", "plus 18% GST", "incl. VAT"; a tax word
    without a rate or marker is part of a name ("GST filing"). An amount off ("less 500")
    is not applied."""
    toks, result = r.toks, r.result
    has_pct = any(t.kind == "PCT" for t in toks)
    for i, t in enumerate(toks):
        if t.kind == "TAX" and not has_pct and t.low not in TAX_MARKERS:
            near = {toks[j].low for j in (i - 1, i + 1) if 0 <= j < len(toks)}
            if not near & (TAX_MARKERS | {"plus", "+", "add", "with"}):
                t.kind = "WORD"
    has_tax_word = any(t.kind == "TAX" for t in toks)
    for i, t in enumerate(toks):
        if t.kind == "PCT" and kind_at(toks, i - 1) == "NUM":
            num = toks[i - 1]
            num.used = t.used = True
            if has_tax_word:
                result.tax_note = f"{num.text}%"
            else:
                result.discount = num.value
        elif t.kind in {"DISC", "TAX"}:
            t.used = True
    for i, t in enumerate(toks):  # "less 500", "discount KES 500": an amount, not a %
        if t.kind == "DISC":
            _amount_off(r, i)
    if has_tax_word and result.tax_note is None:
        result.tax_note = "tax"


def _amount_off(r: _Reading, i: int) -> None:
    toks = r.toks
    for j in (i + 1, i + 2):
        cand = toks[j] if 0 <= j < len(toks) else None
        if j == i + 2 and kind_at(toks, i + 1) != "CUR":
            continue
        if cand is not None and cand.kind == "NUM" and not cand.used:
            if kind_at(toks, j + 1) == "PCT":
                break
            cand.used = True
            r.flags.add(IGNORED_NUMBER)
            r.dropped.append(f"a discount of {cand.text} as an amount was not applied")
            break


def _bind_currencies(toks: list[Tok]) -> None:
    """A currency binds to its number: prefix first ("KES 500"), else suffix ("500 OMR")."""
    for j, t in enumerate(toks):
        if t.kind != "CUR":
            continue
        if kind_at(toks, j + 1) == "NUM" and toks[j + 1].currency is None and not toks[j + 1].used:
            target = toks[j + 1]
        elif (
            kind_at(toks, j - 1) == "NUM" and toks[j - 1].currency is None and not toks[j - 1].used
        ):
            target = toks[j - 1]
        else:
            continue
        t.used = True
        target.currency = t.code
        if t.factor != 1 and target.value is not None:
            target.value *= t.factor
        if target.parsed is not None and t.code is not None:
            target.ambiguous = target.parsed.ambiguous and minor_units(t.code) != 3


def _labels_as_words(toks: list[Tok]) -> None:
    """A number after a label is part of the name: "term 2", "plot 14", "Dec 2025"."""
    for i, t in enumerate(toks):
        if t.kind != "NUM" or t.used or t.currency is not None or i == 0:
            continue
        label = toks[i - 1].low
        is_year = label in MONTH_NAMES and re.fullmatch(r"(19|20)\d\d", t.text) is not None
        if (label in LABEL_WORDS or is_year) and kind_at(toks, i + 1) not in {
            "UNIT",
            "X",
            "PCT",
            "EACH",
            "PER",
            "PERUNIT",
        }:
            t.kind = "WORD"


def _guess_price(r: _Reading, cands: list[Candidate]) -> list[Candidate]:
    """No number said it was a price: of two or more, the last without a unit is; a lone
    number is, when it looks like money or follows the name (the quantity is then 1).
    Answers the candidates left for the quantity."""
    toks = r.toks
    if len(cands) >= 2:
        priceable = [c for c in cands if not c.unit_after and not c.tok.from_word]
        if priceable:
            p = priceable[-1]
            r.price_idx = p.idx
            p.tok.used = True
            cands.remove(p)
            if kind_at(toks, p.idx - 1) == "X":
                toks[p.idx - 1].used = True
    else:
        c = cands[0]
        words_before = any(t.kind == "WORD" for t in toks[: c.idx])
        if not c.unit and not c.tok.from_word and (money_like(c.tok) or words_before):
            r.price_idx = c.idx
            c.tok.used = True
            cands = []
            r.flags.add(QTY_GUESSED)
    price_idx = r.price_idx
    guessed = price_idx is not None and toks[price_idx].currency is None
    if guessed and price_idx is not None and not money_like(toks[price_idx]):
        r.flags.add(PRICE_GUESSED)
    return cands


def _read_quantity(r: _Reading, qty: Candidate | None) -> tuple[Decimal, str | None]:
    """The quantity's value and unit, its tokens marked; 1 (guessed) without one."""
    toks = r.toks
    if qty is None:
        r.flags.add(QTY_GUESSED)
        return Decimal(1), None
    assert qty.tok.value is not None
    unit: str | None = None
    qty.tok.used = True
    if qty.tok.ambiguous:
        r.flags.add(AMBIGUOUS_NUMBER)
    if qty.unit_after:
        toks[qty.idx + 1].used = True
        unit = qty.unit_after
        if toks[qty.idx + 1].fuzzy:
            r.flags.add(FUZZY_UNIT)
            r.notes.append(f"read '{toks[qty.idx + 1].text}' as {unit}")
    elif qty.unit_before:
        toks[qty.idx - 1].used = True
        unit = qty.unit_before
    for side in (qty.idx - 1, qty.idx + 1):
        if kind_at(toks, side) == "X":
            toks[side].used = True
    return qty.tok.value, unit


def _settle_unit(
    r: _Reading, unit: str | None, packs: list[Candidate], compound: bool
) -> str | None:
    """The line's unit: the quantity's, else a pack's count unit ("4 bags"), else what the
    price is per, else any unit left; a quantity in another unit than the price is
    flagged (a compound quantity's product is right whatever the price is per)."""
    toks, per_unit = r.toks, r.per_unit
    for c in packs:
        if c.count_unit_idx is not None and unit is None:
            unit = toks[c.count_unit_idx].code
            toks[c.count_unit_idx].used = True
    if unit is None and per_unit is not None:
        unit = per_unit
    elif compound:
        pass  # priced per one of its factors (or per person-day): the product is right
    elif unit is not None and per_unit is not None and per_unit != unit:
        r.flags.add(UNIT_MISMATCH)
        r.notes.append(f"quantity is in {unit} but the price is per {per_unit}")
    if unit is None:
        for t in toks:
            if t.kind == "UNIT" and not t.used:
                unit, t.used = t.code, True
                break
    return unit


def _drop_leftovers(r: _Reading, leftovers: list[Candidate]) -> None:
    """Numbers with no role are warned about ("Rent for October 2025" keeps the year in
    the description)."""
    for c in leftovers:
        prev = r.toks[c.idx - 1] if c.idx > 0 else None
        if prev is not None and prev.low in MONTH_NAMES:
            c.tok.kind = "WORD"
        else:
            c.tok.used = True
            r.flags.add(IGNORED_NUMBER)
            r.dropped.append(f"ignored the number {c.tok.text}: check the quantity and the total")


def _unit_price(
    r: _Reading, quantity: Decimal, default_currency: str
) -> tuple[Decimal | None, str]:
    """The price per unit and its currency; a total is split over the quantity."""
    if r.price_idx is None:
        return None, default_currency
    pt = r.toks[r.price_idx]
    assert pt.value is not None
    unit_price = pt.value
    currency = pt.currency or default_currency
    if pt.ambiguous:
        r.flags.add(AMBIGUOUS_NUMBER)
        r.notes.append(f"read {pt.text} as {pt.value}")
    if r.is_total and quantity:
        exact = unit_price / quantity
        rounded = quantize(exact, currency)
        if rounded != exact:
            r.flags.add(TOTAL_SPLIT)
            r.notes.append(f"total {unit_price} / {quantity} rounded to {rounded} per unit")
        unit_price = rounded.normalize() if rounded == exact else rounded
    return unit_price, currency


def _finish(
    r: _Reading,
    qty: Candidate | None,
    text: str,
    quantity: Decimal,
    unit: str | None,
    unit_price: Decimal | None,
    currency: str,
    segment_text: str,
) -> SegmentResult:
    """The segment's line, unless it held only a discount, only a tax, or nothing."""
    result = r.result
    bare = not text and qty is None and r.price_idx is None
    if result.discount is not None and bare:
        result.discount_only = True
        return result
    if r.price_idx is None and qty is None and not text:
        return result
    if result.tax_note is not None and bare:
        return result
    result.line = RawLine(
        description=text,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        currency=currency,
        discount_percent=result.discount,
        flags=r.flags,
        notes=r.notes,
        warnings=r.dropped,
        segment=segment_text,
    )
    return result
