"""Invoices, payments, credit notes, statements and the payment webhook, end to end"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from domain.core.clock import FrozenClock
from domain.core.tx import Tx
from khata.runtime import Runtime
from schema.relay import expect_id
from tests.conftest import (
    Actor,
    count_statements,
    summaries_off_their_rows,
    viewer_of,
)
from tests.invoicing.helpers import (
    at_ist,
    customer_id,
    dated_invoice,
    invoice,
    local_today,
    pay,
)

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
