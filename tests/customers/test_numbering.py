"""Customers over GraphQL: progressive profiles, contact parsing, partial updates,"""

from __future__ import annotations

from tests.conftest import Actor
from tests.customers.helpers import create, created, field_codes

LIST_NUMBERS = """
query { customers(first: 100, sort: {field: CREATED, direction: ASC}) {
  totalCount edges { node { number name } } } }"""


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
