"""Prompt text before tokenising: normalised (digits, currency symbols, "R850",
"1 250,00", "4x"), filler stripped, split into item segments (newline ; , + and & na aur
plus)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .lexicon import FILLER_PATTERN, MULTIWORD_UNITS
from .numbers import ascii_digits

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
