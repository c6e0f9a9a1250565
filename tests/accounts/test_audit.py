"""Accounts over HTTP: sign-up validation, sign-in and its rate limit, sessions, several"""

from __future__ import annotations

import httpx

from tests.accounts.helpers import (
    AUDIT,
    MEMBERS,
    _bearer,
    _create_key,
    _error_codes,
    _invite_and_accept,
    _login,
    _row_id,
)
from tests.conftest import TEST_IP, Actor, create_customer, gql


async def test_audit_events_record_who_what_and_where(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    session = await _login(client, owner.email, owner.password)
    assert session["__typename"] == "AuthPayload"
    key = await _create_key(owner, ["CUSTOMERS_READ"])
    customer = (await create_customer(owner, name="Audited"))["customer"]

    events = (await owner.gql(AUDIT))["data"]["auditEvents"]
    nodes = [e["node"] for e in events["edges"]]
    actions = [n["action"] for n in nodes]
    # Newest first.
    assert actions[:3] == ["customer.created", "api_key.created", "auth.login"]
    assert "business.created" in actions
    by_action = {n["action"]: n for n in nodes}
    for action in ("auth.login", "api_key.created", "customer.created"):
        assert by_action[action]["ip"] == TEST_IP, by_action[action]
        assert by_action[action]["actor"] == f"user:{_row_id(owner.user_id)}"
        assert by_action[action]["requestId"]
    assert by_action["customer.created"]["targetId"] == customer["id"]
    assert by_action["api_key.created"]["targetId"] == key["apiKey"]["id"]
    assert key["secret"] not in str(by_action["api_key.created"]["data"])
    assert by_action["auth.login"]["targetId"] == owner.user_id

    filtered = (await owner.gql(AUDIT, {"action": "api_key.created"}))["data"]["auditEvents"]
    assert [e["node"]["action"] for e in filtered["edges"]] == ["api_key.created"]


async def test_audit_events_are_per_business_and_paginated(
    owner: Actor, other_owner: Actor
) -> None:
    for i in range(3):
        await create_customer(owner, name=f"Paged {i}")
    page1 = (await owner.gql(AUDIT, {"first": 2}))["data"]["auditEvents"]
    assert len(page1["edges"]) == 2 and page1["pageInfo"]["hasNextPage"] is True
    page2 = (await owner.gql(AUDIT, {"first": 2, "after": page1["pageInfo"]["endCursor"]}))["data"][
        "auditEvents"
    ]
    ids1 = [e["node"]["id"] for e in page1["edges"]]
    ids2 = [e["node"]["id"] for e in page2["edges"]]
    assert ids2 and not set(ids1) & set(ids2)
    # 3 customers + business.created = 4 events for this business, none of the other's.
    assert len(ids1) + len(ids2) == 4 and page2["pageInfo"]["hasNextPage"] is False
    other = (await other_owner.gql(AUDIT))["data"]["auditEvents"]["edges"]
    assert not {e["node"]["id"] for e in other} & set(ids1 + ids2)
    too_many = await owner.gql(AUDIT, {"first": 101}, expect_errors=True)
    assert _error_codes(too_many) == ["VALIDATION_FAILED"]


async def test_api_key_cannot_list_staff(client: httpx.AsyncClient, owner: Actor) -> None:
    """Key scopes cover customers only; staff names and emails are not for integrators."""
    secret = (await _create_key(owner, ["CUSTOMERS_READ", "CUSTOMERS_WRITE"]))["secret"]
    body = await gql(client, MEMBERS, headers=_bearer(secret), expect_errors=True)
    assert body["data"] is None
    assert _error_codes(body) == ["PERMISSION_DENIED"]
    assert owner.email not in str(body)
    staff = await _invite_and_accept(owner)
    assert len((await staff.gql(MEMBERS))["data"]["members"]) == 2  # staff see colleagues
