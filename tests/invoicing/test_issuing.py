"""Invoices, payments, credit notes, statements and the payment webhook, end to end"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from domain.core.clock import FrozenClock
from tests.conftest import (
    Actor,
    sign_up,
)
from tests.invoicing.helpers import customer_id, invoice, pay

FINANCIAL = """query($id: ID!) { customer(id: $id) { financial {
  paymentStatus oldestOpenDue outstanding { amount } } } }"""


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
