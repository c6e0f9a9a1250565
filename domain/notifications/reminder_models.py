"""Payment reminders: each business's policy (when to remind) and one row per reminder
sent for an invoice. A scheduled reminder is unique per (invoice, business date it was
due on), so however many runs or workers reach it, it is recorded, and sent, once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import Base, IdType, id_column


class ReminderPolicyRow(Base):
    """A business's own policy; a business without a row has the defaults
    (domain/notifications/reminder_schedule.py)."""

    __tablename__ = "reminder_policies"

    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"), primary_key=True)
    enabled: Mapped[bool]
    days_before: Mapped[int]
    on_due_date: Mapped[bool]
    every_days_after: Mapped[int]
    max_reminders: Mapped[int]
    channels: Mapped[list[str]]
    updated_at: Mapped[datetime]


class InvoiceReminder(Base):
    """One reminder requested from the notification pipeline: `scheduled_on` is the
    business date of a scheduled occurrence (None for a manual `remindNow`), `occurrence`
    its number among the invoice's scheduled reminders."""

    __tablename__ = "invoice_reminders"
    __table_args__ = (
        UniqueConstraint("invoice_id", "scheduled_on"),
        Index("ix_invoice_reminders_business_id_invoice_id", "business_id", "invoice_id"),
    )

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType)
    invoice_id: Mapped[int] = mapped_column(IdType, ForeignKey("invoices.id"))
    scheduled_on: Mapped[date | None] = mapped_column(Date)
    occurrence: Mapped[int | None]
    manual: Mapped[bool]
    actor: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime]
