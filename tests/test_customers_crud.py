"""Customers over GraphQL: progressive profiles, contact parsing, partial updates,
activation, upgrades, addresses with exactly one default, all-or-nothing writes and
auto-registration with an idempotent welcome SMS."""

from __future__ import annotations

import asyncio
import base64
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from domain.core.outbox import OutboxEvent
from domain.notifications.models import NotificationLog
from khata.runtime import Runtime
from tests.conftest import Actor, run_jobs, sign_up
from workers.runner import InProcessRunner

CUSTOMER_FIELDS = """
  id number name nameAlt phone secondaryPhone email secondaryEmail profileType status
  tags notes businessType taxId isVip language phoneVerified deactivatedAt mergedIntoId
  creditLimit { amount currency }
  addresses { id isDefault city street latitude longitude }
"""

RESULT = f"""
  __typename
  ... on CustomerPayload {{ customer {{ {CUSTOMER_FIELDS} }} }}
  ... on ValidationError {{ code message fields {{ field code message }} }}
  ... on UserError {{ code message }}
"""

CREATE = f"""
mutation($input: CreateCustomerInput!) {{ createCustomer(input: $input) {{ {RESULT} }} }}"""

UPDATE = f"""
mutation($input: UpdateCustomerInput!) {{ updateCustomer(input: $input) {{ {RESULT} }} }}"""

UPGRADE = f"""
mutation($input: UpgradeCustomerInput!) {{ upgradeCustomer(input: $input) {{ {RESULT} }} }}"""

DEACTIVATE = f"""
mutation($id: ID!, $reason: String) {{
  deactivateCustomer(input: {{ id: $id, reason: $reason }}) {{ {RESULT} }} }}"""

REACTIVATE = f"""
mutation($id: ID!) {{ reactivateCustomer(input: {{ id: $id }}) {{ {RESULT} }} }}"""

GET = f"""query($id: ID!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS} }} }}"""

ADDRESS_RESULT = f"""
  __typename
  ... on AddressPayload {{ address {{ id isDefault city latitude longitude
      distanceKm(latitude: 19.0760, longitude: 72.8777) }}
    customer {{ {CUSTOMER_FIELDS} }} }}
  ... on ValidationError {{ code message fields {{ field code message }} }}
  ... on UserError {{ code message }}
"""

ADD_ADDRESS = f"""
mutation($customerId: ID!, $input: AddressInput!) {{
  addCustomerAddress(input: {{ customerId: $customerId, address: $input }}) {{ {ADDRESS_RESULT} }} }}"""

UPDATE_ADDRESS = f"""
mutation($id: ID!, $input: AddressInput!) {{
  updateCustomerAddress(input: {{ id: $id, address: $input }}) {{ {ADDRESS_RESULT} }} }}"""

SET_DEFAULT = f"""
mutation($id: ID!) {{ setDefaultCustomerAddress(input: {{ id: $id }}) {{ {ADDRESS_RESULT} }} }}"""

REMOVE_ADDRESS = f"""
mutation($id: ID!) {{ removeCustomerAddress(input: {{ id: $id }}) {{ {RESULT} }} }}"""

AUTO_REGISTER = f"""
mutation($input: AutoRegisterCustomerInput!) {{ autoRegisterCustomer(input: $input) {{
  __typename
  ... on AutoRegisterPayload {{ created welcomeSmsQueued customer {{ {CUSTOMER_FIELDS} }} }}
  ... on ValidationError {{ code message fields {{ field code message }} }}
  ... on UserError {{ code message }}
}} }}"""

LIST_NUMBERS = """
query { customers(first: 100, sort: {field: CREATED, direction: ASC}) {
  totalCount edges { node { number name } } } }"""


def row_id(global_id: str) -> int:
    raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return int(raw.partition(":")[2])


async def create(actor: Actor, **fields: Any) -> dict[str, Any]:
    body = await actor.gql(CREATE, {"input": fields})
    return body["data"]["createCustomer"]  # type: ignore[no-any-return]


async def created(actor: Actor, **fields: Any) -> dict[str, Any]:
    result = await create(actor, **fields)
    assert result["__typename"] == "CustomerPayload", result
    return result["customer"]  # type: ignore[no-any-return]


