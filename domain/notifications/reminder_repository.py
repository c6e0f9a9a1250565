"""The SQL of payment reminders: the policy row, the daily job's batch reads and its
claim (one INSERT ... ON CONFLICT DO NOTHING RETURNING per business), the history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.accounts.models import Business
from domain.core.db import conflict_insert
from domain.core.repository import TenantRepository
from domain.customers.models import Customer
from domain.invoicing.models import Invoice
from domain.invoicing.repository import OPEN
from domain.notifications.reminder_models import InvoiceReminder, ReminderPolicyRow


@dataclass(frozen=True)
class Candidate:
    invoice: Invoice
    sent: int  # scheduled reminders already recorded
    last_on: date | None  # the date of the latest of them


class ReminderRepository(TenantRepository):
    """Reminder bookkeeping is the business's own (the default policy); the portal shows
    none."""

    @staticmethod
    async def businesses_after(
        session: AsyncSession, after: int, limit: int
    ) -> list[tuple[int, str, ReminderPolicyRow | None]]:
        """The job's walk (a system read, no tenant): businesses with an invoice still
        owed, with their time zone and policy row (None: the defaults)."""
        owed = (
            select(Invoice.business_id)
            .where(Invoice.business_id > after, Invoice.status.in_(OPEN), Invoice.balance > 0)
            .group_by(Invoice.business_id)
            .order_by(Invoice.business_id)
            .limit(limit)
            .subquery()
        )
        stmt = (
            select(Business.id, Business.timezone, ReminderPolicyRow)
            .join(owed, owed.c.business_id == Business.id)
            .outerjoin(ReminderPolicyRow, ReminderPolicyRow.business_id == Business.id)
            .order_by(Business.id)
        )
        return [(int(b), str(tz), p) for b, tz, p in (await session.execute(stmt)).all()]

    async def policy(self) -> ReminderPolicyRow | None:
        return await self.s.scalar(self.readable(ReminderPolicyRow))

    async def candidates(self, earliest_due: date, latest_due: date) -> list[Candidate]:
        """Owed invoices due in the window whose customer takes reminders, each with its
        count of scheduled reminders so far and the latest one's date (one statement)."""
        scheduled = (
            InvoiceReminder.invoice_id == Invoice.id,
            InvoiceReminder.manual.is_(False),
        )
        sent = select(func.count(InvoiceReminder.id)).where(*scheduled).scalar_subquery()
        last_on = select(func.max(InvoiceReminder.scheduled_on)).where(*scheduled)
        stmt = (
            self.readable(Invoice, Invoice, sent, last_on.scalar_subquery())
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(
                Invoice.status.in_(OPEN),
                Invoice.balance > 0,
                Invoice.due_date >= earliest_due,
                Invoice.due_date <= latest_due,
                Customer.reminders_enabled.is_(True),
            )
            .order_by(Invoice.id)
        )
        return [
            Candidate(i, int(n), date.fromisoformat(d) if isinstance(d, str) else d)
            for i, n, d in (await self.s.execute(stmt)).all()
        ]

    async def claim(self, rows: Sequence[dict[str, Any]]) -> list[InvoiceReminder]:
        """Records the reminders; the unique (invoice, date) key drops one a run before
        (or a concurrent run) recorded, and only the rows inserted here come back."""
        if not rows:
            return []
        business_id = self.viewer.require_business()
        stmt = (
            conflict_insert(self.s, InvoiceReminder)
            .values([{**r, "business_id": business_id} for r in rows])
            .on_conflict_do_nothing(index_elements=["invoice_id", "scheduled_on"])
            .returning(InvoiceReminder)
        )
        return list((await self.s.scalars(stmt)).all())

    async def for_invoices(self, invoice_ids: Sequence[int]) -> Sequence[InvoiceReminder]:
        """The reminders of these invoices, oldest first (one statement)."""
        if not invoice_ids:
            return []
        stmt = (
            self.readable(InvoiceReminder)
            .where(InvoiceReminder.invoice_id.in_(set(invoice_ids)))
            .order_by(InvoiceReminder.invoice_id, InvoiceReminder.id)
        )
        return (await self.s.scalars(stmt)).all()

    async def by_ids(self, ids: Sequence[int]) -> Sequence[InvoiceReminder]:
        stmt = self.readable(InvoiceReminder).where(InvoiceReminder.id.in_(set(ids)))
        return (await self.s.scalars(stmt)).all()

    async def still_owing(self, invoice_ids: Sequence[int]) -> dict[int, Invoice]:
        """The invoices as they are now in this transaction, of those still owed."""
        if not invoice_ids:
            return {}
        stmt = self.readable(Invoice).where(
            Invoice.id.in_(set(invoice_ids)), Invoice.status.in_(OPEN), Invoice.balance > 0
        )
        return {i.id: i for i in await self.s.scalars(stmt)}
