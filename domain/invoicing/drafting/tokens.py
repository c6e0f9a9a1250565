"""Tokens of one item segment: numbers, currencies, units, multipliers and the small
words that give a number its role ("@", "each", "per", "total", "off", "GST"...). Which
kind a word is can depend on its neighbours ("a dozen", "150 rand an hour", "2 bgas")."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from decimal import Decimal

from .lexicon import (
    AT_WORDS,
    CURRENCY_ALIASES,
    DISCOUNT_WORDS,
    EACH_WORDS,
    NUMBER_WORDS,
    PER_UNIT_WORDS,
    PER_WORDS,
    PREFIX_MULTIPLIERS,
    SUFFIX_MULTIPLIERS,
    TAX_WORDS,
    TOTAL_WORDS,
    UNIT_ALIASES,
    WEAK_CURRENCY_ALIASES,
    WEAK_NUMBER_WORDS,
    WEAK_UNIT_ALIASES,
    X_WORDS,
)
from .numbers import ParsedNumber, parse_number


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
        return key(self.text)


def key(text: str) -> str:
    return text.lower().strip(".,:;!?\"'()[]")


_NUM_CHUNK = re.compile(r"^(?P<pre>[^\d]*?)(?P<num>\d+(?:[.,]\d+)*)(?P<post>.*)$")
_STRONG_UNIT_ALIASES = sorted(a for a in UNIT_ALIASES if a not in WEAK_UNIT_ALIASES and len(a) >= 3)


def _currency(low: str) -> tuple[str, Decimal] | None:
    return CURRENCY_ALIASES.get(low) or CURRENCY_ALIASES.get(low.rstrip("."))


def fuzzy_unit(low: str) -> str | None:
    if len(low) < 4 or not low.isalpha():
        return None
    letters = sorted(low)
    for alias in _STRONG_UNIT_ALIASES:
        if len(alias) == len(low) and sorted(alias) == letters:
            return UNIT_ALIASES[alias]
    close = difflib.get_close_matches(low, _STRONG_UNIT_ALIASES, n=1, cutoff=0.8)
    return UNIT_ALIASES[close[0]] if close else None


def _word_token(text: str) -> Tok:
    low = key(text)
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
        post_key = key(post)
        pre_key = key(pre)
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
        consumed = _apply_multiplier(t, nxt, prev, out)
        if consumed:
            i += consumed
            continue
        _settle_number_word(t, nxt, out)
        _settle_per(t, nxt, prev)
        _settle_unit_and_currency(t, nxt, prev)
        out.append(t)
        i += 1
    return out


def _apply_multiplier(t: Tok, nxt: Tok | None, prev: Tok | None, out: list[Tok]) -> int:
    """A multiplier folds into its number ("5 thousand", "elfu 2"). Answers how many
    tokens that consumed: 0 when none (a multiplier without its number is a word)."""
    if t.kind == "MULT" and prev is not None and prev.kind == "NUM" and prev.value is not None:
        prev.value *= t.value or 1
        prev.multiplied = True
        return 1
    if t.kind == "MULT":
        t.kind = "WORD"
    if t.kind == "PMULT" and nxt is not None and nxt.kind in {"NUM", "NUMWORD"}:
        assert nxt.value is not None and t.value is not None
        out.append(Tok("NUM", f"{t.text} {nxt.text}", value=nxt.value * t.value, multiplied=True))
        return 2
    if t.kind == "PMULT":
        t.kind = "WORD"
    return 0


def _settle_number_word(t: Tok, nxt: Tok | None, out: list[Tok]) -> None:
    if t.kind != "NUMWORD":
        return
    next_is_unit = nxt is not None and (
        nxt.kind == "UNIT" or (nxt.kind == "WORD" and nxt.low in UNIT_ALIASES)
    )
    if t.low not in WEAK_NUMBER_WORDS or next_is_unit or not out:
        t.kind = "NUM"
        t.from_word = True
    else:
        t.kind = "WORD"


def _settle_per(t: Tok, nxt: Tok | None, prev: Tok | None) -> None:
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


def _settle_unit_and_currency(t: Tok, nxt: Tok | None, prev: Tok | None) -> None:
    if t.kind == "UNIT" and t.low in WEAK_UNIT_ALIASES and (prev is None or prev.kind != "NUM"):
        t.kind = "WORD"
    if t.kind == "WORD" and prev is not None and prev.kind == "NUM":
        fuzzy = fuzzy_unit(t.low)
        if fuzzy is not None:
            t.kind, t.code, t.fuzzy = "UNIT", fuzzy, True
    if t.kind == "CUR" and t.low.rstrip(".") in WEAK_CURRENCY_ALIASES:
        near_num = (prev is not None and prev.kind == "NUM") or (
            nxt is not None and nxt.kind == "NUM"
        )
        if not near_num:
            t.kind = "WORD"


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
