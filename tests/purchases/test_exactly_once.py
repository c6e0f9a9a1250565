"""Every sale counts once: an invoice at its billed amount, a counter purchase at its
total; payments settle invoices and are never added. Statements show a purchase once,
as a debit and the same credit, so the balance never moves."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import Actor
from tests.invoicing.helpers import STATEMENT, invoice, local_today, pay
from tests.purchases.helpers import customer, item, new_customer, record


async def test_invoice_and_purchase_each_count_once_in_total_spent(owner: Actor) -> None:
    cid = await new_customer(owner, phone="+919812300001")
    inv = await invoice(
        owner,
        cid,
        [{"description": "Bulk rice", "quantity": "1", "unitPrice": "1000", "taxRate": "0"}],
    )
    assert inv["__typename"] == "InvoicePayload", inv
    await pay(owner, inv["invoice"]["id"], "1000", "pay-1")  # paid in full: not added again
    await record(owner, cid, [item("Oil", "250")])
    c = await customer(owner, cid)
    assert c["financial"]["totalBilled"]["amount"] == "1000.00"
    assert c["purchases"]["purchaseTotal"]["amount"] == "250.00"
    assert c["purchases"]["totalSpent"]["amount"] == "1250.00"
    assert c["purchases"]["purchaseCount"] == 1
    assert c["financial"]["invoiceCount"] == 1
    assert c["purchases"]["salesCount"] == 2
    assert c["purchases"]["lastSaleOn"] == local_today().isoformat()


async def test_statement_shows_a_purchase_once_and_keeps_the_balance(owner: Actor) -> None:
    cid = await new_customer(owner, phone="+919812300002")
    inv = await invoice(
        owner, cid, [{"description": "Cement", "quantity": "2", "unitPrice": "400", "taxRate": "0"}]
    )
    await record(owner, cid, [item("Nails", "120")], "CARD")
    await pay(owner, inv["invoice"]["id"], "300", "pay-2")
    today = local_today()
    body = await owner.gql(
        STATEMENT,
        {"c": cid, "from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()},
    )
    s = body["data"]["customerStatement"]
    kinds = [e["kind"] for e in s["entries"]]
    assert sorted(kinds) == ["invoice", "payment", "purchase"]
    bought = next(e for e in s["entries"] if e["kind"] == "purchase")
    assert bought["debit"]["amount"] == bought["credit"]["amount"] == "120.00"
    assert bought["description"] == "Counter purchase (card)"
    assert s["openingBalance"]["amount"] == "0.00"
    assert s["closingBalance"]["amount"] == "500.00"  # 800 billed - 300 paid; purchase nets 0
    # a later statement starts from the same balance: the purchase never entered it
    later = await owner.gql(
        STATEMENT,
        {
            "c": cid,
            "from": (today + timedelta(days=1)).isoformat(),
            "to": (today + timedelta(days=2)).isoformat(),
        },
    )
    assert later["data"]["customerStatement"]["openingBalance"]["amount"] == "500.00"
