"""Invoices, payments, credit notes, statements and the payment webhook, end to end
through GraphQL on real databases."""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
from sqlalchemy import func, select

from domain.core.clock import FrozenClock
from domain.core.signing import sign_webhook
from domain.core.tx import Tx
from domain.invoicing.models import Payment
from khata.runtime import Runtime
from schema.relay import expect_id
from tests.conftest import (
    Actor,
    count_statements,
    create_customer,
    sign_up,
    summaries_off_their_rows,
    viewer_of,
)

INVOICE_FIELDS = """id number status currency issueDate dueDate total { amount currency }
  subtotal { amount } discountTotal { amount } taxTotal { amount } balance { amount }
  amountPaid { amount } paymentLink taxes { name rate amount { amount } }
  lines { description quantity taxRate total { amount } taxes { name amount { amount } } }"""
CREATE = (
    """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { __typename
  ... on InvoicePayload { invoice { %s } }
  ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""
    % INVOICE_FIELDS
)
PAY = """mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { __typename
  ... on PaymentPayload { replayed payment { id amount { amount } excessToCredit { amount } state }
      invoice { status balance { amount } amountPaid { amount } } }
  ... on ValidationError { code fields { field code } }
  ... on UserError { code message } } }"""


async def customer_id(actor: Actor, **fields: Any) -> str:
    fields.setdefault("name", "Invoice Customer")
    result = await create_customer(actor, **fields)
    return result["customer"]["id"]  # type: ignore[no-any-return]


async def invoice(
    actor: Actor, cid: str, lines: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    body = await actor.gql(CREATE, {"input": {"customerId": cid, "lines": lines, **extra}})
    return body["data"]["createInvoice"]  # type: ignore[no-any-return]


async def pay(actor: Actor, invoice_id: str, amount: str, key: str, **extra: Any) -> dict[str, Any]:
    body = await actor.gql(
        PAY,
        {
            "input": {
                "invoiceId": invoice_id,
                "amount": amount,
                "method": "UPI",
                "idempotencyKey": key,
                **extra,
            }
        },
    )
    return body["data"]["recordPayment"]  # type: ignore[no-any-return]


async def test_invoice_with_gst_and_customer_summary(owner: Actor) -> None:
    cid = await customer_id(owner, paymentTerms="NET_15")
    result = await invoice(
        owner,
        cid,
        [
            {
                "description": "Urea 45kg bag",
                "quantity": "2",
                "unitPrice": "266",
                "unit": "bag",
                "taxRate": "5",
            },
            {"description": "Sprayer", "quantity": "1", "unitPrice": "1000"},
        ],
        issueDate="2026-11-01",
    )
    assert result["__typename"] == "InvoicePayload", result
    inv = result["invoice"]
    assert inv["number"] == "INV-00001" and inv["status"] == "ISSUED" and inv["currency"] == "INR"
    assert inv["dueDate"] == "2026-11-16"  # net 15
    # 532 @5% + 1000 @18%: CGST/SGST halves (same state)
    assert inv["subtotal"]["amount"] == "1532.00"
    assert inv["taxTotal"]["amount"] == "206.60"
    assert inv["total"]["amount"] == "1738.60" and inv["balance"]["amount"] == "1738.60"
    names = sorted({t["name"] for t in inv["taxes"]})
    assert names == ["CGST", "SGST"]
    assert sum(Decimal(t["amount"]["amount"]) for t in inv["taxes"]) == Decimal("206.60")
    assert "/pay/" in inv["paymentLink"]
    body = await owner.gql(
        "query($id: ID!) { customer(id: $id) { financial { totalBilled { amount } "
        "outstanding { amount } invoiceCount paymentStatus } } }",
        {"id": cid},
    )
    fin = body["data"]["customer"]["financial"]
    today = datetime.now(ZoneInfo("Asia/Kolkata")).date()
    assert fin == {
        "totalBilled": {"amount": "1738.60"},
        "outstanding": {"amount": "1738.60"},
        "invoiceCount": 1,
        "paymentStatus": "OVERDUE" if today > date(2026, 11, 16) else "GOOD",
    }


FINANCIAL = """query($id: ID!) { customer(id: $id) { financial {
  paymentStatus oldestOpenDue outstanding { amount } } } }"""


async def test_payment_status_turns_overdue_when_a_due_date_passes(
    clocked: tuple[httpx.AsyncClient, FrozenClock],
) -> None:
    """Nothing is written when a due date passes: "overdue" is derived when read, from
    the oldest open due date that every write keeps exact."""
    client, clock = clocked
    owner = await sign_up(client)
    cid = await customer_id(owner, paymentTerms="NET_15")

    async def status(customer: str = cid) -> tuple[str, str | None, str]:
        fin = (await owner.gql(FINANCIAL, {"id": customer}))["data"]["customer"]["financial"]
        return fin["paymentStatus"], fin["oldestOpenDue"], fin["outstanding"]["amount"]

    assert await status() == ("NONE", None, "0.00")
    line = [{"description": "Seeds", "quantity": "1", "unitPrice": "100", "taxRate": "0"}]
    first = (await invoice(owner, cid, line))["invoice"]
    due = first["dueDate"]
    assert await status() == ("GOOD", due, "100.00")
    clock.advance(days=15)  # the due day itself is not overdue yet
    await owner.sign_in_again()
    assert await status() == ("GOOD", due, "100.00")
    clock.advance(days=1)
    await owner.sign_in_again()
    assert await status() == ("OVERDUE", due, "100.00")

    # A later invoice does not hide the older one; a part payment leaves it overdue.
    second = (await invoice(owner, cid, line))["invoice"]
    assert await status() == ("OVERDUE", due, "200.00")
    assert (await pay(owner, first["id"], "40", "k-1"))["__typename"] == "PaymentPayload"
    assert await status() == ("OVERDUE", due, "160.00")
    # Paid off, the oldest open one is the second (partly paid: a warning, not overdue).
    assert (await pay(owner, first["id"], "60", "k-2"))["__typename"] == "PaymentPayload"
    assert (await pay(owner, second["id"], "10", "k-3"))["__typename"] == "PaymentPayload"
    assert await status() == ("WARNING", second["dueDate"], "90.00")
    assert (await pay(owner, second["id"], "90", "k-4"))["__typename"] == "PaymentPayload"
    assert await status() == ("GOOD", None, "0.00")

    # Merging in a customer with an overdue invoice makes the target overdue from then.
    other = await customer_id(owner, name="Other Customer", paymentTerms="DUE_ON_RECEIPT")
    back = (date.fromisoformat(due) - timedelta(days=5)).isoformat()
    late = (await invoice(owner, other, line, issueDate=back))["invoice"]
    assert late["dueDate"] == back
    assert (await status(other))[0] == "OVERDUE"
    merged = await owner.gql(
        "mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { __typename } }",
        {"input": {"sourceId": other, "targetId": cid}},
    )
    assert merged["data"]["mergeCustomers"]["__typename"] == "MergePayload", merged
    assert await status() == ("OVERDUE", back, "100.00")


async def test_omr_three_decimals(client: Any) -> None:
    oman = await sign_up(client, "OM")
    cid = await customer_id(oman)
    inv = (
        await invoice(
            oman, cid, [{"description": "Dates 1kg", "quantity": "3", "unitPrice": "0.333"}]
        )
    )["invoice"]
    assert inv["currency"] == "OMR"
    assert inv["subtotal"]["amount"] == "0.999" and inv["taxTotal"]["amount"] == "0.050"
    assert inv["total"]["amount"] == "1.049"
    assert [t["name"] for t in inv["taxes"]] == ["VAT"]


async def test_bad_lines_are_field_errors_and_take_no_number(owner: Actor) -> None:
    cid = await customer_id(owner)
    bad = await invoice(owner, cid, [{"description": "", "quantity": "-1", "unitPrice": "5"}])
    assert bad["__typename"] == "ValidationError"
    fields = {f["field"] for f in bad["fields"]}
    assert "lines.0.description" in fields and "lines.0.quantity" in fields
    good = await invoice(owner, cid, [{"description": "ok", "quantity": "1", "unitPrice": "5"}])
    assert good["invoice"]["number"] == "INV-00001"


async def test_concurrent_invoices_get_contiguous_numbers(owner: Actor) -> None:
    cid = await customer_id(owner)

    async def one(i: int) -> dict[str, Any]:
        qty = "-1" if i % 7 == 3 else "1"  # some fail and must give their number back
        return await invoice(
            owner, cid, [{"description": f"Item {i}", "quantity": qty, "unitPrice": "10"}]
        )

    results = await asyncio.gather(*(one(i) for i in range(50)))
    numbers = sorted(r["invoice"]["number"] for r in results if r["__typename"] == "InvoicePayload")
    failed = [r for r in results if r["__typename"] == "ValidationError"]
    assert len(failed) == 7
    assert numbers == [f"INV-{n:05d}" for n in range(1, 44)]


async def test_one_idempotency_key_gives_one_payment_under_concurrency(
    owner: Actor, runtime: Runtime
) -> None:
    cid = await customer_id(owner)
    inv = (
        await invoice(
            owner,
            cid,
            [{"description": "Seeds", "quantity": "1", "unitPrice": "1000", "taxRate": "0"}],
        )
    )["invoice"]
    results = await asyncio.gather(*(pay(owner, inv["id"], "400", "pay-once-1") for _ in range(20)))
    assert all(r["__typename"] == "PaymentPayload" for r in results), results
    assert len({r["payment"]["id"] for r in results}) == 1
    assert sum(not r["replayed"] for r in results) == 1
    async with runtime.db.read() as session:
        count = await session.scalar(
            select(func.count(Payment.id)).where(
                Payment.idempotency_key == "pay-once-1", Payment.invoice_id == int(_rid(inv["id"]))
            )
        )
    assert count == 1
    final = await owner.gql(
        "query($id: ID!) { invoice(id: $id) { balance { amount } status } }", {"id": inv["id"]}
    )
    assert final["data"]["invoice"] == {"balance": {"amount": "600.00"}, "status": "PARTIALLY_PAID"}
    conflict = await pay(owner, inv["id"], "401", "pay-once-1")
    assert conflict["__typename"] == "ConflictError"


def _rid(gid: str) -> int:
    from schema.relay import parse_global_id

    return parse_global_id(gid)[1]


async def test_concurrent_payments_never_go_below_zero(owner: Actor) -> None:
    cid = await customer_id(owner)
    inv = (
        await invoice(
            owner,
            cid,
            [{"description": "Tractor hire", "quantity": "1", "unitPrice": "1000", "taxRate": "0"}],
        )
    )["invoice"]
    results = await asyncio.gather(*(pay(owner, inv["id"], "300", f"split-{i}") for i in range(10)))
    ok = [r for r in results if r["__typename"] == "PaymentPayload"]
    refused = [r for r in results if r["__typename"] == "ValidationError"]
    assert len(ok) == 3 and len(refused) == 7
    assert all(r["fields"][0]["code"] == "OVERPAYMENT" for r in refused)
    final = await owner.gql(
        "query($id: ID!) { invoice(id: $id) { balance { amount } amountPaid { amount } } }",
        {"id": inv["id"]},
    )
    assert final["data"]["invoice"] == {
        "balance": {"amount": "100.00"},
        "amountPaid": {"amount": "900.00"},
    }


async def test_overpayment_kept_as_credit_then_used(owner: Actor) -> None:
    cid = await customer_id(owner)
    first = (
        await invoice(
            owner, cid, [{"description": "A", "quantity": "1", "unitPrice": "100", "taxRate": "0"}]
        )
    )["invoice"]
    paid = await pay(owner, first["id"], "150", "over-1", keepExcessAsCredit=True)
    assert (
        paid["invoice"]["status"] == "PAID"
        and paid["payment"]["excessToCredit"]["amount"] == "50.00"
    )
    second = (
        await invoice(
            owner, cid, [{"description": "B", "quantity": "1", "unitPrice": "80", "taxRate": "0"}]
        )
    )["invoice"]
    used = await owner.gql(
        """mutation($id: ID!) { applyCustomerCredit(input: { invoiceId: $id, idempotencyKey: "credit-1" }) {
        __typename ... on PaymentPayload { invoice { balance { amount } status } } } }""",
        {"id": second["id"]},
    )
    assert used["data"]["applyCustomerCredit"]["invoice"] == {
        "balance": {"amount": "30.00"},
        "status": "PARTIALLY_PAID",
    }
    body = await owner.gql(
        "query($id: ID!) { customer(id: $id) { creditBalance { amount } } }", {"id": cid}
    )
    assert body["data"]["customer"]["creditBalance"]["amount"] == "0.00"


async def test_reverse_credit_note_and_void_rules(owner: Actor) -> None:
    cid = await customer_id(owner)
    inv = (
        await invoice(
            owner,
            cid,
            [{"description": "Pump", "quantity": "1", "unitPrice": "500", "taxRate": "0"}],
        )
    )["invoice"]
    paid = await pay(owner, inv["id"], "200", "rev-1")
    void = await owner.gql(
        """mutation($id: ID!) { voidInvoice(input: { id: $id, reason: "typo" }) { __typename } }""",
        {"id": inv["id"]},
    )
    assert void["data"]["voidInvoice"]["__typename"] == "ConflictError"
    reversed_ = await owner.gql(
        """mutation($id: ID!) { reversePayment(input: { id: $id, reason: "bounced" }) {
        __typename ... on PaymentPayload { payment { state } invoice { balance { amount } status } } } }""",
        {"id": paid["payment"]["id"]},
    )
    assert reversed_["data"]["reversePayment"]["invoice"] == {
        "balance": {"amount": "500.00"},
        "status": "ISSUED",
    }
    assert reversed_["data"]["reversePayment"]["payment"]["state"] == "REVERSED"
    note = await owner.gql(
        """mutation($id: ID!) { issueCreditNote(input: { invoiceId: $id, amount: "120", reason: "damaged" }) {
        __typename ... on CreditNotePayload { creditNote { number amount { amount } } invoice { balance { amount } } } } }""",
        {"id": inv["id"]},
    )
    result = note["data"]["issueCreditNote"]
    assert result["creditNote"] == {"number": "CN-00001", "amount": {"amount": "120.00"}}
    assert result["invoice"]["balance"]["amount"] == "380.00"
    void = await owner.gql(
        """mutation($id: ID!) { voidInvoice(input: { id: $id, reason: "duplicate" }) {
        __typename ... on InvoicePayload { invoice { status balance { amount } timeline { kind } } } } }""",
        {"id": inv["id"]},
    )
    voided = void["data"]["voidInvoice"]["invoice"]
    assert voided["status"] == "VOID" and voided["balance"]["amount"] == "0.00"
    kinds = [e["kind"] for e in voided["timeline"]]
    assert kinds[0] == "issued" and "payment_recorded" in kinds and "payment_reversed" in kinds
    assert "credit_note_issued" in kinds and kinds[-1] == "voided"


async def test_statement_running_balance(owner: Actor) -> None:
    cid = await customer_id(owner)
    a = (
        await invoice(
            owner,
            cid,
            [{"description": "Oct", "quantity": "1", "unitPrice": "1000", "taxRate": "0"}],
            issueDate="2026-10-05",
        )
    )["invoice"]
    await invoice(
        owner,
        cid,
        [{"description": "Nov", "quantity": "1", "unitPrice": "500", "taxRate": "0"}],
        issueDate="2026-11-02",
    )
    await pay(owner, a["id"], "300", "stmt-1", receivedAt="2026-11-03T10:00:00+05:30")
    body = await owner.gql(
        """query($c: ID!) { customerStatement(customerId: $c, from: "2026-11-01", to: "2026-11-30") {
        openingBalance { amount } closingBalance { amount }
        entries { kind debit { amount } credit { amount } balance { amount } } csv } }""",
        {"c": cid},
    )
    s = body["data"]["customerStatement"]
    assert s["openingBalance"]["amount"] == "1000.00"
    assert [(e["kind"], e["balance"]["amount"]) for e in s["entries"]] == [
        ("invoice", "1500.00"),
        ("payment", "1200.00"),
    ]
    assert s["closingBalance"]["amount"] == "1200.00"
    assert s["csv"].splitlines()[0].startswith("date,type,reference")


STATEMENT = """query($c: ID!, $from: Date!, $to: Date!) {
  customerStatement(customerId: $c, from: $from, to: $to) {
    openingBalance { amount } closingBalance { amount }
    entries { date kind reference description debit { amount } credit { amount }
              balance { amount } }
    aging { current { amount } days1To30 { amount } days31To60 { amount } days61To90 { amount }
            daysOver90 { amount } } } }"""
AGING = (
    "current { amount } days1To30 { amount } days31To60 { amount } days61To90 { amount } "
    "daysOver90 { amount }"
)


def local_today() -> date:  # the test businesses are in India
    return datetime.now(ZoneInfo("Asia/Kolkata")).date()


def at_ist(day: date, clock: str) -> str:
    return f"{day.isoformat()}T{clock}:00+05:30"


async def statement(actor: Actor, cid: str, start: date, end: date) -> dict[str, Any]:
    body = await actor.gql(STATEMENT, {"c": cid, "from": start.isoformat(), "to": end.isoformat()})
    return body["data"]["customerStatement"]  # type: ignore[no-any-return]


def buckets(aging: dict[str, Any]) -> list[str]:
    return [
        aging[k]["amount"]
        for k in ("current", "days1To30", "days31To60", "days61To90", "daysOver90")
    ]


async def dated_invoice(
    actor: Actor, cid: str, amount: str, issued: date, due: date | None = None
) -> dict[str, Any]:
    """A one-line, tax-free invoice with the given dates."""
    extra = {"issueDate": issued.isoformat()}
    if due is not None:
        extra["dueDate"] = due.isoformat()
    line = {"description": f"Goods {amount}", "quantity": "1", "unitPrice": amount, "taxRate": "0"}
    result = await invoice(actor, cid, [line], **extra)
    assert result["__typename"] == "InvoicePayload", result
    return result["invoice"]  # type: ignore[no-any-return]


async def test_statement_entries_opening_balance_and_what_it_leaves_out(owner: Actor) -> None:
    """Void invoices, reversed payments and payments from kept credit are not on a
    statement; a payment's excess kept as credit is; payments and credit notes fall on the
    business's local day; one day lists invoices, then credit notes, then payments."""
    today = local_today()
    day = lambda n: today - timedelta(days=n)  # noqa: E731
    cid = await customer_id(owner)

    async def bill(amount: str, issued: int, due: int | None = None) -> dict[str, Any]:
        return await dated_invoice(
            owner, cid, amount, day(issued), None if due is None else day(due)
        )

    a = await bill("1000", 50, due=50)
    await pay(owner, a["id"], "300", "st-a1", receivedAt=at_ist(day(45), "10:00"))
    void_before = await bill("5000", 48)
    b = await bill("500", 20, due=20)
    # 00:30 in India is the previous day in UTC: the entry belongs to the local day
    pay_a = await pay(owner, a["id"], "100", "st-a2", receivedAt=at_ist(day(10), "00:30"))
    pay_b = await pay(
        owner, b["id"], "700", "st-b", receivedAt=at_ist(day(10), "10:00"), keepExcessAsCredit=True
    )
    c = await bill("400", 10, due=10)
    void_in_range = await bill("900", 15)
    for target in (void_before, void_in_range):
        voided = await owner.gql(
            'mutation($id: ID!) { voidInvoice(input: { id: $id, reason: "typo" }) { __typename } }',
            {"id": target["id"]},
        )
        assert voided["data"]["voidInvoice"]["__typename"] == "InvoicePayload"
    credit = await owner.gql(
        'mutation($id: ID!) { applyCustomerCredit(input: { invoiceId: $id, idempotencyKey: "st-cr" }) '
        "{ __typename } }",
        {"id": c["id"]},
    )
    assert credit["data"]["applyCustomerCredit"]["__typename"] == "PaymentPayload"
    reversed_ = await pay(owner, c["id"], "50", "st-c", receivedAt=at_ist(day(5), "12:00"))
    undo = await owner.gql(
        'mutation($id: ID!) { reversePayment(input: { id: $id, reason: "bounced" }) { __typename } }',
        {"id": reversed_["payment"]["id"]},
    )
    assert undo["data"]["reversePayment"]["__typename"] == "PaymentPayload"
    note = await owner.gql(
        'mutation($id: ID!) { issueCreditNote(input: { invoiceId: $id, reason: "damaged bag", '
        'amount: "100" }) { __typename ... on CreditNotePayload { creditNote { number } } } }',
        {"id": a["id"]},
    )
    note_number = note["data"]["issueCreditNote"]["creditNote"]["number"]
    assert pay_a["payment"]["excessToCredit"]["amount"] == "0.00"
    assert pay_b["payment"]["excessToCredit"]["amount"] == "200.00"

    s = await statement(owner, cid, day(40), today)
    assert s["openingBalance"]["amount"] == "700.00"  # 1000 billed, 300 paid before
    rows = [
        (
            e["date"],
            e["kind"],
            e["reference"],
            e["debit"]["amount"],
            e["credit"]["amount"],
            e["balance"]["amount"],
        )
        for e in s["entries"]
    ]
    assert rows == [
        (day(20).isoformat(), "invoice", b["number"], "500.00", "0.00", "1200.00"),
        (day(10).isoformat(), "invoice", c["number"], "400.00", "0.00", "1600.00"),
        (
            day(10).isoformat(),
            "payment",
            f"PAY-{expect_id(pay_a['payment']['id'], 'Payment')}",
            "0.00",
            "100.00",
            "1500.00",
        ),
        (
            day(10).isoformat(),
            "payment",
            f"PAY-{expect_id(pay_b['payment']['id'], 'Payment')}",
            "0.00",
            "700.00",
            "800.00",
        ),
        (today.isoformat(), "credit_note", note_number, "0.00", "100.00", "700.00"),
    ]
    assert s["entries"][0]["description"] == f"Invoice {b['number']}"
    assert s["entries"][2]["description"] == "Payment (upi)"
    assert s["entries"][4]["description"] == "damaged bag"
    # what the customer owes: A 1000-300-100-100, B paid, C 400-200 from credit
    assert s["closingBalance"]["amount"] == "700.00"
    # aging on the statement: A's 500 is 50 days past due, C's 200 is 10 days past due
    assert buckets(s["aging"]) == ["0.00", "200.00", "500.00", "0.00", "0.00"]

    # a statement ending the day before another starts closes where the other opens
    first = await statement(owner, cid, day(40), day(11))
    second = await statement(owner, cid, day(10), today)
    assert first["closingBalance"]["amount"] == "1200.00"
    assert second["openingBalance"]["amount"] == "1200.00"
    assert [e["kind"] for e in second["entries"]] == [
        "invoice",
        "payment",
        "payment",
        "credit_note",
    ]
    later = await statement(owner, cid, today + timedelta(days=1), today + timedelta(days=1))
    assert later["openingBalance"]["amount"] == later["closingBalance"]["amount"] == "700.00"
    assert later["entries"] == []


