"""The reminder schedule's date arithmetic: before, on and after the due date, at most K,
a late run still sending within the catch-up window, and the next date shown."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.core.errors import ValidationFailed
from domain.notifications.reminder_schedule import (
    CATCH_UP_DAYS,
    ReminderPolicy,
    due_today,
    next_after,
    occurrences,
)

DUE = date(2026, 3, 10)


def day(offset: int) -> date:
    return DUE + timedelta(days=offset)


def test_default_policy_dates() -> None:
    assert occurrences(ReminderPolicy(), DUE) == [day(-3), day(0), day(7), day(14), day(21)]


def test_at_most_k_counts_before_and_on_due() -> None:
    policy = ReminderPolicy(days_before=2, on_due_date=True, every_days_after=3, max_reminders=3)
    assert occurrences(policy, DUE) == [day(-2), day(0), day(3)]
    only_after = ReminderPolicy(days_before=0, on_due_date=False, every_days_after=5)
    assert occurrences(only_after, DUE) == [day(5), day(10), day(15), day(20), day(25)]
    none_after = ReminderPolicy(every_days_after=0, max_reminders=9)
    assert occurrences(none_after, DUE) == [day(-3), day(0)]


def test_due_today_picks_the_latest_passed_occurrence() -> None:
    p = ReminderPolicy()
    assert due_today(p, DUE, day(-4), 0) is None  # before the first
    assert due_today(p, DUE, day(-3), 0) == day(-3)
    assert due_today(p, DUE, day(-1), 1) == day(-3)  # within catch-up: the key dedups it
    assert due_today(p, DUE, day(0), 1) == day(0)
    assert due_today(p, DUE, day(7), 2) == day(7)
    # a run late by CATCH_UP_DAYS still sends; later than that it is skipped
    assert due_today(p, DUE, day(7 + CATCH_UP_DAYS), 2) == day(7)
    assert due_today(p, DUE, day(8 + CATCH_UP_DAYS), 2) is None
    assert due_today(p, DUE, day(21), 5) is None  # K sent
    assert due_today(ReminderPolicy(enabled=False), DUE, day(0), 0) is None


def test_next_after() -> None:
    p = ReminderPolicy()
    assert next_after(p, DUE, day(-10), []) == day(-3)
    assert next_after(p, DUE, day(-3), []) == day(-3)  # today's, not yet sent
    assert next_after(p, DUE, day(-3), [day(-3)]) == day(0)
    assert next_after(p, DUE, day(15), [day(-3), day(0), day(7), day(14)]) == day(21)
    assert next_after(p, DUE, day(22), [day(-3), day(0), day(7), day(14), day(21)]) is None
    assert next_after(ReminderPolicy(enabled=False), DUE, day(-10), []) is None


def test_policy_limits_are_checked_together() -> None:
    with pytest.raises(ValidationFailed) as caught:
        ReminderPolicy(days_before=-1, max_reminders=0, channels=("fax",)).check()
    assert sorted(e.field for e in caught.value.errors) == [
        "channels",
        "daysBefore",
        "maxReminders",
    ]
