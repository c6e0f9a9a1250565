"""Occurrence dates of recurring rules: month ends clamp without drifting, leap years,
every N months, weekly on a weekday, and finding the next date from any day."""

from __future__ import annotations

from datetime import date

from domain.invoicing.recurring.calendar import Rule
from domain.invoicing.recurring.models import Frequency

MONTHLY, WEEKLY = Frequency.MONTHLY, Frequency.WEEKLY


def test_the_31st_falls_on_the_last_day_of_short_months_and_comes_back() -> None:
    rule = Rule(MONTHLY, 1, date(2027, 1, 31), day_of_month=31)
    assert [rule.nth(n) for n in range(5)] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]
    leap = Rule(MONTHLY, 1, date(2028, 1, 31), day_of_month=31)
    assert [leap.nth(n) for n in range(3)] == [
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
    ]
    assert rule.after(date(2027, 1, 31)) == date(2027, 2, 28)
    assert rule.after(date(2027, 2, 28)) == date(2027, 3, 31)


def test_a_start_past_the_day_begins_next_month_and_every_n_months_skips() -> None:
    rule = Rule(MONTHLY, 3, date(2027, 1, 20), day_of_month=15)
    assert [rule.nth(n) for n in range(3)] == [
        date(2027, 2, 15),
        date(2027, 5, 15),
        date(2027, 8, 15),
    ]
    assert rule.on_or_after(date(2027, 5, 15)) == date(2027, 5, 15)
    assert rule.on_or_after(date(2027, 5, 16)) == date(2027, 8, 15)
    assert rule.on_or_after(date(2020, 1, 1)) == date(2027, 2, 15)  # never before the start
    across_years = Rule(MONTHLY, 5, date(2027, 11, 30), day_of_month=30)
    assert [across_years.nth(n) for n in range(3)] == [
        date(2027, 11, 30),
        date(2028, 4, 30),
        date(2028, 9, 30),
    ]


def test_weekly_on_a_weekday_and_fortnightly() -> None:
    # 2027-03-03 is a Wednesday; Friday is weekday 4
    rule = Rule(WEEKLY, 1, date(2027, 3, 3), weekday=4)
    assert [rule.nth(n) for n in range(3)] == [
        date(2027, 3, 5),
        date(2027, 3, 12),
        date(2027, 3, 19),
    ]
    fortnightly = Rule(WEEKLY, 2, date(2027, 3, 5), weekday=4)
    assert fortnightly.on_or_after(date(2027, 3, 6)) == date(2027, 3, 19)
    assert fortnightly.after(date(2027, 3, 19)) == date(2027, 4, 2)
    assert fortnightly.on_or_after(date(2027, 12, 31)).weekday() == 4


def test_on_or_after_agrees_with_walking_every_occurrence() -> None:
    rules = [
        Rule(MONTHLY, 1, date(2027, 1, 29), day_of_month=29),
        Rule(MONTHLY, 2, date(2027, 1, 31), day_of_month=31),
        Rule(WEEKLY, 3, date(2027, 1, 1), weekday=6),
    ]
    for rule in rules:
        dates = [rule.nth(n) for n in range(40)]
        assert dates == sorted(set(dates))
        for day in (date(2027, 1, 1), date(2027, 2, 28), date(2027, 6, 30), date(2028, 2, 29)):
            assert rule.on_or_after(day) == next(d for d in dates if d >= day)
