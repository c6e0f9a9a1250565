"""What a parser (the rule engine or an LLM) reads from a prompt, before `checks.finalize`
adds history, catalogue checks, warnings and confidence: raw lines and their flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

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
