"""Accounts over HTTP: sign-up validation, sign-in and its rate limit, sessions, several"""

from __future__ import annotations

import httpx
from sqlalchemy import select

from domain.accounts.models import ApiKey
from khata.runtime import Runtime
from tests.accounts.helpers import (
    API_KEYS,
    AUDIT,
    CREATE_KEY,
    CUSTOMERS,
    VIEWER,
    _bearer,
    _create_key,
    _error_codes,
    _when,
)
from tests.conftest import Actor, create_customer, gql

REVOKE_KEY = """
mutation($id: ID!) { revokeApiKey(input: { id: $id }) {
  __typename
  ... on ApiKeyPayload { apiKey { id revokedAt } }
  ... on UserError { code message }
} }"""


async def test_api_key_secret_is_shown_once_and_stored_hashed(
    owner: Actor, runtime: Runtime
) -> None:
    created = await _create_key(owner, ["CUSTOMERS_READ", "CUSTOMERS_WRITE"], name="  POS  ")
    secret = created["secret"]
    key = created["apiKey"]
    assert key["name"] == "POS"
    assert sorted(key["scopes"]) == ["CUSTOMERS_READ", "CUSTOMERS_WRITE"]
    assert key["lastUsedAt"] is None and key["revokedAt"] is None
    assert secret.startswith("kk_") and key["prefix"] in secret
    assert len(secret) >= 40

    listed = await owner.client.post("/graphql", json={"query": API_KEYS}, headers=owner.headers)
    assert secret not in listed.text
    assert [k["id"] for k in listed.json()["data"]["apiKeys"]] == [key["id"]]

    async with runtime.db.read() as session:
        row = (await session.scalars(select(ApiKey).where(ApiKey.prefix == key["prefix"]))).one()
        stored_hash = (
            await session.execute(select(ApiKey.key_hash).where(ApiKey.id == row.id))
        ).scalar_one()
    assert stored_hash and secret not in stored_hash
    assert stored_hash != secret
    secret_body = secret.split("_", 2)[2]
    for column in ApiKey.__table__.columns:
        assert secret_body not in str(getattr(row, column.key)), column.key


async def test_api_key_validation(owner: Actor) -> None:
    result = (await owner.gql(CREATE_KEY, {"input": {"name": "  ", "scopes": []}}))["data"][
        "createApiKey"
    ]
    assert result["__typename"] == "ValidationError", result
    assert {f["field"] for f in result["fields"]} == {"name", "scopes"}


async def test_api_key_reads_customers_without_business_header(
    client: httpx.AsyncClient, owner: Actor, other_owner: Actor
) -> None:
    await create_customer(owner, name="Lakshmi Traders")
    await create_customer(other_owner, name="Someone Else's")
    created = await _create_key(owner, ["CUSTOMERS_READ"], name="Reporting")
    headers = _bearer(created["secret"])

    body = await gql(client, CUSTOMERS, headers=headers)
    assert [e["node"]["name"] for e in body["data"]["customers"]["edges"]] == ["Lakshmi Traders"]
    viewer = (await gql(client, VIEWER, headers=headers))["data"]["viewer"]
    assert viewer["apiKeyName"] == "Reporting"
    assert viewer["activeBusiness"]["id"] == owner.business_id
    assert viewer["user"] is None and viewer["role"] is None

    # A key is pinned to its business: pointing it at another one changes nothing.
    pinned = await gql(
        client, CUSTOMERS, headers=_bearer(created["secret"], other_owner.business_id)
    )
    assert [e["node"]["name"] for e in pinned["data"]["customers"]["edges"]] == ["Lakshmi Traders"]

    listed = (await owner.gql(API_KEYS))["data"]["apiKeys"]
    assert listed[0]["lastUsedAt"] is not None


