"""The SQL of the daily `invoice.overdue` job: which businesses have invoices to
announce, and one UPDATE ... RETURNING per business that marks them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.accounts.models import Business
from domain.invoicing.models import Invoice
from domain.invoicing.repository import OPEN, InvoiceRepository


class OverdueRepository(InvoiceRepository):
    @staticmethod
    async def candidates_after(
        session: AsyncSession, after: int, limit: int
    ) -> list[tuple[int, str, date]]:
        """The job's walk (a system read, no tenant): (business id, time zone, earliest
        due date) of the businesses with an open invoice not yet announced, so the job
        opens a write transaction only where its own today makes one overdue."""
        stmt = (
            select(Invoice.business_id, Business.timezone, func.min(Invoice.due_date))
            .join(Business, Business.id == Invoice.business_id)
            .where(
                Invoice.business_id > after,
                Invoice.status.in_(OPEN),
                Invoice.overdue_announced_on.is_(None),
            )
            .group_by(Invoice.business_id, Business.timezone)
            .order_by(Invoice.business_id)
            .limit(limit)
        )
        return [
            (int(b), str(tz), date.fromisoformat(d) if isinstance(d, str) else d)
            for b, tz, d in (await session.execute(stmt)).all()
        ]

    async def announce_overdue(self, today: date) -> Sequence[Invoice]:
        """Marks every open invoice of the business past its due date on `today` (the
        business's own date) as announced, and returns them. The `IS NULL` condition
        makes it idempotent, also when two runs overlap: a row is marked by one only."""
        stmt = (
            update(Invoice)
            .where(
                self.read_policy(Invoice),
                Invoice.status.in_(OPEN),
                Invoice.overdue_announced_on.is_(None),
                Invoice.due_date < today,
            )
            .values(overdue_announced_on=today)
            .returning(Invoice)
            .execution_options(synchronize_session=False)
        )
        return (await self.s.scalars(stmt)).all()
