"""One "today" per business: an invoice is overdue by the business's own calendar, also
when nested under customers (customer(id) and the customers page), never by UTC's date."""

from __future__ import annotations

from datetime import timedelta

import httpx

from domain.core.clock import FrozenClock
from tests.conftest import create_customer, sign_up

CREATE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { __typename
  ... on InvoicePayload { invoice { id isOverdue } } ... on UserError { code message } } }"""
NESTED = """query($id: ID!, $inv: ID!) {
  invoice(id: $inv) { isOverdue }
  customer(id: $id) { invoices(first: 5) { id isOverdue } }
  customers(first: 50) { edges { node { id invoices(first: 5) { id isOverdue } } } } }"""


async def test_overdue_by_the_business_date_everywhere(
    clocked: tuple[httpx.AsyncClient, FrozenClock],
) -> None:
    client, clock = clocked
    # 20:00 UTC: already tomorrow in India (UTC+5:30)
    now = clock.now()
    target = now.replace(hour=20, minute=0, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    clock.advance(seconds=(target - now).total_seconds())
    utc_day = clock.now().date()

    actor = await sign_up(client, "IN")
    cid = (await create_customer(actor, name="Overdue Customer"))["customer"]["id"]
    body = await actor.gql(
        CREATE,
        {
            "input": {
                "customerId": cid,
                "issueDate": (utc_day - timedelta(days=10)).isoformat(),
                "dueDate": utc_day.isoformat(),  # yesterday in India, today in UTC
                "lines": [{"description": "Seeds", "quantity": "1", "unitPrice": "100"}],
            }
        },
    )
    inv = body["data"]["createInvoice"]["invoice"]
    assert inv["isOverdue"] is True

    data = (await actor.gql(NESTED, {"id": cid, "inv": inv["id"]}))["data"]
    assert data["invoice"]["isOverdue"] is True
    assert data["customer"]["invoices"] == [{"id": inv["id"], "isOverdue": True}]
    (node,) = [e["node"] for e in data["customers"]["edges"] if e["node"]["id"] == cid]
    assert node["invoices"] == [{"id": inv["id"], "isOverdue": True}]
