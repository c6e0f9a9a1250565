"""Payment reminders in the schema: the business's policy, an invoice's reminder history,
and the inputs and payloads of their mutations."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from domain.notifications.reminder_models import InvoiceReminder as ReminderRow
from domain.notifications.reminder_schedule import ReminderPolicy as Policy
from domain.notifications.vocabulary import Channel
from schema.relay import to_global_id


@strawberry.type(description="When invoices get payment reminders (each business its own).")
class ReminderPolicy:
    enabled: bool
    days_before: int = strawberry.field(description="Days before the due date; 0: none.")
    on_due_date: bool
    every_days_after: int = strawberry.field(description="Then every N days after; 0: none.")
    max_reminders: int = strawberry.field(description="At most this many scheduled reminders.")
    channels: list[Channel]

    @classmethod
    def of(cls, p: Policy) -> ReminderPolicy:
        return cls(
            enabled=p.enabled,
            days_before=p.days_before,
            on_due_date=p.on_due_date,
            every_days_after=p.every_days_after,
            max_reminders=p.max_reminders,
            channels=[Channel(c) for c in p.channels],
        )


@strawberry.type
class InvoiceReminder:
    id: strawberry.ID
    manual: bool = strawberry.field(description="Sent by remindNow, outside the schedule.")
    occurrence: int | None = strawberry.field(description="Its number in the schedule.")
    scheduled_on: date | None = strawberry.field(description="The business date it was for.")
    actor: str
    at: datetime

    @classmethod
    def of(cls, r: ReminderRow) -> InvoiceReminder:
        return cls(
            id=strawberry.ID(to_global_id("InvoiceReminder", r.id)),
            manual=r.manual,
            occurrence=r.occurrence,
            scheduled_on=r.scheduled_on,
            actor=r.actor,
            at=r.created_at,
        )


@strawberry.type(description="An invoice's payment reminders; delivery is on the ledger.")
class InvoiceReminders:
    sent_count: int = strawberry.field(description="Reminders sent (scheduled and manual).")
    last_reminded_at: datetime | None
    next_reminder_on: date | None = strawberry.field(
        description="The business date of the next scheduled one; null when none will go."
    )
    history: list[InvoiceReminder]


POLICY_FIELDS = ("enabled", "days_before", "on_due_date", "every_days_after", "max_reminders")


@strawberry.input(description="Fields left out keep their value.")
class UpdateReminderPolicyInput:
    enabled: bool | None = None
    days_before: int | None = None
    on_due_date: bool | None = None
    every_days_after: int | None = None
    max_reminders: int | None = None
    channels: list[Channel] | None = None

    def apply(self, current: Policy) -> Policy:
        changes = {
            name: getattr(self, name) for name in POLICY_FIELDS if getattr(self, name) is not None
        }
        if self.channels is not None:
            changes["channels"] = tuple(c.value for c in self.channels)
        return Policy(**{**current.__dict__, **changes})


@strawberry.type
class ReminderPolicyPayload:
    policy: ReminderPolicy


@strawberry.input
class RemindNowInput:
    invoice_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(
        default=None, description="The same key replays the first reminder."
    )
