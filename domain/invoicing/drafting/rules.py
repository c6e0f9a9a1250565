"""The offline rule engine: prompt -> raw lines (description, quantity, unit, price).

Pipeline: normalise the text (digits, currency symbols, "R850", "1 250,00", "4x") ->
split into item segments (newline ; , + and & na aur plus) -> tokenise each segment ->
give each number a role (price, quantity, pack size, discount, tax) from the words around
it -> build the description from what is left. History, catalogue checks, warnings and
confidence come afterwards in `checks.finalize`, shared with the LLM parser.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from domain.core.money import minor_units, quantize

from .lexicon import (
    AT_WORDS,
    CURRENCY_ALIASES,
    DISCOUNT_WORDS,
    DURATION_UNITS,
    EACH_WORDS,
    EDGE_STOPWORDS,
    FILLER_PATTERN,
    LABEL_WORDS,
    MEASURE_UNITS,
    MONTH_NAMES,
    MULTIWORD_UNITS,
    NUMBER_WORDS,
    PER_UNIT_WORDS,
    PER_WORDS,
    PREFIX_MULTIPLIERS,
    SUFFIX_MULTIPLIERS,
    TAX_MARKERS,
    TAX_WORDS,
    TOTAL_WORDS,
    UNIT_ALIASES,
    WEAK_CURRENCY_ALIASES,
    WEAK_NUMBER_WORDS,
    WEAK_UNIT_ALIASES,
    X_WORDS,
)
from .numbers import ParsedNumber, ascii_digits, parse_number

# flags a raw line can carry; checks.finalize turns them into confidence and messages
QTY_GUESSED = "quantity_guessed"
AMBIGUOUS_NUMBER = "ambiguous_number"
FUZZY_UNIT = "fuzzy_unit"
IGNORED_NUMBER = "ignored_number"
TOTAL_SPLIT = "total_split"
UNIT_MISMATCH = "unit_mismatch"
PRICE_GUESSED = "price_guessed"


@dataclass
class RawLine:
    description: str
    quantity: Decimal
    unit: str | None
    unit_price: Decimal | None
    currency: str
    discount_percent: Decimal | None = None
    flags: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)  # become suggestions
    warnings: list[str] = field(default_factory=list)  # e.g. a number left out
    segment: str = ""


@dataclass
class ParseResult:
    lines: list[RawLine]
    invoice_discount_percent: Decimal | None = None
    warnings: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)


@dataclass
class Tok:
    kind: str  # NUM CUR UNIT X AT EACH PER PERUNIT TOTAL DISC TAX PCT MULT PMULT NUMWORD WORD
    text: str
    value: Decimal | None = None
    code: str | None = None  # currency code or canonical unit
    factor: Decimal = Decimal(1)
    parsed: ParsedNumber | None = None
    from_word: bool = False
    multiplied: bool = False
    fuzzy: bool = False
    used: bool = False
    currency: str | None = None  # currency bound to a NUM
    ambiguous: bool = False

    @property
    def low(self) -> str:
        return _key(self.text)


def _key(text: str) -> str:
    return text.lower().strip(".,:;!?\"'()[]")


# ----------------------------------------------------------------------- normalising
_R_RAND = re.compile(r"(?<![\w.])R\s?(?=\d)")
_PREFIX_CUR = re.compile(
    r"(?i)(?<![\w.])(rs\.?|inr|kshs?\.?|kes|omr|zar|usd|r\.o\.?|ro|sh\.?|shs\.?)(?=\d)"
)
_SPACE_GROUPS = re.compile(
    r"(?i)\b(INR|KES|OMR|ZAR|USD)(\s*)(\d{1,3}(?:[ \u00a0\u202f]\d{3})+)(?!\d)"
)
_SLASH_DASH = re.compile(r"(\d)\s*/\s*[-=]+")
_X_BETWEEN = re.compile(r"(?<=\d)\s*[x\u00d7X*]\s*(?=\d)")
_X_AFTER = re.compile(r"(?<=\d)[x\u00d7X](?=\s|$)")
_X_BEFORE = re.compile(r"(?:(?<=\s)|^)[x\u00d7X](?=\d)")


def normalise(prompt: str) -> str:
    text = unicodedata.normalize("NFKC", prompt)
    text = ascii_digits(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"ر\s?\.\s?ع\s?\.?", " OMR ", text)
    for symbol, code in (("₹", "INR"), ("€", "EUR"), ("£", "GBP"), ("$", "USD")):
        text = text.replace(symbol, f" {code} ")
    text = _SLASH_DASH.sub(r"\1 ", text)
    text = _R_RAND.sub("ZAR ", text)
    text = _PREFIX_CUR.sub(r"\1 ", text)
    text = _SPACE_GROUPS.sub(
        lambda m: m.group(1) + m.group(2) + re.sub(r"\s", "", m.group(3)), text
    )
    text = text.replace("\u00d7", " x ")
    text = _X_BETWEEN.sub(" x ", text)
    text = _X_AFTER.sub(" x", text)
    text = _X_BEFORE.sub("x ", text)
    for pattern, repl in MULTIWORD_UNITS:
        text = re.sub(r"(?i)(?<=\d)\s*" + pattern, " " + repl, text)
        text = re.sub(r"(?i)\b" + pattern, repl, text)
    text = re.sub(r"\s*@\s*", " @ ", text)
    text = re.sub(r"(?<=\d)\s*%", " %", text)
    text = re.sub(r"\s*/\s*(?=[^\W\d])", " / ", text)
    text = re.sub(r"[ \t\u00a0\u202f]+", " ", text)
    return text.strip()


def strip_filler(text: str) -> str:
    stripped = re.sub(FILLER_PATTERN, "", text, count=1, flags=re.IGNORECASE)
    return stripped if stripped.strip() else text


# ----------------------------------------------------------------------- segmenting
_SEPARATORS = re.compile(
    r"(?P<strong>\n+|;|,(?!\d)|(?<!\d),|(?<!\d)\+|\+(?!\d))"
    r"|(?P<weak>\s(?:and|&|na|aur|plus|also|n)\s)",
    re.IGNORECASE,
)


@dataclass
class Segment:
    text: str
    weak_before: bool = False
    weak_after: bool = False


def _inside_brackets(text: str) -> list[bool]:
    depth, inside = 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        inside.append(depth > 0)
    return inside


def split_segments(text: str) -> list[Segment]:
    segments: list[Segment] = []
    pos = 0
    weak_before = False
    inside = _inside_brackets(text)
    for m in _SEPARATORS.finditer(text):
        if inside[m.start()]:  # "Car service (oil + filters) OMR 38"
            continue
        chunk = text[pos : m.start()]
        weak = m.group("weak") is not None
        if chunk.strip():
            segments.append(Segment(chunk.strip(), weak_before, weak))
            weak_before = weak
        else:
            weak_before = weak_before and weak
        pos = m.end()
    tail = text[pos:]
    if tail.strip():
        segments.append(Segment(tail.strip(), weak_before, False))
    return segments


# ----------------------------------------------------------------------- tokenising
_NUM_CHUNK = re.compile(r"^(?P<pre>[^\d]*?)(?P<num>\d+(?:[.,]\d+)*)(?P<post>.*)$")
_STRONG_UNIT_ALIASES = sorted(a for a in UNIT_ALIASES if a not in WEAK_UNIT_ALIASES and len(a) >= 3)


def _currency(low: str) -> tuple[str, Decimal] | None:
    return CURRENCY_ALIASES.get(low) or CURRENCY_ALIASES.get(low.rstrip("."))


def _fuzzy_unit(low: str) -> str | None:
    if len(low) < 4 or not low.isalpha():
        return None
    letters = sorted(low)
    for alias in _STRONG_UNIT_ALIASES:
        if len(alias) == len(low) and sorted(alias) == letters:
            return UNIT_ALIASES[alias]
    close = difflib.get_close_matches(low, _STRONG_UNIT_ALIASES, n=1, cutoff=0.8)
    return UNIT_ALIASES[close[0]] if close else None


def _word_token(text: str) -> Tok:
    low = _key(text)
    if not low:
        return Tok("WORD", text)
    if low in X_WORDS:
        return Tok("X", text)
    if low in AT_WORDS:
        return Tok("AT", text)
    cur = _currency(low)
    if cur is not None:
        return Tok("CUR", text, code=cur[0], factor=cur[1])
    if low in SUFFIX_MULTIPLIERS:
        return Tok("MULT", text, value=SUFFIX_MULTIPLIERS[low])
    if low in PREFIX_MULTIPLIERS:
        return Tok("PMULT", text, value=PREFIX_MULTIPLIERS[low])
    if low in UNIT_ALIASES:
        return Tok("UNIT", text, code=UNIT_ALIASES[low])
    if low in NUMBER_WORDS:
        return Tok("NUMWORD", text, value=NUMBER_WORDS[low])
    if low in EACH_WORDS:
        return Tok("EACH", text)
    if low in PER_WORDS:
        return Tok("PER", text)
    if low in PER_UNIT_WORDS:
        return Tok("PERUNIT", text, code=PER_UNIT_WORDS[low])
    if low in TOTAL_WORDS:
        return Tok("TOTAL", text)
    if low in DISCOUNT_WORDS:
        return Tok("DISC", text)
    if low in TAX_WORDS:
        return Tok("TAX", text)
    return Tok("WORD", text)


def tokenise(segment: str, three_decimals: bool) -> list[Tok]:
    toks: list[Tok] = []
    for chunk in segment.split():
        if chunk == "%":
            toks.append(Tok("PCT", chunk))
            continue
        if chunk == "/":
            toks.append(Tok("PER", chunk))
            continue
        m = _NUM_CHUNK.match(chunk)
        if m is None:
            toks.append(_word_token(chunk))
            continue
        pre, raw, post = m.group("pre"), m.group("num"), m.group("post")
        post_key = _key(post)
        pre_key = _key(pre)
        parsed = parse_number(raw, three_decimals=three_decimals)
        pre_tok = _word_token(pre) if pre_key else None
        if pre_key and (pre_tok is None or pre_tok.kind not in {"AT", "CUR", "X"}):
            toks.append(Tok("WORD", chunk))  # "USB2", "A4", "mp3": a word, not a number
            continue
        if parsed is None:
            toks.append(Tok("WORD", chunk))
            continue
        post_tok: Tok | None = None
        if post_key:
            if post_key == "k":
                post_tok = Tok("MULT", post, value=Decimal(1000))
            elif post_key == "%":
                post_tok = Tok("PCT", post)
            else:
                post_tok = _word_token(post)
                if post_tok.kind not in {"UNIT", "CUR", "MULT", "X", "PCT", "EACH", "PERUNIT"}:
                    toks.append(Tok("WORD", chunk))  # "2nd", "3rd"
                    continue
        if pre_tok is not None:
            toks.append(pre_tok)
        toks.append(Tok("NUM", raw, value=parsed.value, parsed=parsed, ambiguous=parsed.ambiguous))
        if post_tok is not None:
            toks.append(post_tok)
    return _contextualise(toks)


def _contextualise(toks: list[Tok]) -> list[Tok]:
    """Decide the context-dependent tokens: multipliers, number words, weak units,
    weak currencies, 'a'/'an', per-unit words."""
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        prev = out[-1] if out else None
        if t.kind == "MULT" and prev is not None and prev.kind == "NUM" and prev.value is not None:
            prev.value *= t.value or 1
            prev.multiplied = True
            i += 1
            continue
        if t.kind == "MULT":
            t.kind = "WORD"
        if t.kind == "PMULT" and nxt is not None and nxt.kind in {"NUM", "NUMWORD"}:
            assert nxt.value is not None and t.value is not None
            out.append(
                Tok("NUM", f"{t.text} {nxt.text}", value=nxt.value * t.value, multiplied=True)
            )
            i += 2
            continue
        if t.kind == "PMULT":
            t.kind = "WORD"
        if t.kind == "NUMWORD":
            next_is_unit = nxt is not None and (
                nxt.kind == "UNIT" or (nxt.kind == "WORD" and nxt.low in UNIT_ALIASES)
            )
            if t.low not in WEAK_NUMBER_WORDS or next_is_unit or not out:
                t.kind = "NUM"
                t.from_word = True
            else:
                t.kind = "WORD"
        if t.kind == "PER" and t.low in {"a", "an"}:
            if (
                nxt is not None
                and nxt.kind == "UNIT"
                and prev is not None
                and prev.kind
                in {
                    "NUM",
                    "CUR",
                }
            ):
                pass  # "150 rand an hour"
            elif nxt is not None and nxt.kind == "UNIT":
                t.kind, t.value, t.from_word = "NUM", Decimal(1), True  # "a dozen"
            else:
                t.kind = "WORD"
        elif t.kind == "PER" and t.low == "kwa" and (nxt is None or nxt.kind != "UNIT"):
            t.kind = "WORD"
        if t.kind == "PERUNIT" and (prev is None or prev.kind not in {"NUM", "CUR"}):
            t.kind = "WORD"
        if t.kind == "UNIT" and t.low in WEAK_UNIT_ALIASES and (prev is None or prev.kind != "NUM"):
            t.kind = "WORD"
        if t.kind == "WORD" and prev is not None and prev.kind == "NUM":
            fuzzy = _fuzzy_unit(t.low)
            if fuzzy is not None:
                t.kind, t.code, t.fuzzy = "UNIT", fuzzy, True
        if t.kind == "CUR" and t.low.rstrip(".") in WEAK_CURRENCY_ALIASES:
            near_num = (prev is not None and prev.kind == "NUM") or (
                nxt is not None and nxt.kind == "NUM"
            )
            if not near_num:
                t.kind = "WORD"
        out.append(t)
        i += 1
    return out


def split_runs(toks: list[Tok]) -> list[list[Tok]]:
    """'2 bag urea@266 1 bag DAP@1350': a new item starts right after an '@ price'."""
    runs: list[list[Tok]] = []
    start = 0
    i = 0
    while i < len(toks):
        t = toks[i]
        j = i - 1
        if j >= start and toks[j].kind == "CUR":
            j -= 1
        if t.kind != "NUM" or j < start or toks[j].kind != "AT":
            i += 1
            continue
        k = i + 1
        while k < len(toks) and toks[k].kind in {"CUR", "EACH", "PERUNIT"}:
            k += 1
        if k < len(toks) and toks[k].kind == "PER":
            k += 2
        if (
            k + 1 < len(toks)
            and toks[k].kind == "NUM"
            and toks[k + 1].kind in {"UNIT", "WORD"}
            and any(x.kind == "WORD" for x in toks[k + 1 :])
        ):
            runs.append(toks[start:k])
            start = k
            i = k
            continue
        i += 1
    runs.append(toks[start:])
    return runs


# ----------------------------------------------------------------------- interpreting
@dataclass
class _Candidate:
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


@dataclass
class SegmentResult:
    line: RawLine | None = None
    discount: Decimal | None = None
    discount_only: bool = False
    tax_note: str | None = None
    has_number: bool = False
    has_words: bool = False


def _kind(toks: list[Tok], i: int) -> str | None:
    return toks[i].kind if 0 <= i < len(toks) else None


def interpret(toks: list[Tok], default_currency: str, segment_text: str) -> SegmentResult:
    result = SegmentResult()
    flags: set[str] = set()
    notes: list[str] = []
    dropped: list[str] = []  # numbers left out of the line: warnings, never quiet

    # discounts and taxes: "5% off", "less 10%", "plus 18% GST", "incl. VAT"; a tax word
    # without a rate or marker is part of a name ("GST filing")
    has_pct = any(t.kind == "PCT" for t in toks)
    for i, t in enumerate(toks):
        if t.kind == "TAX" and not has_pct and t.low not in TAX_MARKERS:
            near = {toks[j].low for j in (i - 1, i + 1) if 0 <= j < len(toks)}
            if not near & (TAX_MARKERS | {"plus", "+", "add", "with"}):
                t.kind = "WORD"
    has_tax_word = any(t.kind == "TAX" for t in toks)
    for i, t in enumerate(toks):
        if t.kind == "PCT" and _kind(toks, i - 1) == "NUM":
            num = toks[i - 1]
            num.used = t.used = True
            if has_tax_word:
                result.tax_note = f"{num.text}%"
            else:
                result.discount = num.value
        elif t.kind in {"DISC", "TAX"}:
            t.used = True
    for i, t in enumerate(toks):  # "less 500", "discount KES 500": an amount, not a %
        if t.kind != "DISC":
            continue
        for j in (i + 1, i + 2):
            cand = toks[j] if 0 <= j < len(toks) else None
            if j == i + 2 and _kind(toks, i + 1) != "CUR":
                continue
            if cand is not None and cand.kind == "NUM" and not cand.used:
                if _kind(toks, j + 1) == "PCT":
                    break
                cand.used = True
                flags.add(IGNORED_NUMBER)
                dropped.append(f"a discount of {cand.text} as an amount was not applied")
                break
    if has_tax_word and result.tax_note is None:
        result.tax_note = "tax"

    # bind currencies: prefix first ("KES 500"), else suffix ("500 OMR")
    for j, t in enumerate(toks):
        if t.kind != "CUR":
            continue
        if _kind(toks, j + 1) == "NUM" and toks[j + 1].currency is None and not toks[j + 1].used:
            target = toks[j + 1]
        elif _kind(toks, j - 1) == "NUM" and toks[j - 1].currency is None and not toks[j - 1].used:
            target = toks[j - 1]
        else:
            continue
        t.used = True
        target.currency = t.code
        if t.factor != 1 and target.value is not None:
            target.value *= t.factor
        if target.parsed is not None and t.code is not None:
            target.ambiguous = target.parsed.ambiguous and minor_units(t.code) != 3

    for i, t in enumerate(toks):  # "term 2", "plot 14", "Dec 2025": part of the name
        if t.kind != "NUM" or t.used or t.currency is not None or i == 0:
            continue
        label = toks[i - 1].low
        is_year = label in MONTH_NAMES and re.fullmatch(r"(19|20)\d\d", t.text) is not None
        if (label in LABEL_WORDS or is_year) and _kind(toks, i + 1) not in {
            "UNIT",
            "X",
            "PCT",
            "EACH",
            "PER",
            "PERUNIT",
        }:
            t.kind = "WORD"
    nums = [i for i, t in enumerate(toks) if t.kind == "NUM" and not t.used]
    result.has_number = bool(nums)
    result.has_words = any(t.kind == "WORD" for t in toks)

    # price: a number with money evidence around it
    price_idx: int | None = None
    per_unit: str | None = None
    is_total = False
    best = 2
    for i in nums:
        t = toks[i]
        score = 0
        prev_i = i - 1
        if _kind(toks, prev_i) == "CUR" and toks[prev_i].used:
            prev_i -= 1
        nxt_i = i + 1
        if _kind(toks, nxt_i) == "CUR" and toks[nxt_i].used:
            nxt_i += 1
        if t.currency:
            score += 3
        if _kind(toks, prev_i) == "AT":
            score += 3
        if _kind(toks, nxt_i) in {"EACH", "PERUNIT", "TOTAL"}:
            score += 3
        if _kind(toks, nxt_i) == "PER" and _kind(toks, nxt_i + 1) in {"UNIT", "WORD", "EACH"}:
            score += 3
        if _kind(toks, nxt_i) == "UNIT" and score >= 3:
            score += 1  # "₹45 kilo": price per kilo
        elif _kind(toks, nxt_i) == "UNIT":
            score -= 5
        if t.multiplied:
            score += 3
        if t.parsed is not None and t.parsed.grouped:
            score += 1
        if _kind(toks, i + 1) == "X":
            score -= 2
        if t.from_word:
            score -= 5
        if score >= best:
            best, price_idx = score, i
    if price_idx is not None:
        toks[price_idx].used = True
        nxt_i = price_idx + 1
        if _kind(toks, nxt_i) == "CUR" and toks[nxt_i].used:
            nxt_i += 1
        k = _kind(toks, nxt_i)
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
            after = toks[nxt_i + 1] if nxt_i + 1 < len(toks) else None
            if after is not None and after.kind in {"UNIT", "EACH"}:
                after.used = True
                per_unit = after.code
            elif after is not None and after.kind == "WORD":
                guessed_unit = _fuzzy_unit(after.low)
                if guessed_unit is not None:
                    after.used = True
                    per_unit = guessed_unit
        elif k == "UNIT":
            toks[nxt_i].used = True
            per_unit = toks[nxt_i].code
        if _kind(toks, price_idx - 1) == "AT":
            toks[price_idx - 1].used = True
        elif _kind(toks, price_idx - 2) == "AT" and _kind(toks, price_idx - 1) == "CUR":
            toks[price_idx - 2].used = True
        for i, t in enumerate(toks):  # "for KES 3,750 total"
            if t.kind == "TOTAL" and not t.used and i > price_idx:
                t.used = True
                is_total = True

    # quantity candidates
    cands: list[_Candidate] = []
    for i in nums:
        t = toks[i]
        if t.used:
            continue
        c = _Candidate(i, t)
        if _kind(toks, i + 1) == "UNIT" and not toks[i + 1].used:
            c.unit_after = toks[i + 1].code
        elif _kind(toks, i - 1) == "UNIT" and not toks[i - 1].used:
            c.unit_before = toks[i - 1].code
        c.x_adjacent = _kind(toks, i - 1) == "X" or _kind(toks, i + 1) == "X"
        cands.append(c)

    # pack sizes: "50kg x 4", "10kg bag x 5", "4 x 50kg", "fertilizer 50kg 4 bags"
    for c in cands:
        if c.unit_after not in MEASURE_UNITS:
            continue
        nxt2 = c.idx + 2
        others = [o for o in cands if o is not c and not o.pack]
        if _kind(toks, nxt2) == "UNIT" and toks[nxt2].code not in MEASURE_UNITS:
            c.pack, c.count_unit_idx = True, nxt2
        elif price_idx is None:
            continue  # "Milk 30 ltr x 55": 30 litres at 55, not a 30-litre pack
        else:
            x_then_num = _kind(toks, nxt2) == "X" and _kind(toks, nxt2 + 1) == "NUM"
            num_then_x = _kind(toks, c.idx - 1) == "X" and _kind(toks, c.idx - 2) == "NUM"
            counted = any(o.unit and o.unit not in MEASURE_UNITS for o in others)
            c.pack = x_then_num or num_then_x or counted
    packs = [c for c in cands if c.pack]
    cands = [c for c in cands if not c.pack]
    for c in packs:
        c.tok.used = True
        toks[c.idx + 1].used = True

    qty: _Candidate | None = None
    leftovers: list[_Candidate] = []
    if price_idx is None and cands:
        if len(cands) >= 2:
            priceable = [c for c in cands if not c.unit_after and not c.tok.from_word]
            if priceable:
                p = priceable[-1]
                price_idx = p.idx
                p.tok.used = True
                cands.remove(p)
                if _kind(toks, p.idx - 1) == "X":
                    toks[p.idx - 1].used = True
        else:
            c = cands[0]
            money_like = _money_like(c.tok)
            words_before = any(t.kind == "WORD" for t in toks[: c.idx])
            if not c.unit and not c.tok.from_word and (money_like or words_before):
                price_idx = c.idx
                c.tok.used = True
                cands = []
                flags.add(QTY_GUESSED)
        guessed = price_idx is not None and toks[price_idx].currency is None
        if guessed and price_idx is not None and not _money_like(toks[price_idx]):
            flags.add(PRICE_GUESSED)
    if cands:
        qty = max(cands, key=lambda c: (c.priority, -c.idx))
        leftovers = [c for c in cands if c is not qty]
    factor: _Candidate | None = None
    if qty is not None:
        factor = _compound_factor(toks, qty, leftovers, _per_codes(toks, per_unit))
        if factor is not None:
            leftovers.remove(factor)

    quantity = Decimal(1)
    unit: str | None = None
    if qty is not None:
        assert qty.tok.value is not None
        quantity = qty.tok.value
        qty.tok.used = True
        if qty.tok.ambiguous:
            flags.add(AMBIGUOUS_NUMBER)
        if qty.unit_after:
            toks[qty.idx + 1].used = True
            unit = qty.unit_after
            if toks[qty.idx + 1].fuzzy:
                flags.add(FUZZY_UNIT)
                notes.append(f"read '{toks[qty.idx + 1].text}' as {unit}")
        elif qty.unit_before:
            toks[qty.idx - 1].used = True
            unit = qty.unit_before
        for side in (qty.idx - 1, qty.idx + 1):
            if _kind(toks, side) == "X":
                toks[side].used = True
    else:
        flags.add(QTY_GUESSED)
    compound: tuple[str, str | None] | None = None  # (shown as, unit of the product)
    if qty is not None and factor is not None:
        compound = _apply_compound(toks, qty, factor)
        assert factor.tok.value is not None
        product = quantity * factor.tok.value
        notes.append(f"quantity {compound[0]} = {format(product.normalize(), 'f')}")
        quantity, unit = product, compound[1]
    for c in packs:
        if c.count_unit_idx is not None and unit is None:
            unit = toks[c.count_unit_idx].code
            toks[c.count_unit_idx].used = True
    if unit is None and per_unit is not None:
        unit = per_unit
    elif compound is not None:
        pass  # priced per one of its factors (or per person-day): the product is right
    elif unit is not None and per_unit is not None and per_unit != unit:
        flags.add(UNIT_MISMATCH)
        notes.append(f"quantity is in {unit} but the price is per {per_unit}")
    if unit is None:
        for t in toks:
            if t.kind == "UNIT" and not t.used:
                unit, t.used = t.code, True
                break

    for c in leftovers:  # "Rent for October 2025" keeps the year in the description
        prev = toks[c.idx - 1] if c.idx > 0 else None
        if prev is not None and prev.low in MONTH_NAMES:
            c.tok.kind = "WORD"
        else:
            c.tok.used = True
            flags.add(IGNORED_NUMBER)
            dropped.append(f"ignored the number {c.tok.text}: check the quantity and the total")

    unit_price: Decimal | None = None
    currency = default_currency
    if price_idx is not None:
        pt = toks[price_idx]
        assert pt.value is not None
        unit_price = pt.value
        currency = pt.currency or default_currency
        if pt.ambiguous:
            flags.add(AMBIGUOUS_NUMBER)
            notes.append(f"read {pt.text} as {pt.value}")
        if is_total and quantity:
            exact = unit_price / quantity
            rounded = quantize(exact, currency)
            if rounded != exact:
                flags.add(TOTAL_SPLIT)
                notes.append(f"total {unit_price} / {quantity} rounded to {rounded} per unit")
            unit_price = rounded.normalize() if rounded == exact else rounded

    description = _description(toks, packs)
    if not description and compound is not None:
        description = compound[0]
    if result.discount is not None and not description and qty is None and price_idx is None:
        result.discount_only = True
        return result
    if price_idx is None and qty is None and not description:
        return result
    if result.tax_note is not None and not description and qty is None and price_idx is None:
        return result
    result.line = RawLine(
        description=description,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        currency=currency,
        discount_percent=result.discount,
        flags=flags,
        notes=notes,
        warnings=dropped,
        segment=segment_text,
    )
    return result


def _per_codes(toks: list[Tok], per_unit: str | None) -> set[str]:
    """Every unit the price is said to be per: "800 per person per day" -> person, day."""
    codes = {per_unit} if per_unit else set()
    for i, t in enumerate(toks):
        if t.kind == "PER" and _kind(toks, i + 1) == "UNIT" and toks[i + 1].code:
            codes.add(toks[i + 1].code or "")
        elif t.kind == "PERUNIT" and t.code:
            codes.add(t.code)
    return codes


def _compound_factor(
    toks: list[Tok], qty: _Candidate, others: list[_Candidate], per_codes: set[str]
) -> _Candidate | None:
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
        counted = count.unit is not None or _kind(toks, count.idx + 1) == "WORD" or x_between
        time_unit = time.unit or ""
        per_ok = not per_codes or (
            time_unit in per_codes and per_codes <= {time_unit, count.unit or time_unit}
        )
        if counted and per_ok:
            return other
    return None


def _apply_compound(toks: list[Tok], qty: _Candidate, factor: _Candidate) -> tuple[str, str]:
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
        if t.kind == "PER" and _kind(toks, i + 1) == "UNIT" and toks[i + 1].code in units:
            t.used = toks[i + 1].used = True

    def shown(c: _Candidate) -> str:
        if c.unit_after:
            return f"{c.tok.text} {toks[c.idx + 1].text}"
        if c.unit_before:
            return f"{toks[c.idx - 1].text} {c.tok.text}"
        return c.tok.text

    first, second = sorted((qty, factor), key=lambda c: c.idx)
    time_unit = time.unit or ""
    unit = f"{count.unit}-{time_unit}" if count.unit else time_unit
    return f"{shown(first)} \u00d7 {shown(second)}", unit[:20]


def _money_like(t: Tok) -> bool:
    return t.multiplied or (t.parsed is not None and t.parsed.grouped)


def _description(toks: list[Tok], packs: list[_Candidate]) -> str:
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
        while words and _key(words[0]) in EDGE_STOPWORDS:
            words.pop(0)
        while words and _key(words[-1]) in EDGE_STOPWORDS:
            words.pop()
        if words:
            parts.append(" ".join(words))
    return " ".join(parts).strip(" -:\u2013\u2014")


# ----------------------------------------------------------------------- entry point
def extract(prompt: str, default_currency: str) -> ParseResult:
    """Prompt -> raw lines plus prompt-level notes. No history, no confidence yet."""
    text = strip_filler(normalise(prompt))
    three = minor_units(default_currency) == 3
    result = ParseResult(lines=[])
    pieces: list[tuple[list[Tok], str, bool, bool]] = []
    for seg in split_segments(text):
        runs = split_runs(tokenise(seg.text, three))
        for n, run in enumerate(runs):
            text_of_run = " ".join(t.text for t in run)
            pieces.append(
                (
                    run,
                    text_of_run,
                    seg.weak_before and n == 0,
                    seg.weak_after and n == len(runs) - 1,
                )
            )

    # a part with no number joined by a weak "and" is part of its neighbour's name
    # ("salt and pepper 2 kg"); a bare price part belongs to the item before it
    merged: list[tuple[list[Tok], str, bool, bool]] = []
    i = 0
    while i < len(pieces):
        toks, seg_text, weak_before, weak_after = pieces[i]
        has_num = any(t.kind in {"NUM", "NUMWORD", "PCT", "TAX", "DISC"} for t in toks)
        if not has_num and weak_after and i + 1 < len(pieces):
            nt, ntext, _, nweak_after = pieces[i + 1]
            joiner = Tok("WORD", "and")
            pieces[i + 1] = (
                [*toks, joiner, *nt],
                f"{seg_text} and {ntext}",
                weak_before,
                nweak_after,
            )
            i += 1
            continue
        merged.append((toks, seg_text, weak_before, weak_after))
        i += 1

    previous: RawLine | None = None
    for toks, seg_text, _, _ in merged:
        res = interpret(toks, default_currency, seg_text)
        if res.tax_note is not None:
            result.suggestions.append(
                f"tax mentioned in the prompt ({res.tax_note}) is not added as a line: "
                "taxes come from the business's tax rules"
            )
        if res.discount_only:
            result.invoice_discount_percent = res.discount
            continue
        line = res.line
        if line is None:
            if res.tax_note is None and seg_text.strip():
                result.unparsed.append(seg_text)
            continue
        # a part without a name completes the item before it:
        # "Hosting 12 months, KES 1,500 per month", "Mabati gauge 30, 20 pcs @ 780"
        if (
            not line.description
            and previous is not None
            and previous.unit_price is None
            and (QTY_GUESSED in line.flags or QTY_GUESSED in previous.flags)
        ):
            if line.unit_price is not None:
                previous.unit_price = line.unit_price
                previous.currency = line.currency
                previous.flags.discard(PRICE_GUESSED)
                previous.flags |= line.flags & {PRICE_GUESSED, AMBIGUOUS_NUMBER}
            if QTY_GUESSED in previous.flags and QTY_GUESSED not in line.flags:
                previous.quantity, previous.unit = line.quantity, line.unit
                previous.flags.discard(QTY_GUESSED)
            previous.unit = previous.unit or line.unit
            previous.discount_percent = previous.discount_percent or line.discount_percent
            previous.notes.extend(line.notes)
            previous.warnings.extend(line.warnings)
            previous.segment = f"{previous.segment}, {line.segment}"
            continue
        result.lines.append(line)
        previous = line

    if result.invoice_discount_percent is not None and len(result.lines) == 1:
        only = result.lines[0]
        if only.discount_percent is None:
            only.discount_percent = result.invoice_discount_percent
            result.invoice_discount_percent = None
    return result
