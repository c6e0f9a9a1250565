"""`parse_prompt`: the offline drafting engine's entry point."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from .checks import finalize
from .models import DraftProposal
from .rules import extract


def parse_prompt(
    prompt: str,
    *,
    currency: str,
    history: Mapping[str, Decimal] | None = None,
    known_items: Sequence[str] = (),
) -> DraftProposal:
    """Turn a plain-language prompt into proposed invoice lines.

    `currency` is the invoice's default (business or customer) currency; a currency written
    in the prompt wins for its line. `history` maps item descriptions to this customer's
    last unit price and fills missing prices; `known_items` (the business's catalogue) lets
    the engine flag unknown items. Totals are not computed here: the caller recomputes them.
    """
    currency = currency.upper()
    parsed = extract(prompt, currency)
    return finalize(parsed, currency=currency, history=history, known_items=known_items)
