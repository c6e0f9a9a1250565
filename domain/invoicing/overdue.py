"""The daily `invoice.overdue` announcement: each business, in its own time zone, emits
one event per invoice the day after its due date (unless paid or void by then)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from domain.core.clock import Clock
from domain.core.db import Database
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.customers.models import Customer
from domain.invoicing import events
from domain.invoicing.overdue_repository import OverdueRepository
from domain.invoicing.service import business_today, emit, load_business

JOB_BATCH = 200
ACTOR = "job:invoice_overdue"


@dataclass
class OverdueResult:
    businesses: int = 0
    announced: int = 0


async def announce_overdue(db: Database, clock: Clock) -> OverdueResult:
    """One read finds each business's earliest unannounced open due date; a business
    whose own today is past it gets one short transaction: one UPDATE ... RETURNING marks
    its overdue invoices (`overdue_announced_on`) and an outbox event goes per invoice.
    Idempotent: an invoice is announced once, however often the job runs (hourly, so
    each business's invoices go soon after its own midnight)."""
    result = OverdueResult()
    now = clock.now()
    after = 0
    while True:
        async with db.read() as session:
            batch = await OverdueRepository.candidates_after(session, after, JOB_BATCH)
        if not batch:
            return result
        for business_id, timezone, earliest_due in batch:
            if earliest_due < now.astimezone(ZoneInfo(timezone)).date():
                result.announced += await _announce(db, clock, business_id)
                result.businesses += 1
        after = batch[-1][0]


async def _announce(db: Database, clock: Clock, business_id: int) -> int:
    viewer = Viewer.system_actor(ACTOR, business_id=business_id)
    async with db.unit_of_work() as session:
        tx = Tx(session, viewer, clock)
        today = business_today(await load_business(tx), tx.now())
        repo = OverdueRepository(session, viewer)
        invoices = await repo.announce_overdue(today)
        customers = await repo.rows_by_id(Customer, [i.customer_id for i in invoices])
        for invoice in invoices:
            emit(tx, events.OVERDUE, invoice, customers.get(invoice.customer_id))
        return len(invoices)
