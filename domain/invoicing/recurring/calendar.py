"""Occurrence dates of a recurring rule, as business-local calendar dates.

Every occurrence is computed from the rule's anchor by its index, never from the
previous occurrence, so a monthly rule on the 31st goes Jan 31 -> Feb 28 (29 in a leap
year) -> Mar 31: the clamp of a short month does not stick. Time zones do not enter
here: a date is due once the business's own today reaches it (see scan.py)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from domain.invoicing.recurring.models import Frequency


@dataclass(frozen=True)
class Rule:
    frequency: Frequency
    interval: int
    start: date
    weekday: int | None = None  # 0 = Monday
    day_of_month: int | None = None  # 1-31

    def nth(self, n: int) -> date:
        """The n-th occurrence (0-based) on or after the start date."""
        if self.frequency is Frequency.WEEKLY:
            assert self.weekday is not None
            first = self.start + timedelta(days=(self.weekday - self.start.weekday()) % 7)
            return first + timedelta(weeks=self.interval * n)
        assert self.day_of_month is not None
        months = self._first_month() + self.interval * n
        return clamped(months // 12, months % 12 + 1, self.day_of_month)

    def on_or_after(self, day: date) -> date:
        """The first occurrence on or after `day`."""
        n = max(0, self._index_near(day))
        while n > 0 and self.nth(n - 1) >= day:
            n -= 1
        while self.nth(n) < day:
            n += 1
        return self.nth(n)

    def after(self, day: date) -> date:
        return self.on_or_after(day + timedelta(days=1))

    def _first_month(self) -> int:
        """Months since year 0 of the first occurrence: the start's month, or the next
        when the (clamped) day is already past in it."""
        assert self.day_of_month is not None
        months = self.start.year * 12 + self.start.month - 1
        if clamped(self.start.year, self.start.month, self.day_of_month) < self.start:
            months += 1
        return months

    def _index_near(self, day: date) -> int:
        """An index close to the one of `day` (on_or_after corrects it by a step or two)."""
        if self.frequency is Frequency.WEEKLY:
            return (day - self.start).days // (7 * self.interval)
        return (day.year * 12 + day.month - 1 - self._first_month()) // self.interval


def clamped(year: int, month: int, day: int) -> date:
    """`day` of the month, or the month's last day when it has fewer days."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))