async def update(actor: Actor, **fields: Any) -> dict[str, Any]:
    body = await actor.gql(UPDATE, {"input": fields})
    return body["data"]["updateCustomer"]  # type: ignore[no-any-return]


async def fetch(actor: Actor, customer_id: str) -> dict[str, Any] | None:
    return (await actor.gql(GET, {"id": customer_id}))["data"]["customer"]  # type: ignore[no-any-return]


def field_codes(result: dict[str, Any]) -> dict[str, str]:
    assert result["__typename"] == "ValidationError", result
    return {f["field"]: f["code"] for f in result["fields"]}


# -- profiles --------------------------------------------------------------------------
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


# -- phones and emails -------------------------------------------------------------------
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


# -- updates ----------------------------------------------------------------------------------
async def test_update_is_partial(owner: Actor) -> None:
    customer = await created(
        owner,
        name="Ramesh",
        phone="9876543210",
        email="r@example.com",
        notes="likes tea",
        businessType="farm",
        tags=["Farmer"],
    )
    result = await update(owner, id=customer["id"], notes="likes coffee")
    assert result["__typename"] == "CustomerPayload", result
    after = result["customer"]
    assert after["notes"] == "likes coffee"
    for unchanged in ("name", "phone", "email", "businessType", "tags", "profileType", "number"):
        assert after[unchanged] == customer[unchanged], unchanged
    assert await fetch(owner, customer["id"]) == after


async def test_update_null_clears_a_field(owner: Actor) -> None:
    customer = await created(
        owner,
        name="Ramesh",
        phone="9876543210",
        email="r@example.com",
        notes="n",
        taxId="29ABCDE1234F1Z5",
    )
    after = (await update(owner, id=customer["id"], email=None, notes=None, taxId=None))["customer"]
    assert after["email"] is None and after["notes"] is None and after["taxId"] is None
    assert after["phone"] == "+919876543210"
    stored = await fetch(owner, customer["id"])
    assert stored is not None and stored["email"] is None


