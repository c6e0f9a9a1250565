"""createInvoice in the domain: the customer's stored summary stays what its rows add up
to, the creator is recorded, and a merge works out the average days to pay again."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from domain.core.tx import Tx
from domain.core.viewer import Viewer, ViewerKind
from domain.customers.models import Customer
from domain.invoicing.models import Invoice
from domain.invoicing.payments import PaymentData, record_payment
from domain.invoicing.service import InvoiceData, LineData, create_invoice, void_invoice
from khata.runtime import Runtime
from schema.relay import expect_id, to_global_id
from tests.conftest import Actor, create_customer, summaries_off_their_rows, viewer_of


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


async def issue(runtime: Runtime, viewer: Viewer, data: InvoiceData) -> Invoice:
    async with runtime.db.unit_of_work() as session:
        return await create_invoice(Tx(session, viewer, runtime.clock), data)


async def test_summaries_equal_the_sums_of_the_rows(runtime: Runtime, owner: Actor) -> None:
    """A new unpaid invoice is added to the stored summary instead of summing every
    invoice of the customer again; the result must be what the sums give."""
    viewer = viewer_of(owner)
    history, fresh, foreign_cur, free = [
        await new_customer(owner, f"Summary {n}") for n in ("history", "fresh", "usd", "free")
    ]
    # history: a partly paid invoice (WARNING), a voided one and one due long ago
    partly = await issue(runtime, viewer, item(history, "100"))
    voided = await issue(runtime, viewer, item(history, "999"))
    old = item(history, "50")
    old.issue_date = old.due_date = date(2025, 1, 10)
    await issue(runtime, viewer, old)
    async with runtime.db.unit_of_work() as session:
        tx = Tx(session, viewer, runtime.clock)
        await record_payment(tx, PaymentData(partly.id, Decimal("70.25"), "cash", "k-partly"))
        await void_invoice(tx, voided.id, "typo")

    usd = item(foreign_cur, "33.335")
    usd.currency = "USD"
    nothing = item(free, "0")  # a zero total: paid at once, so it has a days-to-pay
    nothing.lines[1].unit_price = Decimal(0)
    for data in (item(history, "12.5"), item(fresh, "7"), usd, nothing, item(fresh, "9.99")):
        await issue(runtime, viewer, data)

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


async def test_each_invoice_records_its_own_creator(runtime: Runtime, owner: Actor) -> None:
    cid = await new_customer(owner, "Two actors")
    owner_viewer = viewer_of(owner)
    key_viewer = Viewer(
        ViewerKind.API_KEY,
        api_key_id=99,
        business_id=owner_viewer.business_id,
        scopes=owner_viewer.scopes,
    )
    by_owner = await issue(runtime, owner_viewer, item(cid, "10"))
    by_key = await issue(runtime, key_viewer, item(cid, "20"))
    assert by_owner.created_by == f"user:{owner_viewer.user_id}"
    assert by_key.created_by == "api_key:99"
    assert (by_owner.number, by_key.number) == ("INV-00001", "INV-00002")


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
        invoice = await issue(runtime, viewer, issued)
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
