"""Customers over GraphQL: progressive profiles, contact parsing, partial updates,"""

from __future__ import annotations

from tests.conftest import Actor
from tests.customers.helpers import (
    RESULT,
    created,
    fetch,
    field_codes,
    update,
)

DEACTIVATE = f"""
mutation($id: ID!, $reason: String) {{
  deactivateCustomer(input: {{ id: $id, reason: $reason }}) {{ {RESULT} }} }}"""


REACTIVATE = f"""
mutation($id: ID!) {{ reactivateCustomer(input: {{ id: $id }}) {{ {RESULT} }} }}"""


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