async def test_aging_buckets_by_days_past_due(owner: Actor, other_owner: Actor) -> None:
    """Boundaries: due today is current, 1-30 days past due ... 90+; paid and void
    invoices are not aged; a partly paid invoice ages its balance. Per customer and for the
    whole business, which another business's invoices do not reach."""
    today = local_today()
    first, second = await customer_id(owner, name="First"), await customer_id(owner, name="Second")
    # amount -> days past due; each amount a power of two, so each sum names its invoices
    plan = [
        (first, "1", 0),
        (first, "256", -5),
        (first, "2", 1),
        (first, "4", 30),
        (second, "8", 31),
        (second, "16", 60),
        (first, "32", 61),
        (second, "64", 90),
        (first, "128", 91),
    ]
    for cid, amount, late in plan:
        due = today - timedelta(days=late)
        await dated_invoice(owner, cid, amount, min(due, today), due)
    old = today - timedelta(days=200)
    partly = await dated_invoice(owner, second, "1024", old, today - timedelta(days=45))
    await pay(
        owner, partly["id"], "24", "ag-1", receivedAt=at_ist(today - timedelta(days=40), "09:00")
    )
    paid = await dated_invoice(owner, first, "512", old, old)
    await pay(owner, paid["id"], "512", "ag-2", receivedAt=at_ist(old, "09:00"))
    void = await dated_invoice(owner, second, "2048", old, old)
    await owner.gql(
        'mutation($id: ID!) { voidInvoice(input: { id: $id, reason: "dup" }) { __typename } }',
        {"id": void["id"]},
    )
    await dated_invoice(other_owner, await customer_id(other_owner), "4096", old, old)

    business = (await owner.gql(f"{{ agingReport {{ {AGING} }} }}"))["data"]["agingReport"]
    assert buckets(business) == ["257.00", "6.00", "1024.00", "96.00", "128.00"]
    one = await statement(owner, first, today - timedelta(days=10), today)
    two = await statement(owner, second, today - timedelta(days=10), today)
    assert buckets(one["aging"]) == ["257.00", "6.00", "0.00", "32.00", "128.00"]
    assert buckets(two["aging"]) == ["0.00", "0.00", "1024.00", "64.00", "0.00"]
    # a statement that ends in the past ages the books as they stood on its last day: 30
    # days ago only the 4 (due that day), the 32 and the 128 were issued, and 31 and 61
    # days past due; the invoices issued since are not on it
    past = await statement(owner, first, today - timedelta(days=40), today - timedelta(days=30))
    assert buckets(past["aging"]) == ["4.00", "0.00", "32.00", "128.00", "0.00"]
    theirs = (await other_owner.gql(f"{{ agingReport {{ {AGING} }} }}"))["data"]["agingReport"]
    assert buckets(theirs) == ["0.00", "0.00", "0.00", "0.00", "4096.00"]
    # the first, run-together names still answer, the same figures, marked deprecated
    old_names = await owner.gql(
        "{ agingReport { days130 { amount } days3160 { amount } days6190 { amount } } "
        '__type(name: "AgingBuckets") { fields(includeDeprecated: true) '
        "{ name isDeprecated deprecationReason } } }"
    )
    report = old_names["data"]["agingReport"]
    assert [report[k]["amount"] for k in ("days130", "days3160", "days6190")] == buckets(business)[
        1:4
    ]
    fields = {f["name"]: f for f in old_names["data"]["__type"]["fields"]}
    assert fields["days130"]["deprecationReason"] == "Use `days1To30`."
    assert [fields[k]["isDeprecated"] for k in ("days130", "days1To30", "daysOver90")] == [
        True,
        False,
        False,
    ]


