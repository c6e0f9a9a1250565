"""All SQL of statement emails: the sends asked for or due, the businesses that opted in
to the monthly statement, and the customers with activity in a period."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncSession

from domain.accounts.models import Business
from domain.core.repository import TenantRepository
from domain.invoicing.models import Invoice, Payment
from domain.notifications.models import StatementSend
from domain.notifications.template_models import NotificationSettings
from domain.purchases.models import Purchase


class StatementSendRepository(TenantRepository):
    """Statement sends are the business's own rows (the default policy)."""

    async def get(self, send_id: int) -> StatementSend | None:
        return await self.get_row(StatementSend, send_id)

    async def occurred(self, occurrence: str) -> set[int]:
        """The customers whose statement of this occurrence was made already."""
        rows = await self.s.scalars(
            self.readable(StatementSend, StatementSend.customer_id).where(
                StatementSend.occurrence == occurrence
            )
        )
        return set(rows.all())

    async def active_customers(
        self, start: date, end: date, start_at: datetime, end_at: datetime
    ) -> list[int]:
        """Customers with an invoice issued, a payment received or a counter purchase in
        the period (invoices by issue date, the others by time), in one statement."""
        business_id = self.viewer.require_business()
        invoices = select(Invoice.customer_id).where(
            Invoice.business_id == business_id,
            Invoice.issue_date >= start,
            Invoice.issue_date <= end,
        )
        payments = select(Payment.customer_id).where(
            Payment.business_id == business_id,
            Payment.received_at >= start_at,
            Payment.received_at < end_at,
        )
        purchases = select(Purchase.customer_id).where(
            Purchase.business_id == business_id,
            Purchase.purchased_at >= start_at,
            Purchase.purchased_at < end_at,
        )
        found = await self.s.scalars(union(invoices, payments, purchases))
        return sorted(int(c) for c in found.all())

    @staticmethod
    async def opted_in(session: AsyncSession) -> list[tuple[int, str]]:
        """The job's walk (a system read, no tenant): (business id, time zone) of the
        businesses that turned the monthly statement on."""
        stmt = (
            select(Business.id, Business.timezone)
            .join(NotificationSettings, NotificationSettings.business_id == Business.id)
            .where(NotificationSettings.monthly_statements.is_(True))
            .order_by(Business.id)
        )
        return [(int(b), str(tz)) for b, tz in (await session.execute(stmt)).all()]
