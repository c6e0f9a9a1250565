"""Helpers shared by the tests split out of test_accounts.py."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.conftest import Actor, gql

LOGIN = """
mutation($input: LoginInput!) { login(input: $input) {
  __typename
  ... on AuthPayload { token user { id email } memberships { role business { id } } }
  ... on RateLimitedError { code message retryAfterSeconds }
  ... on UserError { code message }
} }"""


VIEWER = """
{ viewer { user { id email } activeBusiness { id name } role apiKeyName
           memberships { role business { id } } } }"""


CUSTOMERS = "{ customers(first: 50) { totalCount edges { node { id name } } } }"


INVITE = """
mutation($input: InviteStaffInput!) { inviteStaff(input: $input) {
  __typename
  ... on InvitePayload { email role token expiresAt }
  ... on UserError { code message }
} }"""


ACCEPT = """
mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) {
  __typename
  ... on AuthPayload { token user { id email name } memberships { role business { id } } }
  ... on ValidationError { code fields { field code } }
  ... on UserError { code message }
} }"""


MEMBERS = "{ members { role user { id email } } }"


CREATE_KEY = """
mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  __typename
  ... on CreateApiKeyPayload { secret apiKey { id name prefix scopes lastUsedAt revokedAt } }
  ... on ValidationError { code fields { field code } }
  ... on UserError { code message }
} }"""


API_KEYS = "{ apiKeys { id name prefix scopes createdAt lastUsedAt revokedAt } }"


AUDIT = """
query($first: Int, $after: String, $action: String) {
  auditEvents(first: $first, after: $after, action: $action) {
    edges { cursor node { id actor action targetType targetId ip requestId data } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def _email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def _row_id(global_id: str) -> int:
    raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return int(raw.split(":", 1)[1])


def _when(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _bearer(token: str, business: str | None = None) -> dict[str, str]:
    headers = {"authorization": f"Bearer {token}"}
    if business is not None:
        headers["x-khata-business"] = business
    return headers


def _error_codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]


async def _login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    body = await gql(client, LOGIN, {"input": {"email": email, "password": password}})
    return body["data"]["login"]  # type: ignore[no-any-return]


async def _invite_and_accept(owner: Actor, role: str = "STAFF") -> Actor:
    email = _email(role.lower())
    invited = (await owner.gql(INVITE, {"input": {"email": email, "role": role}}))["data"][
        "inviteStaff"
    ]
    assert invited["__typename"] == "InvitePayload", invited
    password = "staff password 123"
    accepted = (
        await gql(
            owner.client,
            ACCEPT,
            {"input": {"token": invited["token"], "name": "Ravi", "password": password}},
        )
    )["data"]["acceptInvitation"]
    assert accepted["__typename"] == "AuthPayload", accepted
    return Actor(
        accepted["token"],
        owner.business_id,
        accepted["user"]["id"],
        email,
        password,
        owner.client,
    )


async def _create_key(owner: Actor, scopes: list[str], name: str = "Till sync") -> dict[str, Any]:
    created = (await owner.gql(CREATE_KEY, {"input": {"name": name, "scopes": scopes}}))["data"][
        "createApiKey"
    ]
    assert created["__typename"] == "CreateApiKeyPayload", created
    return created  # type: ignore[no-any-return]