async def test_statements_keep_currencies_apart_and_age_as_of_their_end(
    owner: Actor, client: Any
) -> None:
    """A customer billed in rupees and dollars gets one statement per currency (never one
    running balance over both); a statement ending in the past ages the books as they
    stood then (later invoices, payments and credit notes are not in it); the business's
    aging and invoice figures are per currency too."""
    today = local_today()
    day = lambda n: today - timedelta(days=n)  # noqa: E731
    cid = await customer_id(owner)
    a = await dated_invoice(owner, cid, "1000", day(40), day(40))
    line = {"description": "Consulting", "quantity": "1", "unitPrice": "200", "taxRate": "0"}
    u = await invoice(
        owner,
        cid,
        [line],
        currency="USD",
        issueDate=day(35).isoformat(),
        dueDate=day(35).isoformat(),
    )
    assert u["__typename"] == "InvoicePayload", u
    await pay(owner, u["invoice"]["id"], "50", "fx-u1", receivedAt=at_ist(day(20), "11:00"))
    await pay(owner, a["id"], "300", "fx-a1", receivedAt=at_ist(day(5), "11:00"))  # after day(10)
    note = await owner.gql(
        'mutation($id: ID!) { issueCreditNote(input: { invoiceId: $id, reason: "short", amount: "100" }) '
        "{ __typename } }",
        {"id": a["id"]},
    )
    assert note["data"]["issueCreditNote"]["__typename"] == "CreditNotePayload"
    b = await dated_invoice(owner, cid, "500", day(3), day(3))

    query = (
        """query($c: ID!, $from: Date!, $to: Date!, $cur: String) {
      customerStatement(customerId: $c, from: $from, to: $to, currency: $cur) {
        currency currencies openingBalance { amount currency } closingBalance { amount }
        entries { kind reference balance { amount currency } } pdfUrl
        aging { %s } } }"""
        % AGING
    )

    async def stmt(end: date, currency: str | None = None) -> dict[str, Any]:
        variables = {"c": cid, "from": day(60).isoformat(), "to": end.isoformat(), "cur": currency}
        return (await owner.gql(query, variables))["data"]["customerStatement"]  # type: ignore[no-any-return]

    inr_then = await stmt(day(10))
    assert inr_then["currency"] == "INR" and inr_then["currencies"] == ["INR", "USD"]
    assert [(e["kind"], e["reference"], e["balance"]) for e in inr_then["entries"]] == [
        ("invoice", a["number"], {"amount": "1000.00", "currency": "INR"})
    ]
    assert inr_then["closingBalance"]["amount"] == "1000.00"
    # as of day 10 nothing was paid on A yet: all 1,000 is 30 days past due
    assert buckets(inr_then["aging"]) == ["0.00", "1000.00", "0.00", "0.00", "0.00"]

    usd_then = await stmt(day(10), "usd")
    assert usd_then["currency"] == "USD"
    assert [(e["kind"], e["balance"]) for e in usd_then["entries"]] == [
        ("invoice", {"amount": "200.00", "currency": "USD"}),
        ("payment", {"amount": "150.00", "currency": "USD"}),
    ]
    assert usd_then["openingBalance"] == {"amount": "0.00", "currency": "USD"}
    assert buckets(usd_then["aging"]) == ["0.00", "150.00", "0.00", "0.00", "0.00"]

    inr_now = await stmt(today)
    assert [e["kind"] for e in inr_now["entries"]] == [
        "invoice",
        "payment",
        "invoice",
        "credit_note",
    ]
    assert inr_now["entries"][2]["reference"] == b["number"]
    assert inr_now["closingBalance"]["amount"] == "1100.00"  # 1000 + 500 - 300 - 100
    # today: A's 600 is 40 days past due, B's 500 three days
    assert buckets(inr_now["aging"]) == ["0.00", "500.00", "600.00", "0.00", "0.00"]

    # the PDF link is signed for its currency: the dollar statement's PDF is the dollar one
    base = "http://testserver"
    pdf = await client.get(usd_then["pdfUrl"].removeprefix(base))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    forged = usd_then["pdfUrl"].replace("currency=USD", "currency=INR")
    assert (await client.get(forged.removeprefix(base))).status_code == 403

    business = (await owner.gql(f"{{ agingReport {{ {AGING} }} }}"))["data"]["agingReport"]
    assert buckets(business) == ["0.00", "500.00", "600.00", "0.00", "0.00"]
    dollars = await owner.gql(f'{{ agingReport(currency: "USD") {{ {AGING} }} }}')
    assert buckets(dollars["data"]["agingReport"]) == ["0.00", "0.00", "150.00", "0.00", "0.00"]
    stats = await owner.gql(
        """query($from: Date!, $to: Date!) {
          inr: invoiceStats(from: $from, to: $to) { currency issuedCount issuedTotal { amount } }
          usd: invoiceStats(from: $from, to: $to, currency: "USD") {
            currency issuedCount issuedTotal { amount currency } collected { amount } } }""",
        {"from": day(60).isoformat(), "to": today.isoformat()},
    )
    assert stats["data"]["inr"] == {
        "currency": "INR",
        "issuedCount": 2,
        "issuedTotal": {"amount": "1500.00"},
    }
    assert stats["data"]["usd"] == {
        "currency": "USD",
        "issuedCount": 1,
        "issuedTotal": {"amount": "200.00", "currency": "USD"},
        "collected": {"amount": "50.00"},
    }
    listed = await owner.gql(
        '{ invoices(first: 10, filter: { currency: "usd" }) { edges { node { number } } } }'
    )
    assert [e["node"]["number"] for e in listed["data"]["invoices"]["edges"]] == [
        u["invoice"]["number"]
    ]
    bad = await owner.gql(
        query,
        {"c": cid, "from": day(60).isoformat(), "to": today.isoformat(), "cur": "US1"},
        expect_errors=True,
    )
    assert bad["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"


async def test_payment_webhook_signed_and_idempotent(
    owner: Actor, client: Any, runtime: Runtime
) -> None:
    runtime.settings.payment_webhook_secret = "whsec_test"
    cid = await customer_id(owner)
    inv = (
        await invoice(
            owner,
            cid,
            [{"description": "Feed", "quantity": "1", "unitPrice": "250", "taxRate": "0"}],
        )
    )["invoice"]
    token = inv["paymentLink"].rsplit("/", 1)[1]
    body = orjson.dumps(
        {
            "provider": "mpesa",
            "paymentId": "QJK123",
            "invoiceToken": token,
            "amount": "250.00",
            "currency": "INR",
            "method": "mpesa",
        }
    )
    bad = await client.post(
        "/webhooks/payments",
        content=body,
        headers={"x-khata-signature": sign_webhook("wrong", body, int(time.time()))},
    )
    assert bad.status_code == 401
    state = await owner.gql(
        "query($id: ID!) { invoice(id: $id) { status payments { id } } }", {"id": inv["id"]}
    )
    assert state["data"]["invoice"] == {"status": "ISSUED", "payments": []}
    headers = {"x-khata-signature": sign_webhook("whsec_test", body, int(time.time()))}
    first = await client.post("/webhooks/payments", content=body, headers=headers)
    again = await client.post("/webhooks/payments", content=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "recorded" and again.json()["status"] == "duplicate"
    state = await owner.gql(
        "query($id: ID!) { invoice(id: $id) { status payments { method } } }", {"id": inv["id"]}
    )
    assert state["data"]["invoice"] == {"status": "PAID", "payments": [{"method": "MPESA"}]}
    stale = {"x-khata-signature": sign_webhook("whsec_test", body, int(time.time()) - 3600)}
    assert (await client.post("/webhooks/payments", content=body, headers=stale)).status_code == 401


async def test_other_business_cannot_touch_invoices(owner: Actor, other_owner: Actor) -> None:
    cid = await customer_id(owner)
    inv = (
        await invoice(owner, cid, [{"description": "Secret", "quantity": "1", "unitPrice": "10"}])
    )["invoice"]
    body = await other_owner.gql(
        "query($id: ID!, $n: String!) { invoice(id: $id) { id } invoiceByNumber(number: $n) { id } "
        "invoices(first: 50) { edges { node { id } } } }",
        {"id": inv["id"], "n": inv["number"]},
    )
    assert body["data"] == {"invoice": None, "invoiceByNumber": None, "invoices": {"edges": []}}
    assert (await pay(other_owner, inv["id"], "1", "steal-1"))["__typename"] == "NotFoundError"
    created = await invoice(
        other_owner, cid, [{"description": "x", "quantity": "1", "unitPrice": "1"}]
    )
    assert created["__typename"] == "NotFoundError"
    stmt = await other_owner.gql(
        """query($c: ID!) { customerStatement(customerId: $c, from: "2026-01-01", to: "2026-12-31") {
        closingBalance { amount } } }""",
        {"c": cid},
        expect_errors=True,
    )
    assert stmt["errors"][0]["extensions"]["code"] == "NOT_FOUND"


LIST = """query($first: Int!) { invoices(first: $first) { edges { node { number
  lines { description } payments { amount { amount } } customer { name } } } } }"""


async def test_invoice_list_runs_constant_sql(owner: Actor, runtime: Runtime) -> None:
    cid = await customer_id(owner)
    for i in range(8):
        inv = (
            await invoice(
                owner,
                cid,
                [
                    {"description": f"L{i}a", "quantity": "1", "unitPrice": "10"},
                    {"description": f"L{i}b", "quantity": "2", "unitPrice": "5"},
                ],
            )
        )["invoice"]
        await pay(owner, inv["id"], "1", f"nplus1-{i}")
    counts = []
    for first in (2, 8):
        with count_statements(runtime) as statements:
            body = await owner.gql(LIST, {"first": first})
        assert len(body["data"]["invoices"]["edges"]) == first
        assert all(len(e["node"]["lines"]) == 2 for e in body["data"]["invoices"]["edges"])
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


async def test_customers_with_newest_invoices_and_lines_batched(
    owner: Actor, runtime: Runtime
) -> None:
    for c in range(4):
        cid = await customer_id(owner, name=f"Nested {c}")
        for i in range(7):
            await invoice(
                owner,
                cid,
                [{"description": f"N{c}-{i}", "quantity": "1", "unitPrice": "3"}],
                issueDate=f"2026-10-{i + 1:02d}",
            )
    query = """{ customers(first: 4, search: "nested") { edges { node { name
        invoices(first: 5) { number issueDate lines { description } } } } } }"""
    with count_statements(runtime) as statements:
        body = await owner.gql(query)
    nodes = [e["node"] for e in body["data"]["customers"]["edges"]]
    assert len(nodes) == 4 and all(len(n["invoices"]) == 5 for n in nodes)
    assert all(n["invoices"][0]["issueDate"] == "2026-10-07" for n in nodes)
    assert len(statements) <= 7, [s[:60] for s in statements]


async def test_signed_pdf_links(owner: Actor, client: Any) -> None:
    import io

    from pypdf import PdfReader

    cid = await customer_id(owner, name="राम कुमार")
    inv = (
        await invoice(owner, cid, [{"description": "Urea", "quantity": "2", "unitPrice": "266"}])
    )["invoice"]
    body = await owner.gql(
        """query($id: ID!, $c: ID!) { invoice(id: $id) { pdfUrl }
        customerStatement(customerId: $c, from: "2026-01-01", to: "2026-12-31") { pdfUrl } }""",
        {"id": inv["id"], "c": cid},
    )
    base = "http://127.0.0.1:8000"
    invoice_url = body["data"]["invoice"]["pdfUrl"].removeprefix(base)
    response = await client.get(invoice_url)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert inv["number"] in text
    tampered = invoice_url.replace("sig=", "sig=0")
    assert (await client.get(tampered)).status_code == 403
    assert (await client.get(tampered)).json()["code"] == "LINK_SIGNATURE_INVALID"
    other = invoice_url.replace(f"/{_rid(inv['id'])}.pdf", f"/{_rid(inv['id']) + 1}.pdf")
    assert (await client.get(other)).status_code == 403
    statement = await client.get(body["data"]["customerStatement"]["pdfUrl"].removeprefix(base))
    assert statement.status_code == 200 and statement.content.startswith(b"%PDF")


async def test_invoice_stats_sum_in_the_period_and_skip_void(owner: Actor) -> None:
    cid = await customer_id(owner)
    line = [{"description": "Bag", "quantity": "1", "unitPrice": "100", "taxRate": "0"}]
    a = (await invoice(owner, cid, line, issueDate="2026-06-01", dueDate="2026-06-10"))["invoice"]
    await pay(owner, a["id"], "40", "stats-1")
    b = (await invoice(owner, cid, line, issueDate="2026-06-15"))["invoice"]
    await owner.gql(
        'mutation($id: ID!) { voidInvoice(input: { id: $id, reason: "dup" }) { __typename } }',
        {"id": b["id"]},
    )
    await invoice(owner, cid, line, issueDate="2026-08-01", dueDate="2099-01-31")  # not overdue
    body = await owner.gql("""{ invoiceStats(from: "2026-06-01", to: "2026-06-30") { issuedCount
        issuedTotal { amount } collected { amount } outstanding { amount } overdueCount overdueTotal { amount } } }""")
    assert body["data"]["invoiceStats"] == {
        "issuedCount": 1,
        "issuedTotal": {"amount": "100.00"},
        "collected": {"amount": "40.00"},
        "outstanding": {"amount": "60.00"},
        "overdueCount": 1,
        "overdueTotal": {"amount": "60.00"},
    }


CUSTOMER_MONEY = """query($id: ID!) { customer(id: $id) {
  creditBalance { amount currency } credits { amount currency }
  financial { totalBilled { amount currency } totalPaid { amount } outstanding { amount }
    invoiceCount otherCurrencies { currency totalBilled { amount currency }
      totalPaid { amount } outstanding { amount } invoiceCount } } } }"""
APPLY_CREDIT = """mutation($id: ID!, $key: String!) {
  applyCustomerCredit(input: { invoiceId: $id, idempotencyKey: $key }) { __typename
    ... on PaymentPayload { invoice { balance { amount } status } }
    ... on UserError { code message } } }"""


async def test_money_stays_in_its_currency_in_summaries_and_credit(owner: Actor) -> None:
    """Dollars are never added to rupees: the summary's money is the business's currency
    (other currencies listed apart), and credit kept in dollars pays dollar invoices only,
    follows a merge, and is what a reversal checks against."""

    async def one(cid: str, amount: str, currency: str | None = None) -> dict[str, Any]:
        line = {"description": "Item", "quantity": "1", "unitPrice": amount, "taxRate": "0"}
        made = await invoice(owner, cid, [line], **({"currency": currency} if currency else {}))
        assert made["__typename"] == "InvoicePayload", made
        return made["invoice"]  # type: ignore[no-any-return]

    async def money(cid: str) -> dict[str, Any]:
        body = await owner.gql(CUSTOMER_MONEY, {"id": cid})
        return body["data"]["customer"]  # type: ignore[no-any-return]

    cid = await customer_id(owner)
    rupees = await one(cid, "1000")
    dollars = await one(cid, "200", "USD")
    seen = await money(cid)
    assert seen["financial"] == {
        "totalBilled": {"amount": "1000.00", "currency": "INR"},
        "totalPaid": {"amount": "0.00"},
        "outstanding": {"amount": "1000.00"},
        "invoiceCount": 2,
        "otherCurrencies": [
            {
                "currency": "USD",
                "totalBilled": {"amount": "200.00", "currency": "USD"},
                "totalPaid": {"amount": "0.00"},
                "outstanding": {"amount": "200.00"},
                "invoiceCount": 1,
            }
        ],
    }
    assert seen["credits"] == [{"amount": "0.00", "currency": "INR"}]

    overpaid = await pay(owner, dollars["id"], "250", "fx-over", keepExcessAsCredit=True)
    assert overpaid["payment"]["excessToCredit"]["amount"] == "50.00"
    seen = await money(cid)
    assert seen["creditBalance"] == {"amount": "0.00", "currency": "INR"}
    assert seen["credits"] == [
        {"amount": "0.00", "currency": "INR"},
        {"amount": "50.00", "currency": "USD"},
    ]
    assert seen["financial"]["totalPaid"] == {"amount": "0.00"}
    assert seen["financial"]["otherCurrencies"][0]["totalPaid"] == {"amount": "200.00"}
    assert seen["financial"]["otherCurrencies"][0]["outstanding"] == {"amount": "0.00"}

    # dollar credit does not pay a rupee invoice
    refused = (await owner.gql(APPLY_CREDIT, {"id": rupees["id"], "key": "fx-c1"}))["data"]
    assert refused["applyCustomerCredit"]["__typename"] == "ConflictError"
    assert "no credit in INR" in refused["applyCustomerCredit"]["message"]
    later = await one(cid, "30", "USD")
    used = (await owner.gql(APPLY_CREDIT, {"id": later["id"], "key": "fx-c2"}))["data"]
    assert used["applyCustomerCredit"]["invoice"] == {
        "balance": {"amount": "0.00"},
        "status": "PAID",
    }
    # a credit note on the paid dollar invoice becomes dollar credit
    note = await owner.gql(
        'mutation($id: ID!) { issueCreditNote(input: { invoiceId: $id, reason: "returned", '
        'amount: "10" }) { __typename } }',
        {"id": dollars["id"]},
    )
    assert note["data"]["issueCreditNote"]["__typename"] == "CreditNotePayload"
    assert (await money(cid))["credits"][1] == {"amount": "30.00", "currency": "USD"}
    # the 50 kept from the overpayment is partly spent: its reversal is refused
    payment_id = overpaid["payment"]["id"]
    reverse = await owner.gql(
        'mutation($id: ID!) { reversePayment(input: { id: $id, reason: "bounced" }) { __typename '
        "... on UserError { message } } }",
        {"id": payment_id},
    )
    assert reverse["data"]["reversePayment"]["__typename"] == "ConflictError", reverse

    # merging moves dollar credit along with the invoices
    other = await customer_id(owner, name="Second account")
    small = await one(other, "10", "USD")
    await pay(owner, small["id"], "15", "fx-over-2", keepExcessAsCredit=True)
    merged = await owner.gql(
        "mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { __typename } }",
        {"input": {"sourceId": other, "targetId": cid}},
    )
    assert merged["data"]["mergeCustomers"]["__typename"] == "MergePayload", merged
    seen = await money(cid)
    assert seen["credits"] == [
        {"amount": "0.00", "currency": "INR"},
        {"amount": "35.00", "currency": "USD"},
    ]
    assert seen["financial"]["totalBilled"] == {"amount": "1000.00", "currency": "INR"}
    assert seen["financial"]["invoiceCount"] == 4
    assert [
        (c["currency"], c["totalBilled"]["amount"], c["invoiceCount"])
        for c in seen["financial"]["otherCurrencies"]
    ] == [("USD", "230.00", 3)]


async def test_days_to_pay_count_from_issue_to_the_money_that_settled_the_invoice(
    owner: Actor, runtime: Runtime
) -> None:
    """An invoice is paid when the payment that settles it was received (a cash payment
    entered days later does not make the customer look slow); the average counts paid
    invoices only, so a partial payment leaves it and does not read the paid invoices
    again; reversing the settling payment takes the invoice out of it."""
    today = local_today()
    cid = await customer_id(owner)
    first = await dated_invoice(owner, cid, "100", today - timedelta(days=10))
    second = await dated_invoice(owner, cid, "50", today - timedelta(days=4))

    async def average() -> str | None:
        body = await owner.gql(
            "query($id: ID!) { customer(id: $id) { financial { averageDaysToPay } } }",
            {"id": cid},
        )
        return body["data"]["customer"]["financial"]["averageDaysToPay"]  # type: ignore[no-any-return]

    async def paid_at(invoice_id: str) -> str | None:
        body = await owner.gql(
            "query($id: ID!) { invoice(id: $id) { paidAt } }", {"id": invoice_id}
        )
        return body["data"]["invoice"]["paidAt"]  # type: ignore[no-any-return]

    with count_statements(runtime) as partial:
        part = await pay(
            owner, first["id"], "40", "dtp-1", receivedAt=at_ist(today - timedelta(days=8), "10:00")
        )
    assert part["invoice"]["status"] == "PARTIALLY_PAID"
    assert await average() is None
    with count_statements(runtime) as settling:
        await pay(
            owner, first["id"], "60", "dtp-2", receivedAt=at_ist(today - timedelta(days=2), "10:00")
        )
    settled_at = datetime.fromisoformat(await paid_at(first["id"]) or "")
    assert settled_at.astimezone(ZoneInfo("Asia/Kolkata")).date() == today - timedelta(days=2)
    assert await average() == "8.00"  # issued 10 days ago, settled 2 days ago
    # the settling payment read the customer's paid invoices; the partial one did not
    assert len(settling) == len(partial) + 1
    last = await pay(owner, second["id"], "50", "dtp-3")  # received now: 4 days
    assert await average() == "6.00"
    reversed_ = await owner.gql(
        'mutation($id: ID!) { reversePayment(input: { id: $id, reason: "bounced" }) { __typename } }',
        {"id": last["payment"]["id"]},
    )
    assert reversed_["data"]["reversePayment"]["__typename"] == "PaymentPayload"
    assert await paid_at(second["id"]) is None
    assert await average() == "8.00"
    async with runtime.db.unit_of_work() as session:
        tx = Tx(session, viewer_of(owner), runtime.clock)
        assert await summaries_off_their_rows(tx, [expect_id(cid, "Customer")]) == {}


async def test_pdf_link_errors_say_what_is_wrong(
    owner: Actor, clocked: tuple[httpx.AsyncClient, FrozenClock]
) -> None:
    client, clock = clocked
    cid = await customer_id(owner)
    inv = (
        await invoice(owner, cid, [{"description": "Urea", "quantity": "1", "unitPrice": "266"}])
    )["invoice"]
    body = await owner.gql("query($id: ID!) { invoice(id: $id) { pdfUrl } }", {"id": inv["id"]})
    url = body["data"]["invoice"]["pdfUrl"].removeprefix("http://127.0.0.1:8000")
    path, _, query = url.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&"))

    async def refused(link: str) -> tuple[str, str]:
        response = await client.get(link)
        assert response.status_code == 403, response.text
        return response.json()["code"], response.json()["error"]

    code, message = await refused(path)
    assert code == "LINK_UNSIGNED" and "not signed" in message and "expired" not in message
    code, message = await refused(f"{path}?exp={params['exp']}")
    assert code == "LINK_UNSIGNED"
    code, message = await refused(f"{path}?exp={params['exp']}&sig={'0' * 64}")
    assert code == "LINK_SIGNATURE_INVALID" and "signature" in message
    assert "expired" not in message
    code, message = await refused(f"{path}?exp=soon&sig={params['sig']}")
    assert code == "LINK_MALFORMED"
    # a badly signed link that is also past its time is still a bad signature
    code, _ = await refused(f"{path}?exp=1&sig={params['sig']}")
    assert code == "LINK_SIGNATURE_INVALID"
    clock.advance(hours=2)
    code, message = await refused(url)
    assert code == "LINK_EXPIRED" and "expired" in message
