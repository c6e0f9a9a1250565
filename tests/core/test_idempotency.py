"""Idempotency keys on create mutations: a retry after a lost answer replays the first
result; the same key with another input is a conflict; concurrent duplicates make one
record; keys are scoped to business and caller and swept after the retention."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from domain.core import idempotency
from domain.core.clock import FrozenClock
from khata.runtime import Runtime
from tests.conftest import CREATE_CUSTOMER, Actor, gql, serving

CREATE_INVOICE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) {
  __typename
  ... on InvoicePayload { replayed invoice { id number total { amount } } }
  ... on ValidationError { code fields { field code } }
  ... on UserError { code message } } }"""

CREATE_DRAFT = """mutation($input: CreateDraftInput!) { createInvoiceDraft(input: $input) {
  __typename
  ... on DraftPayload { replayed draft { id } }
  ... on UserError { code message } } }"""

CREATE_CUSTOMER_REPLAYED = CREATE_CUSTOMER.replace(
    "... on CustomerPayload { customer {", "... on CustomerPayload { replayed customer {"
)

INVOICES = "{ invoices(first: 50) { totalCount edges { node { number } } } }"


def _key() -> str:
    return f"retry-{uuid.uuid4().hex}"


async def _customer(actor: Actor) -> str:
    body = await actor.gql(CREATE_CUSTOMER, {"input": {"name": "Idem Customer"}})
    return str(body["data"]["createCustomer"]["customer"]["id"])


def _invoice_input(customer_id: str, key: str | None, price: str = "300") -> dict[str, Any]:
    data: dict[str, Any] = {
        "customerId": customer_id,
        "lines": [{"description": "Rice 5kg", "quantity": "2", "unitPrice": price}],
    }
    if key is not None:
        data["idempotencyKey"] = key
    return data


async def _numbers(actor: Actor) -> list[str]:
    body = await actor.gql(INVOICES)
    return sorted(e["node"]["number"] for e in body["data"]["invoices"]["edges"])


async def test_create_invoice_replays_and_takes_no_second_number(owner: Actor) -> None:
    customer = await _customer(owner)
    key = _key()
    first = (await owner.gql(CREATE_INVOICE, {"input": _invoice_input(customer, key)}))["data"][
        "createInvoice"
    ]
    assert first["__typename"] == "InvoicePayload", first
    assert first["replayed"] is False
    # the same amount written differently is the same input
    again = (await owner.gql(CREATE_INVOICE, {"input": _invoice_input(customer, key, "300.00")}))[
        "data"
    ]["createInvoice"]
    assert again["replayed"] is True
    assert again["invoice"] == first["invoice"]
    other = (await owner.gql(CREATE_INVOICE, {"input": _invoice_input(customer, key, "301")}))[
        "data"
    ]["createInvoice"]
    assert other["__typename"] == "ConflictError", other
    plain = (await owner.gql(CREATE_INVOICE, {"input": _invoice_input(customer, None)}))["data"][
        "createInvoice"
    ]
    assert plain["replayed"] is False
    assert await _numbers(owner) == ["INV-00001", "INV-00002"]


async def test_create_customer_and_draft_replay(owner: Actor) -> None:
    key = _key()
    fields = {"name": "Savita", "phone": "098450 12345", "idempotencyKey": key}
    first = (await owner.gql(CREATE_CUSTOMER_REPLAYED, {"input": fields}))["data"]["createCustomer"]
    again = (await owner.gql(CREATE_CUSTOMER_REPLAYED, {"input": fields}))["data"]["createCustomer"]
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["customer"]["id"] == first["customer"]["id"]
    assert again["customer"]["number"] == first["customer"]["number"]
    changed = (
        await owner.gql(CREATE_CUSTOMER_REPLAYED, {"input": {**fields, "name": "Savita B"}})
    )["data"]["createCustomer"]
    assert changed["__typename"] == "ConflictError", changed

    draft_input = {
        "customerId": first["customer"]["id"],
        "lines": [{"description": "Urea bag", "quantity": "2", "unitPrice": "266"}],
        "idempotencyKey": key,  # keys are per mutation: the customer's key is free here
    }
    d1 = (await owner.gql(CREATE_DRAFT, {"input": draft_input}))["data"]["createInvoiceDraft"]
    d2 = (await owner.gql(CREATE_DRAFT, {"input": draft_input}))["data"]["createInvoiceDraft"]
    assert d1["__typename"] == "DraftPayload", d1
    assert (d1["replayed"], d2["replayed"], d2["draft"]["id"]) == (False, True, d1["draft"]["id"])


async def test_a_refusal_leaves_the_key_free(owner: Actor) -> None:
    await owner.gql(CREATE_CUSTOMER, {"input": {"name": "First", "phone": "098450 55555"}})
    key = _key()
    fields = {"name": "Second", "phone": "098450 55555", "idempotencyKey": key}
    for _ in range(2):  # refused twice alike: the refusal did not keep the key
        refused = (await owner.gql(CREATE_CUSTOMER, {"input": fields}))["data"]["createCustomer"]
        assert refused["__typename"] == "DuplicateCustomerError", refused
    allowed = {**fields, "allowDuplicatePhone": True}
    created = (await owner.gql(CREATE_CUSTOMER_REPLAYED, {"input": allowed}))["data"][
        "createCustomer"
    ]
    assert (created["__typename"], created["replayed"]) == ("CustomerPayload", False)


