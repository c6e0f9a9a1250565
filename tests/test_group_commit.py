"""Group commit: concurrent createInvoice calls share one transaction, fail alone, keep
numbers contiguous, and a batch that raises is retried one item at a time."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from domain.core.counters import Counter
from domain.core.errors import DomainError, NotFound, ValidationFailed
from domain.core.group_commit import GroupCommit
from domain.core.tx import Tx
from domain.core.viewer import STAFF_SCOPES, Viewer, ViewerKind
from domain.customers.models import Customer
from domain.invoicing.models import Invoice, InvoiceEvent, InvoiceLine
from domain.invoicing.payments import PaymentData, record_payment
from domain.invoicing.service import InvoiceData, LineData, void_invoice
from schema.relay import expect_id, to_global_id
from tests.conftest import Actor, create_customer, summaries_off_their_rows, viewer_of
from workers.runtime import Runtime


async def new_customer(actor: Actor, name: str) -> int:
    created = await create_customer(actor, name=name, paymentTerms="NET_30")
    return expect_id(created["customer"]["id"], "Customer")


def item(customer_id: int, price: str, qty: str = "2") -> InvoiceData:
    return InvoiceData(
        customer_id=customer_id,
        lines=[
            LineData(description="Cement bag", quantity=Decimal(qty), unit_price=Decimal(price)),
            LineData(description="Delivery", quantity=Decimal(1), unit_price=Decimal("150")),
        ],
    )


async def test_one_batch_fails_items_alone_and_numbers_follow_submission(
    runtime: Runtime, owner: Actor, other_owner: Actor
) -> None:
    writer = runtime.invoice_writer
    a = await new_customer(owner, "Batch A")
    b = await new_customer(owner, "Batch B")
    foreign = await new_customer(other_owner, "Not yours")
    items = [
        item(a, "400"),
        item(b, "410"),
        item(a, "5", qty="-3"),  # bad line: a field error, takes no number
        item(foreign, "420"),  # another business's customer: not found
        item(b, "430"),
        item(a, "440"),
    ]
    batches_before = writer.batches
    viewer = viewer_of(owner)
    results = await asyncio.gather(
        *(writer.submit(viewer, i) for i in items), return_exceptions=True
    )

    assert writer.batches - batches_before == 1  # all six in one transaction
    assert isinstance(results[2], ValidationFailed)
    assert [e.field for e in results[2].errors] == ["lines.0.quantity"]
    assert isinstance(results[3], NotFound)
    created = [r for r in results if isinstance(r, Invoice)]
    assert [inv.number for inv in created] == [f"INV-{n:05d}" for n in range(1, 5)]
    assert [inv.customer_id for inv in created] == [a, b, b, a]

    async with runtime.db.read() as s:
        ids = [inv.id for inv in created]
        lines = await s.scalar(
            select(func.count()).select_from(InvoiceLine).where(InvoiceLine.invoice_id.in_(ids))
        )
        events = (
            await s.execute(
                select(InvoiceEvent.invoice_id, InvoiceEvent.kind).where(
                    InvoiceEvent.invoice_id.in_(ids)
                )
            )
        ).all()
        summary = {
            c.id: c
            for c in (await s.scalars(select(Customer).where(Customer.id.in_([a, b])))).all()
        }
        stored = (await s.scalars(select(Invoice).where(Invoice.id.in_(ids)))).all()
    assert lines == 8
    assert sorted(events) == sorted((i, "issued") for i in ids)
    totals = {c: sum(inv.total for inv in created if inv.customer_id == c) for c in (a, b)}
    for c in (a, b):
        assert summary[c].invoice_count == 2
        assert summary[c].total_billed == totals[c]
        assert summary[c].outstanding == totals[c]
    assert {inv.number: inv.total for inv in stored} == {inv.number: inv.total for inv in created}
    # The next call (a batch of one) continues the sequence.
    alone = await writer.submit(viewer, item(b, "100"))
    assert alone.number == "INV-00005"


async def test_a_batch_that_raises_is_retried_one_item_at_a_time(
    runtime: Runtime, owner: Actor
) -> None:
    tag = uuid.uuid4().hex[:8]
    business_id = 10**9 + 7

    async def write(tx: Tx, kinds: Sequence[str]) -> list[str | DomainError]:
        for kind in kinds:
            tx.session.add(Counter(business_id=business_id, kind=kind, last_value=1))
            await tx.session.flush()
            if kind.endswith("poison"):
                raise RuntimeError("this item breaks its transaction")
        return list(kinds)

    writer: GroupCommit[str, str] = GroupCommit(runtime.db, runtime.clock, write)
    kinds = [f"{tag}-{n}" for n in ("a", "b", "poison", "c")]
    results = await asyncio.gather(
        *(writer.submit(viewer_of(owner), k) for k in kinds), return_exceptions=True
    )

    assert results[:2] + results[3:] == [kinds[0], kinds[1], kinds[3]]
    assert isinstance(results[2], RuntimeError)
    assert writer.batches == 1 + 4  # the failed batch, then each item alone
    async with runtime.db.read() as s:
        stored = (
            await s.scalars(
                select(Counter.kind).where(
                    Counter.business_id == business_id, Counter.kind.like(f"{tag}-%")
                )
            )
        ).all()
    assert sorted(stored) == sorted([kinds[0], kinds[1], kinds[3]])  # once each, no poison


async def test_callers_that_left_before_their_batch_write_nothing(
    runtime: Runtime, owner: Actor
) -> None:
    release = asyncio.Event()
    started = asyncio.Event()
    seen: list[list[str]] = []

    async def write(tx: Tx, items: Sequence[str]) -> list[str | DomainError]:
        seen.append(list(items))
        started.set()
        await release.wait()
        return list(items)

    writer: GroupCommit[str, str] = GroupCommit(runtime.db, runtime.clock, write)
    viewer = viewer_of(owner)
    first = writer.submit(viewer, "first")
    await started.wait()  # the first batch is running; the next two queue behind it
    stays = writer.submit(viewer, "stays")
    leaves = writer.submit(viewer, "leaves")
    leaves.cancel()  # the caller gives up (its request was cancelled)
    release.set()
    assert await first == "first"
    assert await stays == "stays"
    with pytest.raises(asyncio.CancelledError):
        await leaves
    assert seen == [["first"], ["stays"]]


async def test_other_actors_do_not_share_a_batch(runtime: Runtime, owner: Actor) -> None:
    """The batch runs as one viewer, so only calls with the same business, actor, role
    and scopes are grouped: an invoice's created_by is always its own caller's."""
    cid = await new_customer(owner, "Two actors")
    owner_viewer = viewer_of(owner)
    key_viewer = Viewer(
        ViewerKind.API_KEY,
        api_key_id=99,
        business_id=owner_viewer.business_id,
        scopes=STAFF_SCOPES,
    )
    before = runtime.invoice_writer.batches
    by_owner, by_key = await asyncio.gather(
        runtime.invoice_writer.submit(owner_viewer, item(cid, "10")),
        runtime.invoice_writer.submit(key_viewer, item(cid, "20")),
    )
    assert runtime.invoice_writer.batches - before == 2
    assert by_owner.created_by == f"user:{owner_viewer.user_id}"
    assert by_key.created_by == "api_key:99"
    assert {by_owner.number, by_key.number} == {"INV-00001", "INV-00002"}


async def test_batch_summaries_equal_the_sums_of_the_rows(runtime: Runtime, owner: Actor) -> None:
    """A batch adds its new unpaid invoices to the stored summaries instead of summing
    every invoice of the customer again; the result must be what the sums give."""
    viewer = viewer_of(owner)
    writer = runtime.invoice_writer
    history, fresh, foreign_cur, free = [
        await new_customer(owner, f"Summary {n}") for n in ("history", "fresh", "usd", "free")
    ]
    # history: a partly paid invoice (WARNING), a voided one and one due long ago
    partly = await writer.submit(viewer, item(history, "100"))
    voided = await writer.submit(viewer, item(history, "999"))
    old = item(history, "50")
    old.issue_date = old.due_date = date(2025, 1, 10)
    await writer.submit(viewer, old)
    async with runtime.db.unit_of_work() as session:
        tx = Tx(session, viewer, runtime.clock)
        await record_payment(tx, PaymentData(partly.id, Decimal("70.25"), "cash", "k-partly"))
        await void_invoice(tx, voided.id, "typo")

    usd = item(foreign_cur, "33.335")
    usd.currency = "USD"
    nothing = item(free, "0")  # a zero total: paid at once, so it has a days-to-pay
    nothing.lines[1].unit_price = Decimal(0)
    batch = [item(history, "12.5"), item(fresh, "7"), usd, nothing, item(fresh, "9.99")]
    before = writer.batches
    results = await asyncio.gather(*(writer.submit(viewer, i) for i in batch))
    assert writer.batches - before == 1
    assert all(isinstance(r, Invoice) for r in results)

    customers = [history, fresh, foreign_cur, free]
    async with runtime.db.unit_of_work() as session:
        tx = Tx(session, viewer, runtime.clock)
        assert await summaries_off_their_rows(tx, customers) == {}
        stored = {
            c.id: c
            for c in (await session.scalars(select(Customer).where(Customer.id.in_(customers))))
        }
    assert stored[history].payment_status == "warning"
    assert stored[history].oldest_open_due == date(2025, 1, 10)
    assert stored[history].invoice_count == 3  # the void one is not counted
    assert stored[fresh].payment_status == "good" and stored[fresh].invoice_count == 2
    assert stored[free].avg_days_to_pay == 0 and stored[free].outstanding == 0
    # dollars are not added to the rupee figures; the invoice still counts
    assert stored[foreign_cur].invoice_count == 1 and stored[foreign_cur].oldest_open_due
    assert stored[foreign_cur].total_billed == 0 and stored[foreign_cur].outstanding == 0


async def test_a_merge_averages_the_days_to_pay_over_both_customers(
    runtime: Runtime, owner: Actor
) -> None:
    """The merge adds the source's totals to the target's; the average days to pay cannot
    be added, so it is worked out again: 2 days (target) and 10 days (source) give 6."""
    viewer = viewer_of(owner)
    target, source = await new_customer(owner, "Pays fast"), await new_customer(owner, "Pays late")
    today = runtime.clock.now().astimezone(ZoneInfo("Asia/Kolkata")).date()
    for cid, key, days in ((target, "avg-t", 2), (source, "avg-s", 10)):
        issued = item(cid, "100")
        issued.issue_date = today - timedelta(days=days)  # paid today
        invoice = await runtime.invoice_writer.submit(viewer, issued)
        async with runtime.db.unit_of_work() as session:
            await record_payment(
                Tx(session, viewer, runtime.clock),
                PaymentData(
                    invoice_id=invoice.id,
                    amount=invoice.total,
                    method="cash",
                    idempotency_key=key,
                ),
            )
    merged = await owner.gql(
        "mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { __typename } }",
        {
            "input": {
                "sourceId": to_global_id("Customer", source),
                "targetId": to_global_id("Customer", target),
            }
        },
    )
    assert merged["data"]["mergeCustomers"]["__typename"] == "MergePayload", merged
    async with runtime.db.unit_of_work() as session:
        tx = Tx(session, viewer, runtime.clock)
        assert await summaries_off_their_rows(tx, [target]) == {}
        stored = await session.get(Customer, target)
        assert stored is not None
        assert stored.avg_days_to_pay == Decimal("6.00") and stored.invoice_count == 2


async def test_callers_one_after_another_are_all_served(runtime: Runtime, owner: Actor) -> None:
    """A caller arriving while the drain waits for the last batch to finish is not left
    in a queue nobody drains."""

    async def write(tx: Tx, items: Sequence[str]) -> list[str | DomainError]:
        await asyncio.sleep(0)
        return list(items)

    writer: GroupCommit[str, str] = GroupCommit(runtime.db, runtime.clock, write)
    viewer = viewer_of(owner)
    for n in range(5):
        assert await asyncio.wait_for(writer.submit(viewer, str(n)), 10) == str(n)
