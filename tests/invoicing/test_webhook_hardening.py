"""Correctly signed payment webhooks with impossible values answer 400 with a reason and
write nothing: providers retry a 5xx for days, a 4xx tells them the body is wrong."""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson
import pytest

from domain.core.signing import sign_webhook
from khata.runtime import Runtime
from tests.conftest import Actor, create_customer

SECRET = "whsec_hardening"
CREATE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) {
  __typename ... on InvoicePayload { invoice { id paymentLink } } } }"""


@pytest.fixture
async def issued(owner: Actor, runtime: Runtime) -> dict[str, Any]:
    runtime.settings.payment_webhook_secret = SECRET
    customer = (await create_customer(owner, name="Webhook Customer"))["customer"]["id"]
    body = await owner.gql(
        CREATE,
        {
            "input": {
                "customerId": customer,
                "lines": [{"description": "Feed", "quantity": "1", "unitPrice": "250"}],
            }
        },
    )
    invoice: dict[str, Any] = body["data"]["createInvoice"]["invoice"]
    invoice["token"] = invoice["paymentLink"].rsplit("/", 1)[1]
    return invoice


def payload(token: str, **changes: Any) -> dict[str, Any]:
    return {
        "provider": "mpesa",
        "paymentId": f"P{time.time_ns()}",
        "invoiceToken": token,
        "amount": "250.00",
        "currency": "INR",
        "method": "mpesa",
        **changes,
    }


async def post_signed(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    headers = {"x-khata-signature": sign_webhook(SECRET, body, int(time.time()))}
    return await client.post("/webhooks/payments", content=body, headers=headers)


BAD_AMOUNTS: list[Any] = [
    "1e400",
    "-1e400",
    "1E-400",
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "123456789012345678901234567890",
    123456789012345678901234567890,
    "1000000000000000",  # 16 integer digits: more than a money column holds
    0,
    "-5",
    True,
    [],
    {"value": 1},
]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
async def test_impossible_amounts_are_refused(
    client: httpx.AsyncClient, owner: Actor, issued: dict[str, Any], amount: Any
) -> None:
    if isinstance(amount, int) and abs(amount) >= 2**63:  # beyond what orjson writes
        body = orjson.dumps(payload(issued["token"], amount="AMOUNT"))
        body = body.replace(b'"AMOUNT"', str(amount).encode())
    else:
        body = orjson.dumps(payload(issued["token"], amount=amount))
    response = await post_signed(client, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]
    await assert_nothing_written(owner, issued)


RAW_BODIES = [
    b'{"amount": 1e400}',
    b'{"amount": NaN}',
    b'{"amount": Infinity}',
    b"\x00",
    b'{"provider": "mpesa"}\x00',
]


@pytest.mark.parametrize("raw", RAW_BODIES, ids=repr)
async def test_undecodable_bodies_are_refused(
    client: httpx.AsyncClient, owner: Actor, issued: dict[str, Any], raw: bytes
) -> None:
    response = await post_signed(client, raw)
    assert response.status_code == 400, response.text
    await assert_nothing_written(owner, issued)


@pytest.mark.parametrize("field", ["provider", "paymentId", "invoiceToken", "currency", "method"])
async def test_nul_bytes_in_text_are_refused(
    client: httpx.AsyncClient, owner: Actor, issued: dict[str, Any], field: str
) -> None:
    body = payload(issued["token"])
    body[field] = str(body[field]) + "\x00x"
    response = await post_signed(client, orjson.dumps(body))
    assert response.status_code == 400, response.text
    assert field in response.text  # the reason names the field
    await assert_nothing_written(owner, issued)


async def test_bad_received_at_is_refused(
    client: httpx.AsyncClient, owner: Actor, issued: dict[str, Any]
) -> None:
    for received in ("99999-01-01T00:00:00+00:00", "2024-01-01T00:00:00\x00", 12, "now"):
        body = payload(issued["token"], receivedAt=received)
        response = await post_signed(client, orjson.dumps(body))
        assert response.status_code == 400, (received, response.text)
    await assert_nothing_written(owner, issued)


async def test_a_good_body_still_records(
    client: httpx.AsyncClient, owner: Actor, issued: dict[str, Any]
) -> None:
    response = await post_signed(client, orjson.dumps(payload(issued["token"], amount=250)))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "recorded"


async def assert_nothing_written(owner: Actor, issued: dict[str, Any]) -> None:
    state = await owner.gql(
        "query($id: ID!) { invoice(id: $id) { status payments { id } } }", {"id": issued["id"]}
    )
    assert state["data"]["invoice"] == {"status": "ISSUED", "payments": []}
