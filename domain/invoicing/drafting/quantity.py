"""The numbers of a segment that are not its price: which is the quantity (with its unit),
which are pack sizes ("50kg x 4"), which multiplies the quantity ("5 people for 3 days"),
and the description made of the words left over."""

from __future__ import annotations

from dataclasses import dataclass

from .lexicon import DURATION_UNITS, EDGE_STOPWORDS, MEASURE_UNITS, MONTH_NAMES
from .tokens import Tok, key


def kind_at(toks: list[Tok], i: int) -> str | None:
    return toks[i].kind if 0 <= i < len(toks) else None


@dataclass
class Candidate:
    idx: int
    tok: Tok
    unit_after: str | None = None
    unit_before: str | None = None
    x_adjacent: bool = False
    pack: bool = False
    count_unit_idx: int | None = None

    @property
    def unit(self) -> str | None:
        return self.unit_after or self.unit_before

    @property
    def priority(self) -> int:
        if self.unit_after:
            return 4
        if self.unit_before:
            return 3
        if self.tok.from_word:
            return 3
        if self.x_adjacent:
            return 2
        return 1


def candidates(toks: list[Tok], nums: list[int]) -> list[Candidate]:
    """The unused numbers, each with the unit beside it (after it first, else before)."""
    cands: list[Candidate] = []
    for i in nums:
        t = toks[i]
        if t.used:
            continue
        c = Candidate(i, t)
        if kind_at(toks, i + 1) == "UNIT" and not toks[i + 1].used:
            c.unit_after = toks[i + 1].code
        elif kind_at(toks, i - 1) == "UNIT" and not toks[i - 1].used:
            c.unit_before = toks[i - 1].code
        c.x_adjacent = kind_at(toks, i - 1) == "X" or kind_at(toks, i + 1) == "X"
        cands.append(c)
    return cands


def split_packs(
    toks: list[Tok], cands: list[Candidate], price_idx: int | None
) -> tuple[list[Candidate], list[Candidate]]:
    """(pack sizes, the other candidates): "50kg x 4", "10kg bag x 5", "4 x 50kg",
    "fertilizer 50kg 4 bags". A pack size and its unit stay in the description."""
    for c in cands:
        if c.unit_after not in MEASURE_UNITS:
            continue
        nxt2 = c.idx + 2
        others = [o for o in cands if o is not c and not o.pack]
        if kind_at(toks, nxt2) == "UNIT" and toks[nxt2].code not in MEASURE_UNITS:
            c.pack, c.count_unit_idx = True, nxt2
        elif price_idx is None:
            continue  # "Milk 30 ltr x 55": 30 litres at 55, not a 30-litre pack
        else:
            x_then_num = kind_at(toks, nxt2) == "X" and kind_at(toks, nxt2 + 1) == "NUM"
            num_then_x = kind_at(toks, c.idx - 1) == "X" and kind_at(toks, c.idx - 2) == "NUM"
            counted = any(o.unit and o.unit not in MEASURE_UNITS for o in others)
            c.pack = x_then_num or num_then_x or counted
    packs = [c for c in cands if c.pack]
    for c in packs:
        c.tok.used = True
        toks[c.idx + 1].used = True
    return packs, [c for c in cands if not c.pack]


def choose_quantity(
    toks: list[Tok], cands: list[Candidate], per_unit: str | None
) -> tuple[Candidate | None, list[Candidate], Candidate | None]:
    """(the quantity, the numbers left over, the number that multiplies the quantity):
    the quantity is the candidate with the strongest evidence, the earliest on a tie."""
    if not cands:
        return None, [], None
    qty = max(cands, key=lambda c: (c.priority, -c.idx))
    leftovers = [c for c in cands if c is not qty]
    factor = compound_factor(toks, qty, leftovers, per_codes(toks, per_unit))
    if factor is not None:
        leftovers.remove(factor)
    return qty, leftovers, factor


def per_codes(toks: list[Tok], per_unit: str | None) -> set[str]:
    """Every unit the price is said to be per: "800 per person per day" -> person, day."""
    codes = {per_unit} if per_unit else set()
    for i, t in enumerate(toks):
        if t.kind == "PER" and kind_at(toks, i + 1) == "UNIT" and toks[i + 1].code:
            codes.add(toks[i + 1].code or "")
        elif t.kind == "PERUNIT" and t.code:
            codes.add(t.code)
    return codes


