"""Reads of recurring schedules for lists and loaders (batched: one statement a batch)."""

from __future__ import annotations

from collections.abc import Sequence

from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.invoicing.models import Invoice
from domain.invoicing.recurring.models import RecurringSchedule
from domain.invoicing.recurring.repository import RecurringRepository


async def schedule_page(
    tx: Tx,
    limit: int,
    after_id: int | None,
    customer_id: int | None = None,
    statuses: Sequence[str] = (),
) -> tuple[Sequence[RecurringSchedule], bool]:
    tx.viewer.require_business(Scope.INVOICES_READ)
    return await RecurringRepository(tx.session, tx.viewer).page(
        limit, after_id, customer_id, statuses
    )


async def schedules_for_customers(
    tx: Tx, customer_ids: Sequence[int]
) -> Sequence[RecurringSchedule]:
    tx.viewer.require_business(Scope.INVOICES_READ)
    return await RecurringRepository(tx.session, tx.viewer).for_customers(customer_ids)


async def invoices_of(tx: Tx, schedule_ids: Sequence[int]) -> Sequence[tuple[int, Invoice]]:
    tx.viewer.require_business(Scope.INVOICES_READ)
    return await RecurringRepository(tx.session, tx.viewer).invoices_of(schedule_ids)
