"""India's place of supply through GraphQL: GST state codes and abbreviations only, and
the seller's state from the GSTIN or, without one, from the business's `stateCode`."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import Actor, create_customer, gql

SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) { __typename
  ... on SignUpPayload { auth { token user { id } } business { id stateCode } }
  ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""
CREATE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { __typename
  ... on InvoicePayload { invoice { placeOfSupply taxes { name } } }
  ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""


async def _sign_up(client: httpx.AsyncClient, **business: Any) -> tuple[Actor | None, Any]:
    email = f"pos-{uuid.uuid4().hex[:10]}@example.com"
    body = await gql(
        client,
        SIGN_UP,
        {
            "input": {
                "email": email,
                "password": "correct horse battery",
                "name": "Owner",
                "business": {"name": "Place Shop", "country": "IN", **business},
            }
        },
    )
    result = body["data"]["signUp"]
    if result["__typename"] != "SignUpPayload":
        return None, result
    actor = Actor(
        result["auth"]["token"],
        result["business"]["id"],
        result["auth"]["user"]["id"],
        email,
        "correct horse battery",
        client,
    )
    return actor, result


async def _invoice(actor: Actor, place: str | None) -> dict[str, Any]:
    cid = (await create_customer(actor, name="Buyer"))["customer"]["id"]
    body = await actor.gql(
        CREATE,
        {
            "input": {
                "customerId": cid,
                "placeOfSupply": place,
                "lines": [{"description": "Urea", "quantity": "1", "unitPrice": "100"}],
            }
        },
    )
    return body["data"]["createInvoice"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("place", ["ZZ", "99", "Atlantis"])
async def test_unknown_place_of_supply_is_a_validation_error(
    client: httpx.AsyncClient, place: str
) -> None:
    actor, _ = await _sign_up(client, taxId="27AAPFU0939F1ZV")
    assert actor is not None
    result = await _invoice(actor, place)
    assert result["__typename"] == "ValidationError", result
    assert [(f["field"], f["code"]) for f in result["fields"]] == [
        ("placeOfSupply", "INVALID_STATE")
    ]


@pytest.mark.parametrize(
    ("place", "stored", "taxes"),
    [
        ("KA", "29", ["IGST"]),
        ("29", "29", ["IGST"]),
        ("mh", "27", ["CGST", "SGST"]),
        ("27", "27", ["CGST", "SGST"]),
        ("97", "97", ["IGST"]),
        (None, None, ["CGST", "SGST"]),
    ],
)
async def test_place_of_supply_by_code_or_abbreviation(
    client: httpx.AsyncClient, place: str | None, stored: str | None, taxes: list[str]
) -> None:
    actor, _ = await _sign_up(client, taxId="27AAPFU0939F1ZV")
    assert actor is not None
    result = await _invoice(actor, place)
    assert result["__typename"] == "InvoicePayload", result
    assert result["invoice"]["placeOfSupply"] == stored
    assert [t["name"] for t in result["invoice"]["taxes"]] == taxes


async def test_seller_state_set_on_a_business_without_gstin(client: httpx.AsyncClient) -> None:
    actor, signed = await _sign_up(client, stateCode="MH")
    assert actor is not None and signed["business"]["stateCode"] == "27"
    same = await _invoice(actor, "Maharashtra")
    assert [t["name"] for t in same["invoice"]["taxes"]] == ["CGST", "SGST"]
    other = await _invoice(actor, "KA")
    assert [t["name"] for t in other["invoice"]["taxes"]] == ["IGST"]


async def test_missing_seller_state_names_the_fields_to_set(client: httpx.AsyncClient) -> None:
    actor, signed = await _sign_up(client)
    assert actor is not None and signed["business"]["stateCode"] is None
    result = await _invoice(actor, "KA")
    assert result["__typename"] == "ValidationError", result
    (problem,) = result["fields"]
    assert (problem["field"], problem["code"]) == ("placeOfSupply", "SELLER_STATE_UNKNOWN")
    assert "taxId" in problem["message"] and "stateCode" in problem["message"]


@pytest.mark.parametrize(
    ("business", "code"),
    [
        ({"stateCode": "ZZ"}, "INVALID_STATE"),
        ({"stateCode": "KA", "taxId": "27AAPFU0939F1ZV"}, "MISMATCH"),
        ({"stateCode": "MH", "country": "KE"}, "NOT_APPLICABLE"),
    ],
)
async def test_business_state_is_checked(
    client: httpx.AsyncClient, business: dict[str, str], code: str
) -> None:
    actor, result = await _sign_up(client, **business)
    assert actor is None and result["__typename"] == "ValidationError", result
    assert [(f["field"], f["code"]) for f in result["fields"]] == [("business.stateCode", code)]
