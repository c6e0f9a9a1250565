"""Customers over GraphQL: progressive profiles, contact parsing, partial updates,"""

from __future__ import annotations

from tests.conftest import Actor
from tests.customers.helpers import create, created, field_codes


async def test_guest_without_name_is_walk_in(owner: Actor) -> None:
    customer = await created(owner)
    assert customer["name"] == "Walk-in Customer"
    assert customer["profileType"] == "GUEST"
    assert customer["phone"] is None and customer["email"] is None
    assert customer["status"] == "ACTIVE"
    assert customer["number"] == "CUST-00001"


async def test_guest_with_blank_name_is_walk_in(owner: Actor) -> None:
    customer = await created(owner, name="   ")
    assert customer["name"] == "Walk-in Customer"
    assert customer["profileType"] == "GUEST"


async def test_named_customer_without_contact_is_guest(owner: Actor) -> None:
    customer = await created(owner, name="  Sita Devi  ")
    assert customer["name"] == "Sita Devi"
    assert customer["profileType"] == "GUEST"


async def test_stub_from_name_and_phone(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh Kumar", phone="98765 43210")
    assert customer["profileType"] == "STUB"
    assert customer["phone"] == "+919876543210"
    assert customer["phoneVerified"] is False


async def test_explicit_stub_without_phone_is_rejected(owner: Actor) -> None:
    result = await create(owner, name="Ramesh", profileType="STUB")
    assert field_codes(result) == {"phone": "REQUIRED"}


async def test_full_profile_with_phone_and_email(owner: Actor) -> None:
    customer = await created(
        owner, name="Ahmed", phone="9876543210", email="Ahmed@Example.COM", profileType="FULL"
    )
    assert customer["profileType"] == "FULL"
    assert customer["email"] == "ahmed@example.com"
    assert customer["phone"] == "+919876543210"


async def test_full_profile_without_email_fails_on_email(owner: Actor) -> None:
    result = await create(owner, name="Ahmed", phone="9876543210", profileType="FULL")
    assert result["code"] == "VALIDATION_FAILED"
    assert field_codes(result) == {"email": "REQUIRED"}


async def test_full_profile_without_phone_or_email_names_both(owner: Actor) -> None:
    result = await create(owner, name="Ahmed", profileType="FULL")
    assert field_codes(result) == {"phone": "REQUIRED", "email": "REQUIRED"}


async def test_phone_and_email_without_profile_type_is_stub_until_verified(owner: Actor) -> None:
    customer = await created(owner, name="Ahmed", phone="9876543210", email="a@example.com")
    assert customer["profileType"] == "STUB"
