"""Customers over GraphQL: progressive profiles, contact parsing, partial updates,"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Actor, sign_up
from tests.customers.helpers import create, created, field_codes


@pytest.mark.parametrize(
    ("country", "typed", "e164"),
    [
        ("IN", "98765 43210", "+919876543210"),
        ("IN", "+91-98765-43210", "+919876543210"),
        ("IN", "098765 43210", "+919876543210"),
        ("IN", "(98765) 43210", "+919876543210"),
        ("KE", "0722 123456", "+254722123456"),
        ("KE", "+254 722 123456", "+254722123456"),
        ("OM", "9123 4567", "+96891234567"),
        ("ZA", "082 123 4567", "+27821234567"),
    ],
)
async def test_phone_parsed_to_e164_in_business_region(
    client: httpx.AsyncClient, country: str, typed: str, e164: str
) -> None:
    actor = await sign_up(client, country)
    customer = await created(actor, name="Customer", phone=typed)
    assert customer["phone"] == e164
    assert customer["profileType"] == "STUB"


async def test_foreign_number_with_country_code_is_kept(owner: Actor) -> None:
    customer = await created(owner, name="Visitor", phone="+254 722 123456")
    assert customer["phone"] == "+254722123456"


@pytest.mark.parametrize("typed", ["12345", "not a phone", "98765 4321", "+91 12345 67890x"])
async def test_invalid_phone_is_a_field_error(owner: Actor, typed: str) -> None:
    result = await create(owner, name="Ramesh", phone=typed)
    assert result["__typename"] == "ValidationError"
    assert field_codes(result) == {"phone": "INVALID_PHONE"}
    assert await owner.gql("query { customers { totalCount } }") == {
        "data": {"customers": {"totalCount": 0}}
    }


async def test_kenyan_number_is_invalid_for_indian_business_without_prefix(owner: Actor) -> None:
    result = await create(owner, name="Wanjiru", phone="0722 123456")
    assert field_codes(result) == {"phone": "INVALID_PHONE"}


@pytest.mark.parametrize("typed", ["ramesh", "ramesh@", "ramesh@@example.com", "a b@example.com"])
async def test_bad_email_is_a_field_error(owner: Actor, typed: str) -> None:
    result = await create(owner, name="Ramesh", email=typed)
    assert field_codes(result) == {"email": "INVALID_EMAIL"}


async def test_every_bad_field_reported_at_once(owner: Actor) -> None:
    result = await create(
        owner,
        name="x" * 201,
        phone="123",
        email="nope",
        secondaryEmail="also nope",
        creditLimit="-5",
        tags=["t" * 41],
        addresses=[{"city": "Pune", "latitude": 95.0, "longitude": 10.0}],
    )
    codes = field_codes(result)
    assert codes == {
        "name": "TOO_LONG",
        "phone": "INVALID_PHONE",
        "email": "INVALID_EMAIL",
        "secondaryEmail": "INVALID_EMAIL",
        "creditLimit": "NEGATIVE",
        "tags": "TOO_LONG",
        "addresses.0.latitude": "OUT_OF_RANGE",
    }


async def test_secondary_phone_same_as_phone_is_rejected(owner: Actor) -> None:
    result = await create(owner, name="R", phone="9876543210", secondaryPhone="+91 98765 43210")
    assert field_codes(result) == {"secondaryPhone": "DUPLICATE"}


async def test_credit_limit_quantized_to_currency(client: httpx.AsyncClient) -> None:
    oman = await sign_up(client, "OM")
    customer = await created(oman, name="Ahmed", creditLimit="12.5")
    assert customer["creditLimit"] == {"amount": "12.500", "currency": "OMR"}
