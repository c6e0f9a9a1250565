"""Reading the numbers people type: 1,200 / 1,20,000 (Indian) / 1.200,50 (European) /
89,90 (comma decimal) / 1 250,00 (space groups, joined by the caller) / Arabic-Indic and
Devanagari digits. Always Decimal, never float."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_WESTERN = re.compile(r"^\d{1,3}(?:,\d{3})+$")
_INDIAN = re.compile(r"^\d{1,2}(?:,\d{2})*,\d{3}$")
_COMMA_DECIMAL = re.compile(r"^\d+,\d{1,2}$")
_DOT_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3}){2,}$")
NUMBER_RE = re.compile(r"^\d+(?:[.,]\d+)*$")


@dataclass(frozen=True)
class ParsedNumber:
    value: Decimal
    grouped: bool  # written with thousands separators: reads like money, not a count
    ambiguous: bool  # e.g. "1.500" outside OMR: 1.5 or 1500?


def ascii_digits(text: str) -> str:
    """Arabic-Indic, Persian and Devanagari digits become ASCII; Arabic decimal and
    thousands separators become '.' and ','."""
    out: list[str] = []
    for ch in text:
        if ch.isdigit() and not ch.isascii():
            digit = unicodedata.decimal(ch, None)
            out.append(str(digit) if digit is not None else ch)
        elif ch == "\u066b":  # ARABIC DECIMAL SEPARATOR
            out.append(".")
        elif ch in "\u066c\u060c":  # ARABIC THOUSANDS SEPARATOR, ARABIC COMMA
            out.append(",")
        elif ch == "\u061b":  # ARABIC SEMICOLON
            out.append(";")
        else:
            out.append(ch)
    return "".join(out)


def _dec(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_number(raw: str, *, three_decimals: bool = False) -> ParsedNumber | None:
    """`three_decimals`: the currency has 3 minor units (OMR), so '2.750' is surely 2.75."""
    if not NUMBER_RE.match(raw):
        return None
    has_dot, has_comma = "." in raw, "," in raw
    if has_dot and has_comma:
        decimal_sep = "." if raw.rfind(".") > raw.rfind(",") else ","
        group_sep = "," if decimal_sep == "." else "."
        head, _, tail = raw.rpartition(decimal_sep)
        if decimal_sep in head:
            return None
        groups = head.split(group_sep)
        if any(not g for g in groups) or any(len(g) not in (2, 3) for g in groups[1:]):
            return None
        value = _dec("".join(groups) + "." + tail)
        return ParsedNumber(value, True, False) if value is not None else None
    if has_comma:
        if _WESTERN.match(raw) or _INDIAN.match(raw):
            value = _dec(raw.replace(",", ""))
            return ParsedNumber(value, True, False) if value is not None else None
        if _COMMA_DECIMAL.match(raw):
            value = _dec(raw.replace(",", "."))
            return ParsedNumber(value, False, False) if value is not None else None
        value = _dec(raw.replace(",", ""))
        return ParsedNumber(value, True, True) if value is not None else None
    if has_dot:
        if _DOT_THOUSANDS.match(raw):
            value = _dec(raw.replace(".", ""))
            return ParsedNumber(value, True, False) if value is not None else None
        if raw.count(".") > 1:
            return None
        whole, _, frac = raw.partition(".")
        value = _dec(raw)
        if value is None:
            return None
        ambiguous = len(frac) == 3 and not three_decimals and whole.strip("0") != ""
        return ParsedNumber(value, False, ambiguous)
    value = _dec(raw)
    return ParsedNumber(value, False, False) if value is not None else None