async def test_a_bad_key_is_a_validation_error(owner: Actor) -> None:
    customer = await _customer(owner)
    for bad in ("", "   ", "k" * 121):
        body = await owner.gql(CREATE_INVOICE, {"input": _invoice_input(customer, bad)})
        answer = body["data"]["createInvoice"]
        assert answer["__typename"] == "ValidationError", answer
        assert answer["fields"] == [{"field": "idempotencyKey", "code": "INVALID_LENGTH"}]
    assert await _numbers(owner) == []


async def test_keys_are_scoped_to_the_caller(owner: Actor) -> None:
    created = (
        await owner.gql(
            """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
            ... on CreateApiKeyPayload { secret } } }""",
            {"input": {"name": "till", "scopes": ["INVOICES_WRITE", "INVOICES_READ"]}},
        )
    )["data"]["createApiKey"]
    key_headers = {"authorization": f"Bearer {created['secret']}"}
    customer = await _customer(owner)
    key = _key()
    mine = (await owner.gql(CREATE_INVOICE, {"input": _invoice_input(customer, key)}))["data"][
        "createInvoice"
    ]
    theirs = (
        await gql(
            owner.client,
            CREATE_INVOICE,
            {"input": _invoice_input(customer, key)},
            headers=key_headers,
        )
    )["data"]["createInvoice"]
    assert (mine["replayed"], theirs["replayed"]) == (False, False)
    assert mine["invoice"]["number"] != theirs["invoice"]["number"]


async def test_concurrent_duplicates_make_one_invoice(owner: Actor) -> None:
    customer = await _customer(owner)
    key = _key()
    answers = await asyncio.gather(
        *(owner.gql(CREATE_INVOICE, {"input": _invoice_input(customer, key)}) for _ in range(6))
    )
    results = [a["data"]["createInvoice"] for a in answers]
    assert {r["__typename"] for r in results} == {"InvoicePayload"}, results
    assert len({r["invoice"]["id"] for r in results}) == 1
    assert sorted(r["replayed"] for r in results) == [False] + [True] * 5
    assert await _numbers(owner) == ["INV-00001"]


async def test_expired_keys_are_swept(runtime: Runtime, owner: Actor) -> None:
    customer = await _customer(owner)
    key = _key()
    first = (await owner.gql(CREATE_INVOICE, {"input": _invoice_input(customer, key)}))["data"][
        "createInvoice"
    ]
    # within the retention the sweep keeps it
    await runtime.purge_idempotency_keys()
    kept = (await owner.gql(CREATE_INVOICE, {"input": _invoice_input(customer, key)}))["data"][
        "createInvoice"
    ]
    assert (kept["replayed"], kept["invoice"]["id"]) == (True, first["invoice"]["id"])
    later = FrozenClock(datetime.now(UTC) + timedelta(hours=24, minutes=1))
    assert await idempotency.purge_expired(runtime.db, later) >= 1
    fresh = (await owner.gql(CREATE_INVOICE, {"input": _invoice_input(customer, key)}))["data"][
        "createInvoice"
    ]
    assert fresh["replayed"] is False
    assert fresh["invoice"]["id"] != first["invoice"]["id"]


async def test_a_retry_after_a_dropped_connection_replays(app: Any, owner: Actor) -> None:
    """A real server; the client gives up once its request is on the wire (the answer is
    lost), then retries with the same key over a new connection."""
    customer = await _customer(owner)
    key = _key()
    async with serving(app) as address:
        base = f"http://{address}"
        payload = {"query": CREATE_INVOICE, "variables": {"input": _invoice_input(customer, key)}}
        async with httpx.AsyncClient(base_url=base, headers=owner.headers) as http:
            sent = asyncio.Event()

            async def trace(event: str, info: dict[str, Any]) -> None:
                if event == "http11.send_request_body.complete":
                    sent.set()

            lost = asyncio.create_task(
                http.post("/graphql", json=payload, extensions={"trace": trace})
            )
            await sent.wait()
            lost.cancel()  # the connection drops with the request sent, the answer unread
            assert (await asyncio.gather(lost, return_exceptions=True))[0].__class__ is (
                asyncio.CancelledError
            )
            retry = (await http.post("/graphql", json=payload)).json()["data"]["createInvoice"]
            assert retry["__typename"] == "InvoicePayload", retry
    # leaving `serving` stops the server gracefully: the dropped request finishes first
    # one invoice, whichever of the two requests created it; a third call replays it
    assert await _numbers(owner) == ["INV-00001"]
    third = (await owner.gql(CREATE_INVOICE, {"input": _invoice_input(customer, key)}))["data"][
        "createInvoice"
    ]
    assert (third["replayed"], third["invoice"]["id"]) == (True, retry["invoice"]["id"])