async def test_read_only_key_cannot_write_or_administer(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    created = await _create_key(owner, ["CUSTOMERS_READ"])
    headers = _bearer(created["secret"])
    body = await gql(
        client,
        'mutation { createCustomer(input: {name: "Blocked"}) '
        "{ __typename ... on UserError { code } } }",
        headers=headers,
    )
    assert body["data"]["createCustomer"] == {
        "__typename": "PermissionError",
        "code": "PERMISSION_DENIED",
    }
    # Keys have scopes, not roles: no key management, audit trail or logout through a key.
    for query in (API_KEYS, AUDIT):
        denied = await gql(client, query, headers=headers, expect_errors=True)
        assert _error_codes(denied) == ["PERMISSION_DENIED"], denied
    made = (
        await gql(
            client,
            CREATE_KEY,
            {"input": {"name": "child", "scopes": ["CUSTOMERS_WRITE"]}},
            headers=headers,
        )
    )["data"]["createApiKey"]
    assert made["__typename"] == "PermissionError", made
    assert (await owner.gql(CUSTOMERS))["data"]["customers"]["totalCount"] == 0


async def test_write_key_creates_customers_as_itself(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    created = await _create_key(owner, ["CUSTOMERS_WRITE", "CUSTOMERS_READ"])
    headers = _bearer(created["secret"])
    body = await gql(
        client,
        'mutation { createCustomer(input: {name: "Via Key"}) '
        "{ __typename ... on CustomerPayload { customer { id name } } } }",
        headers=headers,
    )
    customer = body["data"]["createCustomer"]
    assert customer["__typename"] == "CustomerPayload", customer
    events = (await owner.gql(AUDIT, {"action": "customer.created"}))["data"]["auditEvents"]
    node = events["edges"][0]["node"]
    assert node["targetId"] == customer["customer"]["id"]
    assert node["actor"].startswith("api_key:")


async def test_revoked_key_is_unauthenticated(
    client: httpx.AsyncClient, owner: Actor, other_owner: Actor
) -> None:
    created = await _create_key(owner, ["CUSTOMERS_READ"])
    headers = _bearer(created["secret"])
    assert (await gql(client, CUSTOMERS, headers=headers))["data"]["customers"] is not None

    # Another business cannot see or revoke it.
    foreign = (await other_owner.gql(REVOKE_KEY, {"id": created["apiKey"]["id"]}))["data"][
        "revokeApiKey"
    ]
    assert foreign["__typename"] == "NotFoundError", foreign
    assert (await gql(client, CUSTOMERS, headers=headers))["data"]["customers"] is not None

    revoked = (await owner.gql(REVOKE_KEY, {"id": created["apiKey"]["id"]}))["data"]["revokeApiKey"]
    assert revoked["__typename"] == "ApiKeyPayload", revoked
    assert revoked["apiKey"]["revokedAt"] is not None

    body = await gql(client, CUSTOMERS, headers=headers, expect_errors=True)
    assert body["data"] is None
    assert _error_codes(body) == ["UNAUTHENTICATED"]
    listed = (await owner.gql(API_KEYS))["data"]["apiKeys"]
    assert listed[0]["revokedAt"] is not None


async def test_tampered_key_is_unauthenticated(client: httpx.AsyncClient, owner: Actor) -> None:
    secret = (await _create_key(owner, ["CUSTOMERS_READ"]))["secret"]
    tampered = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    body = await gql(client, CUSTOMERS, headers=_bearer(tampered), expect_errors=True)
    assert _error_codes(body) == ["UNAUTHENTICATED"]


async def test_last_used_at_is_set_after_use(client: httpx.AsyncClient, owner: Actor) -> None:
    created = await _create_key(owner, ["CUSTOMERS_READ"])
    before = (await owner.gql(API_KEYS))["data"]["apiKeys"]
    assert before[0]["lastUsedAt"] is None
    await gql(client, "{ customerStats { total } }", headers=_bearer(created["secret"]))
    after = (await owner.gql(API_KEYS))["data"]["apiKeys"]
    assert after[0]["lastUsedAt"] is not None
    assert _when(after[0]["lastUsedAt"]) >= _when(after[0]["createdAt"])