async def test_update_null_name_is_required(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh")
    result = await update(owner, id=customer["id"], name=None)
    assert field_codes(result) == {"name": "REQUIRED"}
    stored = await fetch(owner, customer["id"])
    assert stored is not None and stored["name"] == "Ramesh"


async def test_update_normalizes_tags(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh", tags=["old"])
    after = (
        await update(
            owner, id=customer["id"], tags=["  VIP ", "vip", "Wholesale", "", "wholesale "]
        )
    )["customer"]
    assert after["tags"] == ["vip", "wholesale"]
    cleared = (await update(owner, id=customer["id"], tags=None))["customer"]
    assert cleared["tags"] == []


async def test_update_phone_normalized_and_invalid_rejected(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh", phone="9876543210")
    after = (await update(owner, id=customer["id"], phone="+91 91234-56789"))["customer"]
    assert after["phone"] == "+919123456789"
    result = await update(owner, id=customer["id"], phone="12")
    assert field_codes(result) == {"phone": "INVALID_PHONE"}
    stored = await fetch(owner, customer["id"])
    assert stored is not None and stored["phone"] == "+919123456789"


async def test_update_clearing_phone_of_stub_is_rejected(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh", phone="9876543210")
    result = await update(owner, id=customer["id"], phone=None)
    assert field_codes(result) == {"phone": "REQUIRED"}


async def test_update_failure_changes_nothing(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh", notes="keep")
    result = await update(owner, id=customer["id"], notes="changed", email="broken")
    assert field_codes(result) == {"email": "INVALID_EMAIL"}
    stored = await fetch(owner, customer["id"])
    assert stored is not None and stored["notes"] == "keep"


async def test_update_foreign_customer_is_not_found(owner: Actor, other_owner: Actor) -> None:
    customer = await created(owner, name="Ramesh")
    result = await update(other_owner, id=customer["id"], name="Hijacked")
    assert result["__typename"] == "NotFoundError"
    assert await fetch(other_owner, customer["id"]) is None
    stored = await fetch(owner, customer["id"])
    assert stored is not None and stored["name"] == "Ramesh"


async def test_status_changes_set_and_clear_deactivated_at(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh")
    suspended = (await update(owner, id=customer["id"], status="SUSPENDED"))["customer"]
    assert suspended["status"] == "SUSPENDED"
    assert suspended["deactivatedAt"] is not None
    active = (await update(owner, id=customer["id"], status="ACTIVE"))["customer"]
    assert active["status"] == "ACTIVE"
    assert active["deactivatedAt"] is None


async def test_deactivate_and_reactivate(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh")
    body = await owner.gql(DEACTIVATE, {"id": customer["id"], "reason": "moved away"})
    gone = body["data"]["deactivateCustomer"]["customer"]
    assert gone["status"] == "INACTIVE"
    assert gone["deactivatedAt"] is not None
    listed = await owner.gql("query { customers(filter: {status: [ACTIVE]}) { totalCount } }")
    assert listed["data"]["customers"]["totalCount"] == 0

    again = (await owner.gql(DEACTIVATE, {"id": customer["id"]}))["data"]["deactivateCustomer"]
    assert again["customer"]["deactivatedAt"] == gone["deactivatedAt"]

    back = (await owner.gql(REACTIVATE, {"id": customer["id"]}))["data"]["reactivateCustomer"]
    assert back["customer"]["status"] == "ACTIVE"
    assert back["customer"]["deactivatedAt"] is None


# -- upgrades and downgrades ------------------------------------------------------------------
async def test_upgrade_guest_to_stub_to_full(owner: Actor) -> None:
    guest = await created(owner)
    assert guest["profileType"] == "GUEST"

    missing = await owner.gql(UPGRADE, {"input": {"id": guest["id"], "to": "STUB"}})
    assert field_codes(missing["data"]["upgradeCustomer"]) == {"phone": "REQUIRED"}

    stub = await owner.gql(
        UPGRADE,
        {
            "input": {
                "id": guest["id"],
                "to": "STUB",
                "name": "Ramesh Kumar",
                "phone": "98765 43210",
            }
        },
    )
    stub_c = stub["data"]["upgradeCustomer"]["customer"]
    assert stub_c["profileType"] == "STUB"
    assert stub_c["phone"] == "+919876543210"
    assert stub_c["name"] == "Ramesh Kumar"
    assert stub_c["number"] == guest["number"]

    no_email = await owner.gql(UPGRADE, {"input": {"id": guest["id"], "to": "FULL"}})
    assert field_codes(no_email["data"]["upgradeCustomer"]) == {"email": "REQUIRED"}

    full = await owner.gql(
        UPGRADE,
        {
            "input": {
                "id": guest["id"],
                "to": "FULL",
                "email": "ramesh@example.com",
                "language": "hi",
            }
        },
    )
    full_c = full["data"]["upgradeCustomer"]["customer"]
    assert full_c["profileType"] == "FULL"
    assert full_c["email"] == "ramesh@example.com"
    assert full_c["language"] == "hi"
    assert full_c["phone"] == "+919876543210"


@pytest.mark.parametrize("to", ["STUB", "GUEST"])
async def test_upgrade_to_same_or_lower_is_not_an_upgrade(owner: Actor, to: str) -> None:
    stub = await created(owner, name="Ramesh", phone="9876543210")
    body = await owner.gql(UPGRADE, {"input": {"id": stub["id"], "to": to}})
    result = body["data"]["upgradeCustomer"]
    assert result["__typename"] == "ValidationError"
    assert field_codes(result) == {"to": "NOT_AN_UPGRADE"}
    stored = await fetch(owner, stub["id"])
    assert stored is not None and stored["profileType"] == "STUB"


async def test_downgrade_through_update_keeps_email(owner: Actor) -> None:
    full = await created(
        owner, name="Ahmed", phone="9876543210", email="ahmed@example.com", profileType="FULL"
    )
    after = (await update(owner, id=full["id"], profileType="STUB"))["customer"]
    assert after["profileType"] == "STUB"
    assert after["email"] == "ahmed@example.com"
    assert after["phone"] == "+919876543210"


async def test_failed_upgrade_changes_nothing(owner: Actor) -> None:
    guest = await created(owner, name="Sita")
    body = await owner.gql(
        UPGRADE, {"input": {"id": guest["id"], "to": "FULL", "phone": "9876543210", "email": "bad"}}
    )
    assert field_codes(body["data"]["upgradeCustomer"]) == {"email": "INVALID_EMAIL"}
    stored = await fetch(owner, guest["id"])
    assert stored is not None
    assert stored["profileType"] == "GUEST" and stored["phone"] is None


# -- addresses --------------------------------------------------------------------------------
async def add_address(actor: Actor, customer_id: str, **fields: Any) -> dict[str, Any]:
    body = await actor.gql(ADD_ADDRESS, {"customerId": customer_id, "input": fields})
    return body["data"]["addCustomerAddress"]  # type: ignore[no-any-return]


def defaults(customer: dict[str, Any]) -> list[str]:
    return [a["city"] for a in customer["addresses"] if a["isDefault"]]


async def test_first_address_becomes_default(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh")
    result = await add_address(owner, customer["id"], city="Pune")
    assert result["__typename"] == "AddressPayload", result
    assert result["address"]["isDefault"] is True
    assert defaults(result["customer"]) == ["Pune"]


async def test_adding_default_moves_the_default(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh")
    await add_address(owner, customer["id"], city="Pune")
    second = await add_address(owner, customer["id"], city="Nashik")
    assert second["address"]["isDefault"] is False
    assert defaults(second["customer"]) == ["Pune"]
    third = await add_address(owner, customer["id"], city="Mumbai", isDefault=True)
    assert third["address"]["isDefault"] is True
    assert defaults(third["customer"]) == ["Mumbai"]
    assert len(third["customer"]["addresses"]) == 3


async def test_set_default_and_update_address(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh")
    await add_address(owner, customer["id"], city="Pune")
    nashik = (await add_address(owner, customer["id"], city="Nashik"))["address"]
    result = (await owner.gql(SET_DEFAULT, {"id": nashik["id"]}))["data"][
        "setDefaultCustomerAddress"
    ]
    assert result["address"]["isDefault"] is True
    assert defaults(result["customer"]) == ["Nashik"]

    pune = next(a for a in result["customer"]["addresses"] if a["city"] == "Pune")
    moved = (
        await owner.gql(
            UPDATE_ADDRESS, {"id": pune["id"], "input": {"city": "Pune East", "isDefault": True}}
        )
    )["data"]["updateCustomerAddress"]
    assert moved["__typename"] == "AddressPayload", moved
    assert moved["address"]["city"] == "Pune East"
    assert defaults(moved["customer"]) == ["Pune East"]

    # Editing the default without isDefault keeps it the default.
    edited = (await owner.gql(UPDATE_ADDRESS, {"id": pune["id"], "input": {"city": "Pune West"}}))[
        "data"
    ]["updateCustomerAddress"]
    assert defaults(edited["customer"]) == ["Pune West"]


async def test_removing_default_promotes_oldest(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh")
    await add_address(owner, customer["id"], city="Pune")
    await add_address(owner, customer["id"], city="Nashik")
    mumbai = (await add_address(owner, customer["id"], city="Mumbai", isDefault=True))["address"]
    body = await owner.gql(REMOVE_ADDRESS, {"id": mumbai["id"]})
    after = body["data"]["removeCustomerAddress"]["customer"]
    assert sorted(a["city"] for a in after["addresses"]) == ["Nashik", "Pune"]
    assert defaults(after) == ["Pune"]

    nashik = next(a for a in after["addresses"] if a["city"] == "Nashik")
    after = (await owner.gql(REMOVE_ADDRESS, {"id": nashik["id"]}))["data"]["removeCustomerAddress"]
    assert defaults(after["customer"]) == ["Pune"]
    pune = after["customer"]["addresses"][0]
    after = (await owner.gql(REMOVE_ADDRESS, {"id": pune["id"]}))["data"]["removeCustomerAddress"]
    assert after["customer"]["addresses"] == []


async def test_create_with_addresses_one_default(owner: Actor) -> None:
    customer = await created(
        owner,
        name="Ramesh",
        addresses=[{"city": "Pune"}, {"city": "Nashik", "isDefault": True}, {"city": "Mumbai"}],
    )
    assert defaults(customer) == ["Nashik"]
    implicit = await created(owner, name="Sita", addresses=[{"city": "Pune"}, {"city": "Goa"}])
    assert defaults(implicit) == ["Pune"]
    two = await create(
        owner,
        name="X",
        addresses=[{"city": "A", "isDefault": True}, {"city": "B", "isDefault": True}],
    )
    assert field_codes(two) == {"addresses": "MULTIPLE_DEFAULTS"}


async def test_address_coordinates_validated_with_paths(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh")
    bad = await add_address(owner, customer["id"], city="Pune", latitude=91.0, longitude=73.0)
    assert field_codes(bad) == {"latitude": "OUT_OF_RANGE"}
    lon = await add_address(owner, customer["id"], city="Pune", latitude=18.0, longitude=-181.0)
    assert field_codes(lon) == {"longitude": "OUT_OF_RANGE"}
    half = await add_address(owner, customer["id"], city="Pune", latitude=18.0)
    assert field_codes(half) == {"latitude": "INCOMPLETE"}
    nowhere = await add_address(owner, customer["id"], label="home")
    assert field_codes(nowhere) == {"street": "REQUIRED"}
    bad_create = await create(
        owner,
        name="Sita",
        addresses=[{"city": "Pune"}, {"city": "Goa", "latitude": -90.5, "longitude": 0.0}],
    )
    assert field_codes(bad_create) == {"addresses.1.latitude": "OUT_OF_RANGE"}
    stored = await fetch(owner, customer["id"])
    assert stored is not None and stored["addresses"] == []


async def test_distance_km(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh")
    # Pune from Mumbai (19.0760, 72.8777): about 120 km as the crow flies.
    pune = (
        await add_address(owner, customer["id"], city="Pune", latitude=18.5204, longitude=73.8567)
    )["address"]
    assert pune["distanceKm"] == pytest.approx(119.9, abs=1.5)
    here = (
        await add_address(owner, customer["id"], city="Mumbai", latitude=19.0760, longitude=72.8777)
    )["address"]
    assert here["distanceKm"] == 0.0
    none = (await add_address(owner, customer["id"], city="Nashik"))["address"]
    assert none["distanceKm"] is None


async def test_address_of_foreign_business_is_not_found(owner: Actor, other_owner: Actor) -> None:
    customer = await created(owner, name="Ramesh")
    address = (await add_address(owner, customer["id"], city="Pune"))["address"]
    result = await other_owner.gql(REMOVE_ADDRESS, {"id": address["id"]})
    assert result["data"]["removeCustomerAddress"]["__typename"] == "NotFoundError"
    foreign_add = await add_address(other_owner, customer["id"], city="Nairobi")
    assert foreign_add["__typename"] == "NotFoundError"
    stored = await fetch(owner, customer["id"])
    assert stored is not None and [a["city"] for a in stored["addresses"]] == ["Pune"]


# -- all or nothing, gapless numbers ------------------------------------------------------------
async def test_failed_create_writes_nothing_and_keeps_numbers_contiguous(owner: Actor) -> None:
    first = await created(owner, name="First")
    assert first["number"] == "CUST-00001"
    bad = await create(
        owner,
        name="Broken",
        phone="9876543210",
        addresses=[{"city": "Pune"}, {"city": "Goa", "latitude": 200.0, "longitude": 0.0}],
    )
    assert field_codes(bad) == {"addresses.1.latitude": "OUT_OF_RANGE"}
    bad_full = await create(owner, name="Broken", phone="9876543210", profileType="FULL")
    assert bad_full["__typename"] == "ValidationError"
    second = await created(owner, name="Second")
    assert second["number"] == "CUST-00002"
    body = await owner.gql(LIST_NUMBERS)
    listed = body["data"]["customers"]
    assert listed["totalCount"] == 2
    assert [e["node"]["name"] for e in listed["edges"]] == ["First", "Second"]


async def test_numbers_are_per_business(owner: Actor, other_owner: Actor) -> None:
    a = await created(owner, name="A")
    b = await created(other_owner, name="B")
    c = await created(owner, name="C")
    assert (a["number"], b["number"], c["number"]) == ("CUST-00001", "CUST-00001", "CUST-00002")


# -- auto-registration --------------------------------------------------------------------------
async def auto_register(actor: Actor, **fields: Any) -> dict[str, Any]:
    body = await actor.gql(AUTO_REGISTER, {"input": fields})
    return body["data"]["autoRegisterCustomer"]  # type: ignore[no-any-return]


async def test_auto_register_twice_same_phone_returns_same_customer(owner: Actor) -> None:
    first = await auto_register(owner, phone="98765 43210", name="Ramesh Kumar")
    assert first["__typename"] == "AutoRegisterPayload", first
    assert first["created"] is True
    assert first["customer"]["profileType"] == "STUB"
    assert first["customer"]["phone"] == "+919876543210"
    again = await auto_register(owner, phone="+91-98765-43210", name="Someone Else")
    assert again["created"] is False
    assert again["customer"]["id"] == first["customer"]["id"]
    assert again["customer"]["name"] == "Ramesh Kumar"
    third = await auto_register(owner, phone="098765 43210")
    assert third["created"] is False and third["customer"]["id"] == first["customer"]["id"]
    total = await owner.gql("query { customers { totalCount } }")
    assert total["data"]["customers"]["totalCount"] == 1


async def test_auto_register_finds_customer_created_by_hand(owner: Actor) -> None:
    existing = await created(owner, name="Ramesh", phone="9876543210")
    found = await auto_register(owner, phone="+919876543210")
    assert found["created"] is False
    assert found["customer"]["id"] == existing["id"]


async def test_auto_register_without_name_masks_phone(owner: Actor) -> None:
    result = await auto_register(owner, phone="98765 43210")
    assert result["created"] is True
    name = result["customer"]["name"]
    assert "3210" in name and "98765" not in name


async def test_auto_register_invalid_phone(owner: Actor) -> None:
    result = await auto_register(owner, phone="12ab")
    assert field_codes(result) == {"phone": "INVALID_PHONE"}


async def test_auto_register_is_per_business(owner: Actor, client: httpx.AsyncClient) -> None:
    other_india = await sign_up(client, "IN")
    a = await auto_register(owner, phone="9876543210", name="Ramesh")
    b = await auto_register(other_india, phone="9876543210", name="Ramesh")
    assert a["created"] is True and b["created"] is True
    assert a["customer"]["id"] != b["customer"]["id"]


async def _welcome_events(runtime: Runtime, customer_row_id: int) -> list[OutboxEvent]:
    async with runtime.db.read() as session:
        rows = (
            await session.scalars(
                select(OutboxEvent).where(OutboxEvent.topic == "customer.welcome")
            )
        ).all()
    return [r for r in rows if r.payload.get("customerId") == customer_row_id]


async def _log_rows(runtime: Runtime, recipient: str) -> list[NotificationLog]:
    async with runtime.db.read() as session:
        return list(
            (
                await session.scalars(
                    select(NotificationLog).where(NotificationLog.recipient == recipient)
                )
            ).all()
        )


async def test_auto_register_welcome_sms_sent_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    # A business of its own country so the recipient is unique to this test.
    actor = await sign_up(client, "ZA")
    result = await auto_register(actor, phone="082 555 0199", name="Thandi", sendWelcomeSms=True)
    assert result["created"] is True and result["welcomeSmsQueued"] is True
    e164 = result["customer"]["phone"]
    assert e164 == "+27825550199"
    await run_jobs(runtime)

    rows = await _log_rows(runtime, e164)
    assert len(rows) == 1
    log_row = rows[0]
    assert log_row.channel == "sms"
    assert log_row.status == "sent"
    assert log_row.customer_id == row_id(result["customer"]["id"])
    assert log_row.sent_at is not None
    assert "Welcome" in log_row.body
    sms_sent = [m for m in runtime.providers.sms.sent if m[1] == e164]  # type: ignore[attr-defined]
    assert len(sms_sent) == 1

    events = await _welcome_events(runtime, row_id(result["customer"]["id"]))
    assert len(events) == 1
    outbox_id = events[0].id
    assert log_row.idempotency_key.startswith(outbox_id)

    # arq may run a job twice (new job id, same outbox row): no second row, no second send.
    await runtime.jobs.enqueue(
        "send_notification", job_id=f"{outbox_id}-again", outbox_id=outbox_id
    )
    await run_jobs(runtime)
    if isinstance(runtime.jobs, InProcessRunner):
        assert runtime.jobs.results[f"{outbox_id}-again"] == "duplicate"
    assert len(await _log_rows(runtime, e164)) == 1
    assert len([m for m in runtime.providers.sms.sent if m[1] == e164]) == 1  # type: ignore[attr-defined]

    # Registering the same phone again finds the customer and queues no second welcome.
    again = await auto_register(actor, phone="+27 82 555 0199", sendWelcomeSms=True)
    assert again["created"] is False and again["welcomeSmsQueued"] is False
    await run_jobs(runtime)
    assert len(await _log_rows(runtime, e164)) == 1


async def test_welcome_sms_links_only_to_pages_that_exist(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    actor = await sign_up(client, "KE")
    result = await auto_register(actor, phone="0722 555 019", name="Wanjiru", sendWelcomeSms=True)
    (event,) = await _welcome_events(runtime, row_id(result["customer"]["id"]))
    body = event.payload["body"]
    assert "/portal" not in body
    for url in re.findall(r"https?://\S+", body):
        path = url.split("://", 1)[1].partition("/")[2]
        response = await client.get("/" + path)
        assert response.status_code != 404, url


async def test_auto_register_without_welcome_sends_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    actor = await sign_up(client, "KE")
    result = await auto_register(actor, phone="0733 555 019", name="Otieno")
    assert result["welcomeSmsQueued"] is False
    await run_jobs(runtime)
    async with runtime.db.read() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(NotificationLog)
            .where(NotificationLog.recipient == result["customer"]["phone"])
        )
    assert count == 0


async def test_concurrent_auto_register_creates_one_customer(owner: Actor) -> None:
    results = await asyncio.gather(
        *(
            auto_register(owner, phone=typed, name="Ramesh")
            for typed in ("98765 43210", "+919876543210", "098765-43210", "9876543210")
        )
    )
    assert all(r["__typename"] == "AutoRegisterPayload" for r in results), results
    assert sorted(r["created"] for r in results) == [False, False, False, True]
    assert len({r["customer"]["id"] for r in results}) == 1
    total = await owner.gql("query { customers { totalCount } }")
    assert total["data"]["customers"]["totalCount"] == 1


async def test_concurrent_creates_get_distinct_contiguous_numbers(owner: Actor) -> None:
    results = await asyncio.gather(*(created(owner, name=f"C{i}") for i in range(6)))
    numbers = sorted(r["number"] for r in results)
    assert numbers == [f"CUST-{i:05d}" for i in range(1, 7)]


NODE = """query($id: ID!) { node(id: $id) { __typename ... on Customer { name number } } }"""


async def test_node_lookup_is_tenant_scoped(owner: Actor, other_owner: Actor) -> None:
    customer = await created(owner, name="Ramesh")
    mine = (await owner.gql(NODE, {"id": customer["id"]}))["data"]["node"]
    assert mine == {"__typename": "Customer", "name": "Ramesh", "number": "CUST-00001"}
    assert (await other_owner.gql(NODE, {"id": customer["id"]}))["data"]["node"] is None


async def test_phone_display_and_mask(owner: Actor) -> None:
    customer = await created(owner, name="Ramesh", phone="98765 43210")
    body = await owner.gql(
        "query($id: ID!) { customer(id: $id) { phoneMasked phoneDisplay } }", {"id": customer["id"]}
    )
    assert body["data"]["customer"] == {
        "phoneMasked": "+91 ******3210",
        "phoneDisplay": "+91 98765 43210",
    }


async def test_too_many_tags(owner: Actor) -> None:
    result = await create(owner, name="Tagged", tags=[f"t{i}" for i in range(21)])
    assert field_codes(result) == {"tags": "TOO_MANY"}
    ok = await created(owner, name="Tagged", tags=[f"t{i}" for i in range(20)] + ["T0"])
    assert len(ok["tags"]) == 20


async def test_auto_register_blank_name_falls_back_to_masked_phone(owner: Actor) -> None:
    result = await auto_register(owner, phone="98765 43210", name="   ")
    assert result["__typename"] == "AutoRegisterPayload", result
    assert result["customer"]["name"].endswith("3210")


async def test_auto_register_bad_email_reports_email(owner: Actor) -> None:
    result = await auto_register(owner, phone="98765 43210", name="R", email="nope")
    assert field_codes(result) == {"email": "INVALID_EMAIL"}
    total = await owner.gql("query { customers { totalCount } }")
    assert total["data"]["customers"]["totalCount"] == 0
