"""How many SMS a text costs: GSM-7 when every character is in the GSM 03.38 alphabet
(its extension table — `^{}\\[~]|€` and form feed — costs two septets each), UCS-2
otherwise. One message holds 160 septets or 70 UTF-16 units; a longer text is split into
parts of 153 septets or 67 units (the rest is the concatenation header). A part never
ends between the two septets of an extension character or the two halves of a surrogate
pair (emoji): the whole character moves to the next part, as the handsets require."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Encoding(StrEnum):
    GSM_7 = "GSM-7"
    UCS_2 = "UCS-2"


GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")

# (single message, per part of a concatenated message), in septets or UTF-16 units
LIMITS = {Encoding.GSM_7: (160, 153), Encoding.UCS_2: (70, 67)}


@dataclass(frozen=True)
class SegmentCount:
    encoding: Encoding
    characters: int  # what a person counts: code points
    units: int  # what the network counts: septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # the limit that applied: 160/153 or 70/67

    @property
    def free_in_last(self) -> int:
        """Units left in the last part before one more character costs another SMS
        (approximate when the last part was packed around a two-unit character)."""
        if self.segments == 0:
            return self.per_segment
        return self.segments * self.per_segment - self.units


def is_gsm7(text: str) -> bool:
    return all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text)


def unit_sizes(text: str, encoding: Encoding) -> list[int]:
    """Per character: septets (1, or 2 for the extension table) or UTF-16 units (1, or 2
    outside the Basic Multilingual Plane)."""
    if encoding is Encoding.GSM_7:
        return [2 if ch in GSM_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def count(text: str) -> SegmentCount:
    encoding = Encoding.GSM_7 if is_gsm7(text) else Encoding.UCS_2
    sizes = unit_sizes(text, encoding)
    units = sum(sizes)
    single, part = LIMITS[encoding]
    if units == 0:
        return SegmentCount(encoding, 0, 0, 0, single)
    if units <= single:
        return SegmentCount(encoding, len(text), units, 1, single)
    return SegmentCount(encoding, len(text), units, _parts(sizes, part), part)


def _parts(sizes: list[int], part: int) -> int:
    """Parts of `part` units each, packed character by character (a character never
    straddles two parts)."""
    parts, used = 1, 0
    for size in sizes:
        if used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts
