"""Customers over GraphQL: progressive profiles, contact parsing, partial updates,"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Actor
from tests.customers.helpers import (
    CUSTOMER_FIELDS,
    RESULT,
    create,
    created,
    fetch,
    field_codes,
)

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
