"""What a typed search term means: an email, a customer number, a phone (any format or
its last 4+ digits) or a piece of a name."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.core.contact import looks_like_phone, phone_digits, try_normalize_phone

_NUMBER = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,9}-\d{1,12}$")
MAX_TERM = 100


@dataclass(frozen=True)
class TermKind:
    email: str | None = None
    number: str | None = None
    e164: str | None = None
    digits_rev: str | None = None
    name: str | None = None


def classify(term: str, region: str) -> TermKind:
    text = term.strip()[:MAX_TERM]
    if "@" in text:
        return TermKind(email=text.lower())
    if _NUMBER.match(text):
        return TermKind(number=text.upper(), name=text.casefold())
    if looks_like_phone(text):
        digits = phone_digits(text)
        e164 = try_normalize_phone(text, region) if len(digits) >= 6 else None
        return TermKind(e164=e164, digits_rev=digits[::-1])
    return TermKind(name=text.casefold())
