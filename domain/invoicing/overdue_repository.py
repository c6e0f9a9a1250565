"""The SQL of the daily `invoice.overdue` job: which businesses may have invoices to
announce, and one UPDATE ... RETURNING per business that marks them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.customers.models import Customer
from domain.invoicing.models import Invoice
from domain.invoicing.repository import OPEN, InvoiceRepository


class OverdueRepository(InvoiceRepository):
    @staticmethod
    async def business_ids_after(
        session: AsyncSession, after: int, latest_due: date, limit: int
    ) -> list[int]:
        """The job's walk (a system read, no tenant): businesses with an open invoice not
        yet announced and due on or before `latest_due` (no time zone's today is later
        than UTC's tomorrow, so nothing overdue anywhere is left out)."""
        stmt = (
            select(Invoice.business_id)
            .where(
                Invoice.business_id > after,
                Invoice.status.in_(OPEN),
                Invoice.overdue_announced_on.is_(None),
                Invoice.due_date <= latest_due,
            )
            .group_by(Invoice.business_id)
            .order_by(Invoice.business_id)
            .limit(limit)
        )
        return list((await session.execute(stmt)).scalars())

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

    async def customers(self, ids: Sequence[int]) -> dict[int, Customer]:
        """The announced invoices' customers, for the event payloads (one query)."""
        if not ids:
            return {}
        rows = await self.s.scalars(self.readable(Customer).where(Customer.id.in_(set(ids))))
        return {c.id: c for c in rows}
