"""Accounts over HTTP: sign-up validation, sign-in and its rate limit, sessions, several"""

from __future__ import annotations

import httpx

from tests.accounts.helpers import CUSTOMERS, VIEWER, _bearer, _error_codes
from tests.conftest import Actor, create_customer, gql

CREATE_BUSINESS = """
mutation($input: BusinessInput!) { createBusiness(input: $input) {
  __typename
  ... on BusinessPayload { business { id name country currency timezone } }
  ... on ValidationError { code fields { field code } }
  ... on UserError { code message }
} }"""


async def test_user_in_two_businesses_must_choose_one(
    client: httpx.AsyncClient, owner: Actor, other_owner: Actor
) -> None:
    await create_customer(owner, name="Only In First")
    created = (
        await owner.gql(CREATE_BUSINESS, {"input": {"name": "Second Shop", "country": "OM"}})
    )["data"]["createBusiness"]
    assert created["__typename"] == "BusinessPayload", created
    second = created["business"]
    assert (second["currency"], second["timezone"]) == ("OMR", "Asia/Muscat")

    # Both businesses are listed; without a header neither is active.
    viewer = (await gql(client, VIEWER, headers=_bearer(owner.token)))["data"]["viewer"]
    assert viewer["activeBusiness"] is None and viewer["role"] is None
    assert {(m["business"]["id"], m["role"]) for m in viewer["memberships"]} == {
        (owner.business_id, "OWNER"),
        (second["id"], "OWNER"),
    }
    body = await gql(client, CUSTOMERS, headers=_bearer(owner.token), expect_errors=True)
    assert _error_codes(body) == ["PERMISSION_DENIED"]

    # The header picks the business; each sees only its own customers.
    first_view = await gql(client, CUSTOMERS, headers=_bearer(owner.token, owner.business_id))
    assert [e["node"]["name"] for e in first_view["data"]["customers"]["edges"]] == [
        "Only In First"
    ]
    second_view = await gql(client, CUSTOMERS, headers=_bearer(owner.token, second["id"]))
    assert second_view["data"]["customers"]["totalCount"] == 0

    # A business the user does not belong to is refused, for queries and mutations.
    foreign = _bearer(owner.token, other_owner.business_id)
    body = await gql(client, CUSTOMERS, headers=foreign, expect_errors=True)
    assert body["data"] is None
    assert _error_codes(body) == ["PERMISSION_DENIED"]
    body = await gql(
        client,
        'mutation { createCustomer(input: {name: "Sneaky"}) '
        "{ __typename ... on UserError { code } } }",
        headers=foreign,
    )
    assert body["data"]["createCustomer"] == {
        "__typename": "PermissionError",
        "code": "PERMISSION_DENIED",
    }
    other_view = await other_owner.gql(CUSTOMERS)
    assert other_view["data"]["customers"]["totalCount"] == 0


async def test_business_header_must_be_a_business_id(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    customer = await create_customer(owner, name="Not A Business")
    for header, code in ((customer["customer"]["id"], "NOT_FOUND"), ("%%%", "VALIDATION_FAILED")):
        body = await gql(
            client, CUSTOMERS, headers=_bearer(owner.token, header), expect_errors=True
        )
        assert body["data"] is None
        assert _error_codes(body) == [code], body


async def test_create_business_validates_and_needs_a_user(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    bad = (
        await owner.gql(
            CREATE_BUSINESS,
            {"input": {"name": "X", "country": "IN", "timezone": "Asia/Nowhere"}},
        )
    )["data"]["createBusiness"]
    assert bad["__typename"] == "ValidationError", bad
    assert [f["field"] for f in bad["fields"]] == ["timezone"]
    anonymous = (await gql(client, CREATE_BUSINESS, {"input": {"name": "X", "country": "IN"}}))[
        "data"
    ]["createBusiness"]
    assert anonymous["__typename"] == "AuthenticationError", anonymous
