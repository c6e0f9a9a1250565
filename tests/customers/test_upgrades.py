"""Customers over GraphQL: progressive profiles, contact parsing, partial updates,"""

from __future__ import annotations

import pytest

from tests.conftest import Actor
from tests.customers.helpers import (
    RESULT,
    created,
    fetch,
    field_codes,
    update,
)

UPGRADE = f"""
mutation($input: UpgradeCustomerInput!) {{ upgradeCustomer(input: $input) {{ {RESULT} }} }}"""


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
