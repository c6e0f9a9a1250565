"""Invoices, payments, credit notes, statements and the payment webhook, end to end"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from schema.relay import expect_id
from tests.conftest import (
    Actor,
)
from tests.invoicing.helpers import (
    at_ist,
    customer_id,
    dated_invoice,
    invoice,
    local_today,
    pay,
    statement,
)

AGING = (
    "current { amount } days1To30 { amount } days31To60 { amount } days61To90 { amount } "
    "daysOver90 { amount }"
)


def buckets(aging: dict[str, Any]) -> list[str]:
    return [
        aging[k]["amount"]
        for k in ("current", "days1To30", "days31To60", "days61To90", "daysOver90")
    ]


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
