"""All SQL of recurring schedules and their occurrences, through one read policy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.accounts.models import Business
from domain.core.db import conflict_insert
from domain.core.repository import TenantRepository
from domain.invoicing.models import Invoice
from domain.invoicing.recurring.models import (
    RecurringOccurrence,
    RecurringSchedule,
    ScheduleStatus,
)


class RecurringRepository(TenantRepository):
    """Schedules and occurrences are the business's own; the due scan (a system actor
    with no business) finds a schedule by id across businesses."""

    system_reads_across = True

    async def page(
        self,
        limit: int,
        after_id: int | None,
        customer_id: int | None = None,
        statuses: Sequence[str] = (),
    ) -> tuple[Sequence[RecurringSchedule], bool]:
        """Newest first, keyset on the id."""
        stmt = self.readable(RecurringSchedule)
        if after_id is not None:
            stmt = stmt.where(RecurringSchedule.id < after_id)
        if customer_id is not None:
            stmt = stmt.where(RecurringSchedule.customer_id == customer_id)
        if statuses:
            stmt = stmt.where(RecurringSchedule.status.in_(statuses))
        rows = (
            await self.s.scalars(stmt.order_by(RecurringSchedule.id.desc()).limit(limit + 1))
        ).all()
        return rows[:limit], len(rows) > limit

    async def for_customers(self, customer_ids: Sequence[int]) -> Sequence[RecurringSchedule]:
        stmt = (
            self.readable(RecurringSchedule)
            .where(RecurringSchedule.customer_id.in_(set(customer_ids)))
            .order_by(RecurringSchedule.id.desc())
        )
        return (await self.s.scalars(stmt)).all()

    async def invoices_of(self, schedule_ids: Sequence[int]) -> Sequence[tuple[int, Invoice]]:
        """(schedule id, invoice) of every occurrence of the schedules, newest first."""
        stmt = (
            select(RecurringOccurrence.schedule_id, Invoice)
            .join(Invoice, Invoice.id == RecurringOccurrence.invoice_id)
            .where(
                self.read_policy(RecurringOccurrence),
                RecurringOccurrence.schedule_id.in_(set(schedule_ids)),
            )
            .order_by(RecurringOccurrence.occurrence_date.desc(), RecurringOccurrence.id.desc())
        )
        return [(int(s), i) for s, i in (await self.s.execute(stmt)).all()]

    async def claim_occurrence(
        self, schedule: RecurringSchedule, on: date, now: datetime
    ) -> int | None:
        """Insert the (schedule, date) row; None when it exists already (an earlier run, or
        a concurrent one whose transaction has committed)."""
        stmt = (
            conflict_insert(self.s, RecurringOccurrence)
            .values(
                business_id=schedule.business_id,
                schedule_id=schedule.id,
                occurrence_date=on,
                invoice_id=None,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["schedule_id", "occurrence_date"])
            .returning(RecurringOccurrence.id)
        )
        return (await self.s.execute(stmt)).scalar_one_or_none()

    async def link_invoice(self, occurrence_id: int, invoice_id: int) -> None:
        await self.s.execute(
            update(RecurringOccurrence)
            .where(RecurringOccurrence.id == occurrence_id)
            .values(invoice_id=invoice_id)
            .execution_options(synchronize_session=False)
        )

    async def move_customer(self, source_id: int, target_id: int) -> int:
        """A merge: the source customer's schedules bill the target from now on."""
        result = await self.s.execute(
            update(RecurringSchedule)
            .where(
                self.read_policy(RecurringSchedule),
                RecurringSchedule.customer_id == source_id,
            )
            .values(customer_id=target_id)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete(self, schedule: RecurringSchedule) -> None:
        """The schedule and its occurrence rows; the invoices it issued stay."""
        await self.s.execute(
            delete(RecurringOccurrence)
            .where(
                self.read_policy(RecurringOccurrence),
                RecurringOccurrence.schedule_id == schedule.id,
            )
            .execution_options(synchronize_session=False)
        )
        await self.s.delete(schedule)
        await self.s.flush()

    @staticmethod
    async def due_after(
        session: AsyncSession, after: int, up_to: date, limit: int
    ) -> list[tuple[int, int, str, date]]:
        """The scan's walk (a system read, no tenant): (schedule id, business id, time
        zone, next date) of active schedules whose next date is at most `up_to` (the
        latest date any zone can be on), by id."""
        stmt = (
            select(
                RecurringSchedule.id,
                RecurringSchedule.business_id,
                Business.timezone,
                RecurringSchedule.next_date,
            )
            .join(Business, Business.id == RecurringSchedule.business_id)
            .where(
                RecurringSchedule.id > after,
                RecurringSchedule.status == ScheduleStatus.ACTIVE,
                RecurringSchedule.next_date <= up_to,
            )
            .order_by(RecurringSchedule.id)
            .limit(limit)
        )
        return [
            (int(i), int(b), str(tz), d if isinstance(d, date) else date.fromisoformat(str(d)))
            for i, b, tz, d in (await session.execute(stmt)).all()
        ]
