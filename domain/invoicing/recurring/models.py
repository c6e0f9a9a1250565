"""A recurring schedule (rule, template, state) and the occurrences it has produced.

The occurrence row is the exactly-once guard: (schedule, occurrence date) is unique and
the row is written in the transaction that issues the invoice, so two workers or a
re-run can never issue the same occurrence twice."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import Base, IdType, MoneyColumn, id_column


class Frequency(StrEnum):
    WEEKLY = "weekly"  # every `interval` weeks on `weekday`
    MONTHLY = "monthly"  # every `interval` months on `day_of_month` (clamped)


class ScheduleStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class RecurringSchedule(Base):
    __tablename__ = "recurring_schedules"
    __table_args__ = (
        Index("ix_recurring_schedules_business_customer", "business_id", "customer_id", "id"),
        Index("ix_recurring_schedules_status_next_date", "status", "next_date"),
    )

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType, ForeignKey("businesses.id"))
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    frequency: Mapped[str] = mapped_column(String(10))
    interval: Mapped[int]
    weekday: Mapped[int | None]  # 0 = Monday (weekly)
    day_of_month: Mapped[int | None]  # 1-31 (monthly; past the month's end: its last day)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    max_count: Mapped[int | None]
    created_count: Mapped[int] = mapped_column(default=0)
    last_date: Mapped[date | None] = mapped_column(Date)  # the last occurrence issued
    next_date: Mapped[date | None] = mapped_column(Date)  # None once ended
    status: Mapped[str] = mapped_column(String(10), default=ScheduleStatus.ACTIVE)
    template: Mapped[dict[str, Any]]  # the invoice's lines and options, as JSON
    estimated_total: Mapped[Decimal] = mapped_column(MoneyColumn())
    currency: Mapped[str] = mapped_column(String(3))
    send_on_create: Mapped[bool] = mapped_column(default=False)
    send_channels: Mapped[list[str]]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RecurringOccurrence(Base):
    __tablename__ = "recurring_occurrences"
    __table_args__ = (
        UniqueConstraint("schedule_id", "occurrence_date"),
        Index("ix_recurring_occurrences_business_invoice", "business_id", "invoice_id"),
    )

    id: Mapped[int] = id_column()
    business_id: Mapped[int] = mapped_column(IdType)
    schedule_id: Mapped[int] = mapped_column(IdType)  # no FK: deleting a schedule keeps none
    occurrence_date: Mapped[date] = mapped_column(Date)
    invoice_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("invoices.id"))
    created_at: Mapped[datetime]
