"""A recurring pattern found by `suggestInvoices`, turned into a schedule's input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.core.errors import NotFound
from domain.core.tx import Tx
from domain.invoicing import service as invoicing
from domain.invoicing.draft_generation import suggest_invoices
from domain.invoicing.recurring.calendar import Rule
from domain.invoicing.recurring.models import Frequency
from domain.invoicing.recurring.service import ScheduleData

# the suggestion's cadence as a rule: (frequency, interval)
CADENCE_RULES = {
    "weekly": (Frequency.WEEKLY, 1),
    "fortnightly": (Frequency.WEEKLY, 2),
    "monthly": (Frequency.MONTHLY, 1),
    "quarterly": (Frequency.MONTHLY, 3),
}


async def prefilled(tx: Tx, customer_id: int, key: str, start_date: date | None) -> ScheduleData:
    """The schedule the suggestion `key` describes: its lines at the last prices, its
    cadence, on the weekday or day of month of its next date, starting on that date (or,
    when it has passed, on the pattern's first date from today)."""
    found = {s.key: s for s in await suggest_invoices(tx, customer_id)}
    suggestion = found.get(key)
    if suggestion is None or suggestion.cadence not in CADENCE_RULES:
        raise NotFound("suggestion", key)
    frequency, interval = CADENCE_RULES[suggestion.cadence]
    anchor = suggestion.next_date
    weekday = anchor.weekday() if frequency is Frequency.WEEKLY else None
    day = anchor.day if frequency is Frequency.MONTHLY else None
    if start_date is None:
        today = invoicing.business_today(await invoicing.load_business(tx), tx.now())
        start_date = Rule(frequency, interval, anchor, weekday, day).on_or_after(today)
    return ScheduleData(
        customer_id=customer_id,
        frequency=frequency,
        interval=interval,
        weekday=weekday,
        day_of_month=day,
        start_date=start_date,
        lines=[
            invoicing.LineData(
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price if line.unit_price is not None else Decimal(0),
                unit=line.unit,
                discount_percent=line.discount_percent,
                tax_rate=line.tax_rate,
            )
            for line in suggestion.lines
        ],
    )
