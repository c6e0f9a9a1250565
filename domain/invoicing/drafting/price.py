"""The price of a segment: the number with the most money evidence around it (a
currency, "@", "each", "per kg", "total", a thousands multiplier or grouping), and the
words that said so."""

from __future__ import annotations

from .quantity import kind_at
from .tokens import Tok, fuzzy_unit


def price_index(toks: list[Tok], nums: list[int]) -> int | None:
    """The price: the number with the most money evidence around it (at least 2; the later
    one on a tie)."""
    price_idx: int | None = None
    best = 2
    for i in nums:
        score = _price_score(toks, i)
        if score >= best:
            best, price_idx = score, i
    return price_idx


def _price_score(toks: list[Tok], i: int) -> int:
    t = toks[i]
    score = 0
    prev_i = i - 1
    if kind_at(toks, prev_i) == "CUR" and toks[prev_i].used:
        prev_i -= 1
    nxt_i = i + 1
    if kind_at(toks, nxt_i) == "CUR" and toks[nxt_i].used:
        nxt_i += 1
    if t.currency:
        score += 3
    if kind_at(toks, prev_i) == "AT":
        score += 3
    if kind_at(toks, nxt_i) in {"EACH", "PERUNIT", "TOTAL"}:
        score += 3
    if kind_at(toks, nxt_i) == "PER" and kind_at(toks, nxt_i + 1) in {"UNIT", "WORD", "EACH"}:
        score += 3
    if kind_at(toks, nxt_i) == "UNIT" and score >= 3:
        score += 1  # "₹45 kilo": price per kilo
    elif kind_at(toks, nxt_i) == "UNIT":
        score -= 5
    if t.multiplied:
        score += 3
    if t.parsed is not None and t.parsed.grouped:
        score += 1
    if kind_at(toks, i + 1) == "X":
        score -= 2
    if t.from_word:
        score -= 5
    return score


def use_price_context(toks: list[Tok], price_idx: int) -> tuple[str | None, bool]:
    """Marks the price and the words that said so: "@", "each", "per kg", "total".
    Answers what the price is per (a unit, or None) and whether it is a total."""
    per_unit: str | None = None
    is_total = False
    toks[price_idx].used = True
    nxt_i = price_idx + 1
    if kind_at(toks, nxt_i) == "CUR" and toks[nxt_i].used:
        nxt_i += 1
    k = kind_at(toks, nxt_i)
    if k == "EACH":
        toks[nxt_i].used = True
    elif k == "PERUNIT":
        toks[nxt_i].used = True
        per_unit = toks[nxt_i].code
    elif k == "TOTAL":
        toks[nxt_i].used = True
        is_total = True
    elif k == "PER":
        toks[nxt_i].used = True
        per_unit = _per_what(toks[nxt_i + 1] if nxt_i + 1 < len(toks) else None)
    elif k == "UNIT":
        toks[nxt_i].used = True
        per_unit = toks[nxt_i].code
    if kind_at(toks, price_idx - 1) == "AT":
        toks[price_idx - 1].used = True
    elif kind_at(toks, price_idx - 2) == "AT" and kind_at(toks, price_idx - 1) == "CUR":
        toks[price_idx - 2].used = True
    for i, t in enumerate(toks):  # "for KES 3,750 total"
        if t.kind == "TOTAL" and not t.used and i > price_idx:
            t.used = True
            is_total = True
    return per_unit, is_total


def _per_what(after: Tok | None) -> str | None:
    """The unit after "per" ("per kg", "per each", "per bgas" read as bags)."""
    if after is not None and after.kind in {"UNIT", "EACH"}:
        after.used = True
        return after.code
    if after is not None and after.kind == "WORD":
        guessed_unit = fuzzy_unit(after.low)
        if guessed_unit is not None:
            after.used = True
            return guessed_unit
    return None
