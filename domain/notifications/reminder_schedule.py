"""When an invoice's payment reminders fall, from the business's policy: N days before
the due date, on the due date, then every M days after, at most K in all. Pure date
arithmetic on the business's own calendar, so the job and the `Invoice.reminders` field
agree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from domain.core.codes import CoreCode
from domain.core.errors import ErrorCollector

CATCH_UP_DAYS = 3  # a run this late still sends the occurrence; an older one is skipped
CHANNELS = ("email", "sms")
LIMITS = {"days_before": (0, 60), "every_days_after": (0, 90), "max_reminders": (1, 20)}


@dataclass(frozen=True)
class ReminderPolicy:
    enabled: bool = True
    days_before: int = 3  # 0: no reminder before the due date
    on_due_date: bool = True
    every_days_after: int = 7  # 0: none after the due date
    max_reminders: int = 5
    channels: tuple[str, ...] = CHANNELS

    def check(self) -> None:
        """Every out-of-range field at once, as a ValidationFailed."""
        problems = ErrorCollector()
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if not low <= value <= high:
                field = "".join(p if i == 0 else p.title() for i, p in enumerate(name.split("_")))
                problems.add(field, f"must be {low}-{high}", CoreCode.OUT_OF_RANGE)
        if not self.channels or not set(self.channels) <= set(CHANNELS):
            problems.add("channels", "choose sms and/or email", CoreCode.INVALID_CHOICE)
        problems.raise_if_any()


def occurrences(policy: ReminderPolicy, due: date) -> list[date]:
    """The reminder dates of an invoice due on `due`, in order, at most K."""
    dates: list[date] = []
    if policy.days_before > 0:
        dates.append(due - timedelta(days=policy.days_before))
    if policy.on_due_date:
        dates.append(due)
    step = policy.every_days_after
    n = 1
    while step > 0 and len(dates) < policy.max_reminders:
        dates.append(due + timedelta(days=step * n))
        n += 1
    return dates[: policy.max_reminders]


def due_today(policy: ReminderPolicy, due: date, today: date, sent: int) -> date | None:
    """The occurrence a run on `today` sends: the latest one on or before today, when it
    is at most CATCH_UP_DAYS old and fewer than K were sent; else None."""
    if not policy.enabled or sent >= policy.max_reminders:
        return None
    passed = [d for d in occurrences(policy, due) if d <= today]
    if not passed or (today - passed[-1]).days > CATCH_UP_DAYS:
        return None
    return passed[-1]


def next_after(
    policy: ReminderPolicy, due: date, today: date, sent_on: Sequence[date]
) -> date | None:
    """The next date a reminder will go: today's if not yet sent, else a later one;
    None when disabled or all K were sent."""
    if not policy.enabled or len(sent_on) >= policy.max_reminders:
        return None
    for day in occurrences(policy, due):
        if day > today or (day == today and day not in sent_on):
            return day
    return None


def due_window(policy: ReminderPolicy, today: date) -> tuple[date, date]:
    """The due dates (earliest, latest) whose invoices may have a reminder due today: the
    job reads only those."""
    last_after = policy.every_days_after * policy.max_reminders
    return today - timedelta(days=last_after + CATCH_UP_DAYS), today + timedelta(
        days=policy.days_before
    )
