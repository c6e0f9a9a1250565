"""The input rules of schema/guard.py: text without control characters, decimals that
are finite and bounded, dates in a sane window with time zones, JSON objects of bounded
shape. Each case once crashed as INTERNAL; each is now a typed error naming the field (a
mutation's ValidationError member, a query's VALIDATION_FAILED error)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Actor, create_customer

CUSTOMER = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  __typename ... on CustomerPayload { customer { id name notes creditLimit { amount } preferences } }
  ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""
UPDATE = """mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
  __typename ... on CustomerPayload { customer { id preferences } }
  ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""
INVOICE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) {
  __typename ... on InvoicePayload { invoice { id issueDate total { amount } } }
  ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""
PAY = """mutation($input: RecordPaymentInput!) { recordPayment(input: $input) {
  __typename ... on PaymentPayload { payment { amount { amount } receivedAt } }
  ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""
DRAFT = """mutation($input: CreateDraftInput!) { createInvoiceDraft(input: $input) {
  __typename ... on DraftPayload { draft { id } }
  ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""
GENERATE = """mutation($input: GenerateInvoiceDraftInput!) { generateInvoiceDraft(input: $input) {
  __typename ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""
IMPORT = """mutation($input: ImportCustomersInput!) { importCustomers(input: $input) {
  __typename ... on ImportPayload { customerImport { status } }
  ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""
SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) {
  __typename ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""


def field_codes(result: dict[str, Any]) -> dict[str, str]:
    assert result["__typename"] == "ValidationError", result
    return {f["field"]: f["code"] for f in result["fields"]}


def query_problem(body: dict[str, Any]) -> dict[str, str]:
    """{field: code} of a query refused as VALIDATION_FAILED."""
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "VALIDATION_FAILED", error
    return {f["field"]: f["code"] for f in error["extensions"]["fields"]}


async def a_customer(owner: Actor) -> str:
    made = await create_customer(owner, name="Asha Rao", phone="+919876543210")
    return made["customer"]["id"]  # type: ignore[no-any-return]


async def an_invoice(owner: Actor, cid: str) -> str:
    line = {"description": "Urea", "quantity": "2", "unitPrice": "50"}
    body = await owner.gql(INVOICE, {"input": {"customerId": cid, "lines": [line]}})
    result = body["data"]["createInvoice"]
    assert result["__typename"] == "InvoicePayload", result
    return result["invoice"]["id"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------ 1. control characters


@pytest.mark.parametrize(
    ("fields", "path", "code"),
    [
        ({"name": "Asha\x00"}, "name", "CONTROL_CHARACTER"),
        ({"name": "Asha\x1b[31m"}, "name", "CONTROL_CHARACTER"),
        ({"name": "Asha\u202eahsA"}, "name", "BIDI_CONTROL"),
        ({"name": "\u2066Asha\u2069"}, "name", "BIDI_CONTROL"),
        ({"name": "Asha\nRao"}, "name", "LINE_BREAK"),
        ({"name": "Asha", "notes": "a\x00b"}, "notes", "CONTROL_CHARACTER"),
        ({"name": "Asha", "email": "a\x00@example.com"}, "email", "CONTROL_CHARACTER"),
        ({"name": "Asha", "tags": ["ok", "b\x00d"]}, "tags.1", "CONTROL_CHARACTER"),
        (
            {"name": "Asha", "addresses": [{"city": "Pu\x00ne"}]},
            "addresses.0.city",
            "CONTROL_CHARACTER",
        ),
        (
            {"name": "Asha", "preferences": {"k\x00": 1}},
            "preferences.'k\\x00'",
            "CONTROL_CHARACTER",
        ),
        ({"name": "Asha", "preferences": {"sms": "\x00"}}, "preferences.sms", "CONTROL_CHARACTER"),
    ],
)
async def test_control_characters_in_customer_fields(
    owner: Actor, fields: dict[str, Any], path: str, code: str
) -> None:
    body = await owner.gql(CUSTOMER, {"input": fields})
    assert field_codes(body["data"]["createCustomer"]) == {path: code}


async def test_multi_line_fields_keep_their_line_breaks(owner: Actor) -> None:
    body = await owner.gql(CUSTOMER, {"input": {"name": " Asha\t", "notes": "one\r\ntwo\tthree"}})
    customer = body["data"]["createCustomer"]["customer"]
    assert customer["name"] == "Asha" and customer["notes"] == "one\r\ntwo\tthree"


async def test_control_characters_in_invoice_payment_and_draft_inputs(owner: Actor) -> None:
    cid = await a_customer(owner)
    line = {"description": "Urea\x00", "quantity": "1", "unitPrice": "5"}
    body = await owner.gql(INVOICE, {"input": {"customerId": cid, "lines": [line]}})
    assert field_codes(body["data"]["createInvoice"]) == {
        "lines.0.description": "CONTROL_CHARACTER"
    }

    body = await owner.gql(INVOICE, {"input": {"customerId": cid + "\x00", "lines": []}})
    assert field_codes(body["data"]["createInvoice"]) == {"customerId": "CONTROL_CHARACTER"}

    inv = await an_invoice(owner, cid)
    pay = {"invoiceId": inv, "amount": "1", "method": "UPI", "idempotencyKey": "k\x00"}
    body = await owner.gql(PAY, {"input": {**pay, "reference": "\u202eref"}})
    assert field_codes(body["data"]["recordPayment"]) == {
        "idempotencyKey": "CONTROL_CHARACTER",
        "reference": "BIDI_CONTROL",
    }

    body = await owner.gql(GENERATE, {"input": {"customerId": cid, "prompt": "2 urea\x00"}})
    assert field_codes(body["data"]["generateInvoiceDraft"]) == {"prompt": "CONTROL_CHARACTER"}

    body = await owner.gql(
        DRAFT, {"input": {"customerId": cid, "lines": [{"description": "x", "unit": "k\x07g"}]}}
    )
    assert field_codes(body["data"]["createInvoiceDraft"]) == {"lines.0.unit": "CONTROL_CHARACTER"}

    csv = "name,phone\nAsha\x00,9876543210\n"
    body = await owner.gql(IMPORT, {"input": {"csv": csv}})
    assert field_codes(body["data"]["importCustomers"]) == {"csv": "CONTROL_CHARACTER"}


async def test_control_characters_before_sign_in(client: Any) -> None:
    from tests.conftest import gql

    body = await gql(
        client,
        SIGN_UP,
        {
            "input": {
                "email": "x@example.com",
                "password": "pass\x00word long",
                "name": "X",
                "business": {"name": "Shop\u202e", "country": "IN"},
            }
        },
    )
    assert field_codes(body["data"]["signUp"]) == {
        "password": "CONTROL_CHARACTER",
        "business.name": "BIDI_CONTROL",
    }


@pytest.mark.parametrize(
    ("query", "variables", "path"),
    [
        (
            "query($t: String!) { searchCustomers(term: $t) { exact { id } } }",
            {"t": "98\x00"},
            "term",
        ),
        ("query($s: String) { customers(search: $s) { totalCount } }", {"s": "a\x00"}, "search"),
        (
            "query($n: String) { invoices(filter: {number: $n}) { totalCount } }",
            {"n": "INV\x00"},
            "filter.number",
        ),
        ("query($n: String!) { invoiceByNumber(number: $n) { id } }", {"n": "INV\x00"}, "number"),
        (
            "query($a: String) { auditEvents(action: $a) { edges { cursor } } }",
            {"a": "\x00"},
            "action",
        ),
        (
            "query($c: String) { agingReport(currency: $c) { current { amount } } }",
            {"c": "\x00"},
            "currency",
        ),
        ("query($c: String) { customers(after: $c) { totalCount } }", {"c": "\x00"}, "after"),
        ('{ customer(id: "Q3VzdG9tZXI6MQ\\u0000") { id } }', {}, "id"),
    ],
)
async def test_control_characters_in_query_arguments(
    owner: Actor, query: str, variables: dict[str, Any], path: str
) -> None:
    body = await owner.gql(query, variables, expect_errors=True)
    assert query_problem(body) == {path: "CONTROL_CHARACTER"}
    assert not any((body["data"] or {}).values())


# ------------------------------------------------------------------ 2. dates and times


async def test_a_date_time_without_a_time_zone_is_refused(owner: Actor) -> None:
    inv = await an_invoice(owner, await a_customer(owner))
    pay = {"invoiceId": inv, "amount": "1", "method": "UPI", "idempotencyKey": "naive"}
    body = await owner.gql(PAY, {"input": {**pay, "receivedAt": "2026-12-01T10:00:00"}})
    assert field_codes(body["data"]["recordPayment"]) == {"receivedAt": "TIMEZONE_REQUIRED"}


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31"])
async def test_invoice_dates_outside_the_window(owner: Actor, day: str) -> None:
    cid = await a_customer(owner)
    line = {"description": "Urea", "quantity": "1", "unitPrice": "5"}
    for key in ("issueDate", "dueDate"):
        body = await owner.gql(INVOICE, {"input": {"customerId": cid, "lines": [line], key: day}})
        assert field_codes(body["data"]["createInvoice"]) == {key: "OUT_OF_RANGE"}


@pytest.mark.parametrize(
    "received",
    [
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59+00:00",
        "9999-12-31T23:59:59-14:00",  # past year 9999 once in UTC
        "0001-01-01T00:00:00+14:00",
        "1999-06-01T00:00:00Z",
    ],
)
async def test_payment_dates_outside_the_window(owner: Actor, received: str) -> None:
    inv = await an_invoice(owner, await a_customer(owner))
    pay = {"invoiceId": inv, "amount": "1", "method": "UPI", "idempotencyKey": received}
    body = await owner.gql(PAY, {"input": {**pay, "receivedAt": received}})
    assert field_codes(body["data"]["recordPayment"]) == {"receivedAt": "OUT_OF_RANGE"}


async def test_a_payment_is_not_in_the_future(owner: Actor) -> None:
    """Payments are received, never scheduled: a few minutes of clock skew at most."""
    inv = await an_invoice(owner, await a_customer(owner))
    ahead = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    pay = {"invoiceId": inv, "amount": "1", "method": "UPI", "idempotencyKey": "ahead"}
    body = await owner.gql(PAY, {"input": {**pay, "receivedAt": ahead}})
    assert field_codes(body["data"]["recordPayment"]) == {"receivedAt": "IN_FUTURE"}


async def test_query_dates_outside_the_window(owner: Actor) -> None:
    body = await owner.gql(
        '{ invoiceStats(from: "0001-01-01", to: "9999-12-31") { currency } }', expect_errors=True
    )
    assert query_problem(body) == {"from": "OUT_OF_RANGE", "to": "OUT_OF_RANGE"}


# ------------------------------------------------------------------ 3. decimals


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1e400", "OUT_OF_RANGE"),
        ("-1e400", "OUT_OF_RANGE"),
        ("NaN", "NOT_A_NUMBER"),
        ("sNaN", "NOT_A_NUMBER"),
        ("Infinity", "NOT_A_NUMBER"),
        ("-Infinity", "NOT_A_NUMBER"),
        ("9" * 30, "OUT_OF_RANGE"),
        ("0." + "1" * 30, "TOO_PRECISE"),
        ("1e-400", "TOO_PRECISE"),
    ],
)
async def test_absurd_decimals_everywhere(owner: Actor, value: str, code: str) -> None:
    body = await owner.gql(CUSTOMER, {"input": {"name": "Asha", "creditLimit": value}})
    assert field_codes(body["data"]["createCustomer"]) == {"creditLimit": code}

    body = await owner.gql(
        "query($v: Decimal) { customers(filter: {outstandingMin: $v}) { totalCount } }",
        {"v": value},
        expect_errors=True,
    )
    assert query_problem(body) == {"filter.outstandingMin": code}
    body = await owner.gql(
        "query($v: Decimal) { invoices(filter: {totalMin: $v}) { totalCount } }",
        {"v": value},
        expect_errors=True,
    )
    assert query_problem(body) == {"filter.totalMin": code}


async def test_absurd_decimals_in_lines_and_payments(owner: Actor) -> None:
    cid = await a_customer(owner)
    line = {
        "description": "Urea",
        "quantity": "NaN",
        "unitPrice": "1e400",
        "discountPercent": "Infinity",
        "taxRate": "sNaN",
    }
    body = await owner.gql(INVOICE, {"input": {"customerId": cid, "lines": [line]}})
    assert field_codes(body["data"]["createInvoice"]) == {
        "lines.0.quantity": "NOT_A_NUMBER",
        "lines.0.unitPrice": "OUT_OF_RANGE",
        "lines.0.discountPercent": "NOT_A_NUMBER",
        "lines.0.taxRate": "NOT_A_NUMBER",
    }
    inv = await an_invoice(owner, cid)
    pay = {"invoiceId": inv, "method": "UPI", "idempotencyKey": "big"}
    body = await owner.gql(PAY, {"input": {**pay, "amount": "9" * 30}})
    assert field_codes(body["data"]["recordPayment"]) == {"amount": "OUT_OF_RANGE"}
    # a literal in the document is checked the same way as a variable
    body = await owner.gql(
        'mutation { createCustomer(input: {name: "A", creditLimit: "NaN"}) { __typename '
        "... on ValidationError { fields { field code } } } }"
    )
    assert field_codes(body["data"]["createCustomer"]) == {"creditLimit": "NOT_A_NUMBER"}


async def test_large_products_of_bounded_numbers_are_refused(owner: Actor) -> None:
    """Each number within bounds, their product beyond what an amount can hold."""
    cid = await a_customer(owner)
    line = {"description": "Urea", "quantity": "999999999999", "unitPrice": "999999999999"}
    body = await owner.gql(INVOICE, {"input": {"customerId": cid, "lines": [line]}})
    result = body["data"]["createInvoice"]
    assert result["__typename"] == "ValidationError", result
    assert "lines.0" in {f["field"].rsplit(".", 1)[0] for f in result["fields"]} | {
        f["field"] for f in result["fields"]
    }


async def test_arabic_indic_digits_are_read_as_digits(owner: Actor) -> None:
    """Accepted on purpose: a till set to Arabic numerals sends them; they mean the
    same amount (README, Input rules)."""
    inv = await an_invoice(owner, await a_customer(owner))
    pay = {"invoiceId": inv, "method": "UPI", "idempotencyKey": "arabic"}
    body = await owner.gql(PAY, {"input": {**pay, "amount": "\u0665\u0660.\u0665"}})
    result = body["data"]["recordPayment"]
    assert result["__typename"] == "PaymentPayload", result
    assert result["payment"]["amount"]["amount"] == "50.50"


# ------------------------------------------------------------------ 4. JSON and addresses


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("preferences", "code"),
    [
        ([1], "OBJECT_EXPECTED"),
        ("str", "OBJECT_EXPECTED"),
        (7, "OBJECT_EXPECTED"),
        (nested(500), "TOO_DEEP"),
        (nested(6), "TOO_DEEP"),
        ({"big": "x" * 1_000_000}, "TOO_LARGE"),
        ({f"k{i}": "x" * 100 for i in range(100)}, "TOO_LARGE"),
    ],
)
async def test_preferences_of_the_wrong_shape(owner: Actor, preferences: Any, code: str) -> None:
    body = await owner.gql(CUSTOMER, {"input": {"name": "Asha", "preferences": preferences}})
    codes = field_codes(body["data"]["createCustomer"])
    assert set(codes.values()) == {code}
    assert all(path.startswith("preferences") for path in codes)

    cid = await a_customer(owner)
    body = await owner.gql(UPDATE, {"input": {"id": cid, "preferences": preferences}})
    assert set(field_codes(body["data"]["updateCustomer"]).values()) == {code}


async def test_preferences_within_bounds_are_kept(owner: Actor) -> None:
    preferences = {"sms": True, "language": "hi", "quiet": {"from": "22:00", "to": "07:00"}}
    body = await owner.gql(
        CUSTOMER, {"input": {"name": "Asha", "preferences": {**preferences, "n": nested(4)}}}
    )
    assert body["data"]["createCustomer"]["customer"]["preferences"]["quiet"]["to"] == "07:00"


ADD_ADDRESS = """mutation($input: AddCustomerAddressInput!) { addCustomerAddress(input: $input) {
  __typename ... on ValidationError { code fields { field code } }
  ... on UserError { code message } } }"""


async def test_addresses_per_customer_are_capped(owner: Actor) -> None:
    addresses = [{"city": f"Pune {i}"} for i in range(21)]
    body = await owner.gql(CUSTOMER, {"input": {"name": "Asha", "addresses": addresses}})
    assert field_codes(body["data"]["createCustomer"]) == {"addresses": "TOO_MANY"}

    made = await create_customer(owner, name="Asha", addresses=addresses[:20])
    cid = made["customer"]["id"]
    body = await owner.gql(ADD_ADDRESS, {"input": {"customerId": cid, "address": {"city": "Goa"}}})
    assert field_codes(body["data"]["addCustomerAddress"]) == {"address": "TOO_MANY"}


# ------------------------------------------------------------------ 5. CSV import


@pytest.mark.parametrize(
    ("csv", "code", "line"),
    [
        ("name,phone\nAsha,9876543210\nA\rB,9876543211\n", "MALFORMED", "line 3"),
        ("name,phone\nAsha," + "9" * 200_000 + "\n", "CELL_TOO_LARGE", "line 2"),
    ],
)
async def test_csv_the_csv_module_cannot_read(owner: Actor, csv: str, code: str, line: str) -> None:
    body = await owner.gql(IMPORT, {"input": {"csv": csv}})
    result = body["data"]["importCustomers"]
    assert field_codes(result) == {"csv": code}
    assert line in result["fields"][0]["message"]


async def test_a_quoted_carriage_return_is_read(owner: Actor) -> None:
    body = await owner.gql(IMPORT, {"input": {"csv": 'name,phone\n"A\rB",9876543210\n'}})
    assert body["data"]["importCustomers"]["__typename"] == "ImportPayload", body


# ------------------------------------------------------------------ 6. currencies


@pytest.mark.parametrize(
    "query",
    [
        '{ agingReport(currency: "XYZ") { current { amount } } }',
        '{ invoiceStats(from: "2026-01-01", to: "2026-01-31", currency: "XYZ") { currency } }',
        '{ invoices(filter: {currency: "XYZ"}) { totalCount } }',
        '{ agingReport(currency: "XXX") { current { amount } } }',
    ],
)
async def test_an_unknown_currency_is_refused(owner: Actor, query: str) -> None:
    body = await owner.gql(query, expect_errors=True)
    codes = query_problem(body)
    assert set(codes.values()) == {"INVALID_CURRENCY"}
    assert set(codes) <= {"currency", "filter.currency"}


async def test_a_known_foreign_currency_answers(owner: Actor) -> None:
    body = await owner.gql('{ agingReport(currency: "usd") { current { amount currency } } }')
    assert body["data"]["agingReport"]["current"]["currency"] == "USD"


async def test_a_lone_surrogate_never_reaches_a_resolver(owner: Actor) -> None:
    """JSON with a lone surrogate is a 400; in the document it is a syntax error (the
    guard's own rule is the backstop)."""
    response = await owner.client.post(
        "/graphql",
        content=b'{"query": "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) '
        b'{ __typename } }", "variables": {"i": {"name": "A\\ud800"}}}',
        headers={**owner.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400
    body = await owner.gql(
        'mutation { createCustomer(input: {name: "A\\ud800"}) { __typename } }',
        expect_errors=True,
    )
    assert "Invalid Unicode escape" in body["errors"][0]["message"]
