"""What a drafting parser proposes. Plain data: the draft service turns it into draft lines,
recomputes every total itself and never trusts an amount from the parser."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

PriceSource = Literal["prompt", "history"]


@dataclass
class ProposedLine:
    description: str
    quantity: Decimal
    unit: str | None
    unit_price: Decimal | None
    currency: str
    discount_percent: Decimal | None = None
    price_source: PriceSource | None = None


@dataclass
class DraftProposal:
    lines: list[ProposedLine]
    invoice_discount_percent: Decimal | None
    currency: str
    confidence: float
    warnings: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    source: Literal["rules", "llm"] = "rules"

    def net_total(self) -> Decimal:
        """Sum of priced lines after line and invoice discounts, before tax (unrounded)."""
        total = sum((line_net(line) for line in self.lines), Decimal(0))
        if self.invoice_discount_percent:
            total -= total * self.invoice_discount_percent / 100
        return total


def line_net(line: ProposedLine) -> Decimal:
    if line.unit_price is None:
        return Decimal(0)
    gross = line.quantity * line.unit_price
    if line.discount_percent:
        gross -= gross * line.discount_percent / 100
    return gross
