"""The SQL of invoice sends: the due-scan's claim (one conditional UPDATE ... RETURNING)
and a cancel that only wins while the send has not started."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.customers.models import Customer
from domain.invoicing.models import Invoice
from domain.invoicing.repository import InvoiceRepository
from domain.invoicing.send_models import InvoiceSend, SendStatus


class SendRepository(InvoiceRepository):
    """Same read policy as invoices: a send is seen by whoever sees its invoice's business."""

    @staticmethod
    async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[InvoiceSend]:
        """The job's claim (a system write, across businesses): scheduled sends whose
        time came move to `started`. The status condition is checked again on each row
        as it is updated, so of two workers claiming at once each row goes to one."""
        due = (
            select(InvoiceSend.id)
            .where(InvoiceSend.status == SendStatus.SCHEDULED, InvoiceSend.send_at <= now)
            .order_by(InvoiceSend.send_at, InvoiceSend.id)
            .limit(limit)
            .scalar_subquery()
        )
        stmt = (
            update(InvoiceSend)
            .where(InvoiceSend.id.in_(due), InvoiceSend.status == SendStatus.SCHEDULED)
            .values(status=SendStatus.STARTED, started_at=now)
            .returning(InvoiceSend)
            .execution_options(synchronize_session=False)
        )
        return list((await session.scalars(stmt)).all())

    @staticmethod
    async def rows_of(
        session: AsyncSession, sends: Sequence[InvoiceSend]
    ) -> tuple[dict[int, Invoice], dict[int, Customer]]:
        """The claimed sends' invoices (locked) and customers, two statements."""
        ids = {s.invoice_id for s in sends}
        invoices = {
            i.id: i
            for i in await session.scalars(
                select(Invoice).where(Invoice.id.in_(ids)).with_for_update()
            )
        }
        wanted = {i.customer_id for i in invoices.values()}
        customers = {
            c.id: c for c in await session.scalars(select(Customer).where(Customer.id.in_(wanted)))
        }
        return invoices, customers

    async def get_send(self, send_id: int) -> InvoiceSend | None:
        return await self.get_row(InvoiceSend, send_id)

    async def cancel(self, send_id: int, now: datetime, actor: str) -> InvoiceSend | None:
        """Cancels a send still waiting; None when it is not (missing, started, cancelled)."""
        stmt = (
            update(InvoiceSend)
            .where(
                self.read_policy(InvoiceSend),
                InvoiceSend.id == send_id,
                InvoiceSend.status == SendStatus.SCHEDULED,
            )
            .values(status=SendStatus.CANCELLED, cancelled_at=now, cancelled_by=actor)
            .returning(InvoiceSend)
            .execution_options(synchronize_session=False)
        )
        return await self.s.scalar(stmt)

    async def for_invoices(self, invoice_ids: Sequence[int]) -> Sequence[InvoiceSend]:
        """The sends of these invoices, oldest first (one statement)."""
        if not invoice_ids:
            return []
        stmt = (
            self.readable(InvoiceSend)
            .where(InvoiceSend.invoice_id.in_(set(invoice_ids)))
            .order_by(InvoiceSend.invoice_id, InvoiceSend.id)
        )
        return (await self.s.scalars(stmt)).all()