def compound_factor(
    toks: list[Tok], qty: Candidate, others: list[Candidate], per_codes: set[str]
) -> Candidate | None:
    """The number that multiplies the quantity: a count of things and a time, in either
    order ("5 people for 3 days", "3 nights for 2 rooms", "2 x 6 months", "2 generators
    4 days"), when the price is per the time, per both, or not per anything else. A price
    per the things alone ("800 per person for 3 days") multiplies nothing."""
    for other in others:
        if other.idx > 0 and toks[other.idx - 1].low in MONTH_NAMES:
            continue  # "Rent October 2025": a year
        timed = [c for c in (qty, other) if c.unit in DURATION_UNITS]
        if len(timed) != 1:
            continue
        time, count = timed[0], other if timed[0] is qty else qty
        if count.unit in MEASURE_UNITS or count.tok.value is None or count.tok.value <= 0:
            continue
        lo, hi = sorted((qty.idx, other.idx))
        x_between = any(t.kind == "X" for t in toks[lo + 1 : hi])
        counted = count.unit is not None or kind_at(toks, count.idx + 1) == "WORD" or x_between
        time_unit = time.unit or ""
        per_ok = not per_codes or (
            time_unit in per_codes and per_codes <= {time_unit, count.unit or time_unit}
        )
        if counted and per_ok:
            return other
    return None


def apply_compound(toks: list[Tok], qty: Candidate, factor: Candidate) -> tuple[str, str]:
    """Uses the factor's tokens and any "per <its unit>" left; returns how the product is
    shown ("5 people x 3 days", with a multiplication sign) and its unit ("person-day",
    or the time unit when the things have none: "2 rooms for 3 nights" is 6 nights)."""
    factor.tok.used = True
    for c in (qty, factor):
        if c.unit_after:
            toks[c.idx + 1].used = True
        elif c.unit_before:
            toks[c.idx - 1].used = True
    lo, hi = sorted((qty.idx, factor.idx))
    for t in toks[lo + 1 : hi]:
        if t.kind == "X":
            t.used = True
    time, count = (qty, factor) if qty.unit in DURATION_UNITS else (factor, qty)
    units = {time.unit, count.unit}
    for i, t in enumerate(toks):  # "per person per day": both are in the product
        if t.kind == "PER" and kind_at(toks, i + 1) == "UNIT" and toks[i + 1].code in units:
            t.used = toks[i + 1].used = True

    def shown(c: Candidate) -> str:
        if c.unit_after:
            return f"{c.tok.text} {toks[c.idx + 1].text}"
        if c.unit_before:
            return f"{toks[c.idx - 1].text} {c.tok.text}"
        return c.tok.text

    first, second = sorted((qty, factor), key=lambda c: c.idx)
    time_unit = time.unit or ""
    unit = f"{count.unit}-{time_unit}" if count.unit else time_unit
    return f"{shown(first)} \u00d7 {shown(second)}", unit[:20]


def money_like(t: Tok) -> bool:
    return t.multiplied or (t.parsed is not None and t.parsed.grouped)


def description(toks: list[Tok], packs: list[Candidate]) -> str:
    pack_at = {c.idx: f"{c.tok.text}{toks[c.idx + 1].text}" for c in packs}
    runs: list[list[str]] = [[]]
    skip = False
    for i, t in enumerate(toks):
        if skip:
            skip = False
            continue
        if i in pack_at:
            runs[-1].append(pack_at[i])
            skip = True
            continue
        if not t.used and t.kind in {"WORD", "UNIT", "NUMWORD", "PER", "EACH", "AT"}:
            runs[-1].append(t.text.strip(",;:!?"))
        elif not t.used and t.kind == "NUM":
            runs[-1].append(t.text)
        else:
            runs.append([])
    parts: list[str] = []
    for run in runs:
        words = [w for w in run if w]
        while words and key(words[0]) in EDGE_STOPWORDS:
            words.pop(0)
        while words and key(words[-1]) in EDGE_STOPWORDS:
            words.pop()
        if words:
            parts.append(" ".join(words))
    return " ".join(parts).strip(" -:\u2013\u2014")
