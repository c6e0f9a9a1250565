"""createCustomer with a phone another customer of the business has answers with those
customers (DuplicateCustomerError) unless `allowDuplicatePhone`; and one rule for names:
empty or only spaces is no name, a new customer without one gets a placeholder, an
existing customer's name cannot be cleared."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Actor, sign_up
from tests.customers.helpers import auto_register, created, field_codes, update

CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { __typename
  ... on CustomerPayload { customer { id name phone profileType } }
  ... on DuplicateCustomerError { code message field duplicates { id name phone } }
  ... on ValidationError { code fields { field code } }
  ... on UserError { code message } } }"""
COUNT = "{ customers(first: 1) { totalCount } }"


async def create(actor: Actor, **fields: Any) -> dict[str, Any]:
    return (await actor.gql(CREATE, {"input": fields}))["data"]["createCustomer"]  # type: ignore[no-any-return]


async def count(actor: Actor) -> int:
    return (await actor.gql(COUNT))["data"]["customers"]["totalCount"]  # type: ignore[no-any-return]


async def test_duplicate_phone_lists_the_customers_and_writes_nothing(owner: Actor) -> None:
    first = await created(owner, name="Ramesh Kumar", phone="98765 43210")
    second = await created(owner, name="Suresh", phone="98765 11111", secondaryPhone="98765 22222")
    before = await count(owner)

    dup = await create(owner, name="R. Kumar", phone="+91 98765 43210")
    assert dup["__typename"] == "DuplicateCustomerError", dup
    assert dup["code"] == "DUPLICATE_PHONE" and dup["field"] == "phone"
    assert [d["id"] for d in dup["duplicates"]] == [first["id"]]
    assert "allowDuplicatePhone" in dup["message"]
    assert await count(owner) == before

    # a phone that is someone's secondary phone, and a secondary phone that is taken
    by_secondary = await create(owner, name="Other", phone="98765 22222")
    assert [d["id"] for d in by_secondary["duplicates"]] == [second["id"]]
    mine_secondary = await create(
        owner, name="Other", phone="98765 33333", secondaryPhone="98765 11111"
    )
    assert mine_secondary["__typename"] == "DuplicateCustomerError"
    assert mine_secondary["field"] == "secondaryPhone"
    assert await count(owner) == before

    # the explicit override creates it
    forced = await create(owner, name="R. Kumar", phone="98765 43210", allowDuplicatePhone=True)
    assert forced["__typename"] == "CustomerPayload", forced
    assert await count(owner) == before + 1

    # consistent with autoRegisterCustomer: that phone finds the first customer
    found = await auto_register(owner, phone="98765 43210")
    assert found["created"] is False and found["customer"]["id"] == first["id"]


async def test_same_phone_in_another_business_is_no_duplicate(
    owner: Actor, client: httpx.AsyncClient
) -> None:
    other = await sign_up(client, "IN")
    await created(owner, name="Ramesh", phone="98765 43299")
    result = await create(other, name="Ramesh", phone="98765 43299")
    assert result["__typename"] == "CustomerPayload", result


@pytest.mark.parametrize("name", [None, "", "   ", "\t \n"])
async def test_a_new_customer_without_a_name_gets_a_placeholder(
    owner: Actor, name: str | None
) -> None:
    fields: dict[str, Any] = {} if name is None else {"name": name}
    with_phone = await create(owner, phone="98765 40999", **fields)
    assert with_phone["__typename"] == "CustomerPayload", with_phone
    customer = with_phone["customer"]
    assert customer["name"] == f"Customer +91 ******{customer['phone'][-4:]}"
    assert customer["profileType"] == "STUB"

    guest = await create(owner, **fields)
    assert guest["__typename"] == "CustomerPayload", guest
    assert guest["customer"]["name"] == "Walk-in Customer"
    assert guest["customer"]["profileType"] == "GUEST"

    registered = await auto_register(owner, phone="98450 12345", **fields)
    assert registered["created"] is True, registered
    phone = registered["customer"]["phone"]
    assert registered["customer"]["name"] == f"Customer +91 ******{phone[-4:]}"


@pytest.mark.parametrize("name", [None, "", "   "])
async def test_an_existing_name_cannot_be_cleared(owner: Actor, name: str | None) -> None:
    customer = await created(owner, name="Lakshmi")
    assert field_codes(await update(owner, id=customer["id"], name=name)) == {"name": "REQUIRED"}
    kept = await update(owner, id=customer["id"], notes="no name sent")
    assert kept["customer"]["name"] == "Lakshmi"
    renamed = await update(owner, id=customer["id"], name="  Lakshmi Traders ")
    assert renamed["customer"]["name"] == "Lakshmi Traders"
