"""Invoices, payments, credit notes, statements and the payment webhook, end to end"""

from __future__ import annotations

import time
from typing import Any

import orjson

from domain.core.signing import sign_webhook
from khata.runtime import Runtime
from tests.conftest import (
    Actor,
    count_statements,
    run_jobs,
)
from tests.invoicing.helpers import (
    _rid,
    customer_id,
    invoice,
    pay,
)

LIST = """query($first: Int!) { invoices(first: $first) { edges { node { number
  lines { description } payments { amount { amount } } customer { name } } } } }"""


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
    await run_jobs(runtime)  # the payments' receipt jobs: their SQL is not the list's
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
