"""Money outside GraphQL (statement CSV, error messages, the /pay JSON, timeline and
event payloads) and unit prices show the currency's minor units: INR 2, OMR 3."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import httpx
import pytest

from domain.core.money import format_money, money_amount
from tests.conftest import create_customer, sign_up

CREATE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { __typename
  ... on InvoicePayload { invoice { id issueDate paymentLink total { amount }
      lines { unitPrice { amount } } } }
  ... on UserError { code message } } }"""
PAY = """mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { __typename
  ... on PaymentPayload { invoice { balance { amount } } }
  ... on ValidationError { fields { field code message } } ... on UserError { code message } } }"""
STATEMENT = """query($c: ID!, $from: Date!, $to: Date!) {
  customerStatement(customerId: $c, from: $from, to: $to) { csv } }"""
TIMELINE = """query($id: ID!) { invoice(id: $id) { timeline { kind data } } }"""


def test_format_money_uses_minor_units() -> None:
    assert format_money(Decimal("4027.940"), "INR") == "4027.94"
    assert format_money(Decimal("236.000"), "INR") == "236.00"
    assert format_money(Decimal("0.000"), "KES") == "0.00"
    assert format_money(Decimal("1.5"), "OMR") == "1.500"
    assert format_money(Decimal("266.5000"), "ZAR") == "266.50"
    assert format_money(Decimal("1E+3"), "INR") == "1000.00"
    # a unit price finer than the currency keeps its digits, never rounded away
    assert money_amount(Decimal("0.1250"), "INR") == Decimal("0.125")


@pytest.mark.parametrize(("country", "digits"), [("IN", 2), ("OM", 3)])
async def test_money_shows_the_currency_minor_units_everywhere(
    client: httpx.AsyncClient, country: str, digits: int
) -> None:
    actor = await sign_up(client, country)
    cid = (await create_customer(actor, name="Decimal Customer"))["customer"]["id"]
    body = await actor.gql(
        CREATE,
        {
            "input": {
                "customerId": cid,
                "lines": [
                    {"description": "Urea", "quantity": "2", "unitPrice": "266.5", "taxRate": "0"}
                ],
            }
        },
    )
    created = body["data"]["createInvoice"]
    assert created["__typename"] == "InvoicePayload", created
    inv = created["invoice"]
    money = re.compile(rf"^-?\d+\.\d{{{digits}}}$")
    assert inv["lines"][0]["unitPrice"]["amount"] == "266.5" + "0" * (digits - 1)
    total = inv["total"]["amount"]
    assert money.match(total), total

    # an error message that quotes an amount
    over = await actor.gql(
        PAY,
        {
            "input": {
                "invoiceId": inv["id"],
                "amount": "1000",
                "method": "CASH",
                "idempotencyKey": "over",
            }
        },
    )
    problem = over["data"]["recordPayment"]["fields"][0]
    assert f"balance of {total} " in problem["message"], problem

    paid = await actor.gql(
        PAY,
        {
            "input": {
                "invoiceId": inv["id"],
                "amount": "100",
                "method": "CASH",
                "idempotencyKey": "part",
            }
        },
    )
    balance = paid["data"]["recordPayment"]["invoice"]["balance"]["amount"]

    # the payment link's JSON
    token = inv["paymentLink"].rsplit("/", 1)[1]
    page = (await client.get(f"/pay/{token}")).json()
    assert page["balance"] == balance and money.match(page["balance"]), page

    # the statement CSV: every money cell
    statement = await actor.gql(
        STATEMENT, {"c": cid, "from": inv["issueDate"], "to": inv["issueDate"]}
    )
    rows = list(csv.DictReader(io.StringIO(statement["data"]["customerStatement"]["csv"])))
    cells = [r[k] for r in rows for k in ("debit", "credit", "balance") if r[k]]
    assert len(cells) >= 4 and all(money.match(c) for c in cells), rows

    # timeline entries carry amounts in the same form
    timeline = (await actor.gql(TIMELINE, {"id": inv["id"]}))["data"]["invoice"]["timeline"]
    amounts = [e["data"]["amount"] for e in timeline if "amount" in (e["data"] or {})]
    assert amounts and all(money.match(a) for a in amounts), timeline
