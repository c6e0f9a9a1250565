"""What one delivered invoice SMS costs the database: SQL statements and transactions
of its job (bench/results/notifications.md). Fewer round trips is the latency target's
main lever on a loaded host; this test fails when the job grows again."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from khata.composition import build_runtime, create_app
from khata.runtime import Runtime
from tests.conftest import BACKEND, count_statements, sign_up
from tests.notifications.helpers import UPDATE_PREFERENCES
from tests.notifications.pipeline_helpers import customer, invoice, rows_of, send
from workers.tasks import delivery_pipeline

# Before the pipeline's rework: 41 statements in 4 transactions for the SMS alone (5 with
# the relay's mark); after it, 38 in 3. Now sendInvoice composes its ledger rows in its own
# transaction (domain/notifications/upfront.py): the job reads them (one autocommit
# statement, counted as a "begin" on both backends), then the rules and the attempt (one
# transaction, 12 statements: the business read once, no look for an earlier attempt of
# a row never tried), the call, the outcome (14). A
# change that adds a round trip to every send must say so here.
MAX_STATEMENTS = 27 if BACKEND == "postgres" else 28  # SQLite: the timeline rows apart
MAX_TRANSACTIONS = 3
# SMS + email with the PDF (77 statements in ~14 transactions, then 69 in 7, then 55 in
# 7): the rows' read, the SMS in two, the email in two (its rules, attempt and the PDF's
# data in one, the PDF rendered after its commit; then its outcome). The PDF's read
# flushes the attempt before the commit: one statement more than a flush at commit.
MAX_BOTH_STATEMENTS = 54 if BACKEND == "postgres" else 55
MAX_BOTH_TRANSACTIONS = 5


@dataclass
class Held:
    """A job queue that only records: the test runs the job itself, counted."""

    jobs: list[str] = field(default_factory=list)

    async def enqueue(self, task: str, *, job_id: str, **kwargs: Any) -> None:
        if task == "send_notification":
            self.jobs.append(str(kwargs["outbox_id"]))


@pytest.fixture
async def held(runtime: Runtime) -> AsyncIterator[tuple[Runtime, Held, httpx.AsyncClient]]:
    queue = Held()
    rt = build_runtime(runtime.settings, queue=queue)
    await rt.start(sweep=False)
    transport = httpx.ASGITransport(app=create_app(rt.settings, runtime=rt))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://khata.test") as c:
            yield rt, queue, c
    finally:
        await rt.stop()


@contextmanager
def count_transactions(rt: Runtime) -> Iterator[list[int]]:
    begun: list[int] = []

    def listener(conn: Any) -> None:
        begun.append(1)

    for engine in rt.db.engines:
        event.listen(engine.sync_engine, "begin", listener)
    try:
        yield begun
    finally:
        for engine in rt.db.engines:
            event.remove(engine.sync_engine, "begin", listener)


async def test_an_invoice_sms_costs_few_statements_and_transactions(
    held: tuple[Runtime, Held, httpx.AsyncClient],
) -> None:
    statements, transactions = await _job_cost(held, "SMS")
    assert len(statements) <= MAX_STATEMENTS, statements
    assert len(transactions) <= MAX_TRANSACTIONS


async def test_an_sms_and_an_email_with_its_pdf_cost_one_job_of_both(
    held: tuple[Runtime, Held, httpx.AsyncClient],
) -> None:
    """The second row costs its own start and outcome, nothing of the first again (the
    job's rows are made in one transaction); the email's PDF data is read in its
    rules-and-attempt transaction."""
    statements, transactions = await _job_cost(held, "SMS", "EMAIL")
    assert len(statements) <= MAX_BOTH_STATEMENTS, statements
    assert len(transactions) <= MAX_BOTH_TRANSACTIONS


async def _job_cost(
    held: tuple[Runtime, Held, httpx.AsyncClient], *channels: str
) -> tuple[list[str], list[int]]:
    rt, queue, client = held
    owner = await sign_up(client, "KE")
    customer_id = await customer(owner, phone="+254712345690", email="asha@example.com")
    always = {"customerId": customer_id, "quietHours": {"start": "00:00", "end": "00:00"}}
    await owner.gql(UPDATE_PREFERENCES, {"input": always})
    made = await invoice(owner, customer_id)
    queue.jobs.clear()
    await send(owner, made["id"], *channels)
    [outbox_id] = queue.jobs
    upfront = await rows_of(rt, customer_id)  # composed by sendInvoice, before any job
    assert sorted(r.channel for r in upfront) == sorted(c.lower() for c in channels)
    assert all(r.status == "pending" for r in upfront)
    await rt.relay.flush()  # the send's relay mark: not the job's
    rt.relay.mark_delay = 3600.0  # nor the job's own (flushed below)
    with count_statements(rt) as statements, count_transactions(rt) as transactions:
        assert await delivery_pipeline(rt).deliver(outbox_id) == "sent"
    await rt.relay.flush()
    rows = await rows_of(rt, customer_id)
    assert sorted(r.id for r in rows) == sorted(r.id for r in upfront)  # none composed again
    assert all(r.status == "sent" for r in rows)
    print(f"job {channels}: {len(statements)} statements in {len(transactions)} transactions")
    return statements, transactions
