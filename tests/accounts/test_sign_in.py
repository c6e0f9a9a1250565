"""Accounts over HTTP: sign-up validation, sign-in and its rate limit, sessions, several"""

from __future__ import annotations

import httpx
from sqlalchemy import select

from domain.accounts.models import AccessToken
from khata.runtime import Runtime
from tests.accounts.helpers import (
    CUSTOMERS,
    VIEWER,
    _bearer,
    _email,
    _error_codes,
    _login,
    _row_id,
)
from tests.conftest import Actor, gql

LOGOUT = """
mutation { logout { __typename ... on LogoutPayload { ok } ... on UserError { code message } } }
"""


async def test_login_success(client: httpx.AsyncClient, owner: Actor) -> None:
    result = await _login(client, f"  {owner.email.upper()} ", owner.password)
    assert result["__typename"] == "AuthPayload", result
    assert result["user"] == {"id": owner.user_id, "email": owner.email}
    assert result["memberships"] == [{"role": "OWNER", "business": {"id": owner.business_id}}]
    assert result["token"] != owner.token  # a new session, not the sign-up one
    body = await gql(client, CUSTOMERS, headers=_bearer(result["token"]))
    assert body["data"]["customers"]["totalCount"] == 0


async def test_login_wrong_password_and_unknown_email(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    wrong = await _login(client, owner.email, "not the password")
    assert wrong["__typename"] == "AuthenticationError", wrong
    assert wrong["code"] == "UNAUTHENTICATED"
    unknown = await _login(client, _email("ghost"), owner.password)
    assert unknown["__typename"] == "AuthenticationError", unknown
    # Same answer for both, so the response does not reveal which emails have accounts.
    assert unknown["message"] == wrong["message"]


async def test_failures_below_the_limit_do_not_block(
    client: httpx.AsyncClient, owner: Actor, runtime: Runtime
) -> None:
    for _ in range(runtime.settings.login_max_failures - 1):
        assert (await _login(client, owner.email, "wrong password!"))[
            "__typename"
        ] == "AuthenticationError"
    assert (await _login(client, owner.email, owner.password))["__typename"] == "AuthPayload"


async def test_logout_revokes_the_token(
    client: httpx.AsyncClient, owner: Actor, runtime: Runtime
) -> None:
    session = await _login(client, owner.email, owner.password)
    token = session["token"]
    assert (await gql(client, CUSTOMERS, headers=_bearer(token)))["data"]["customers"] is not None

    out = (await gql(client, LOGOUT, headers=_bearer(token)))["data"]["logout"]
    assert out == {"__typename": "LogoutPayload", "ok": True}

    body = await gql(client, CUSTOMERS, headers=_bearer(token), expect_errors=True)
    assert body["data"] is None
    assert _error_codes(body) == ["UNAUTHENTICATED"]
    # Even queries that work anonymously refuse a revoked token instead of ignoring it.
    body = await gql(client, VIEWER, headers=_bearer(token), expect_errors=True)
    assert _error_codes(body) == ["UNAUTHENTICATED"]
    again = (await gql(client, LOGOUT, headers=_bearer(token)))["data"]["logout"]
    assert again["__typename"] == "AuthenticationError", again
    # Other sessions of the same user are not affected.
    assert (await owner.gql(CUSTOMERS))["data"]["customers"]["totalCount"] == 0

    # Sign-up and login sessions exist; only the one used for logout is revoked, and
    # no session secret is stored as such.
    async with runtime.db.read() as s:
        rows = (
            await s.scalars(
                select(AccessToken).where(AccessToken.user_id == _row_id(owner.user_id))
            )
        ).all()
    assert len(rows) == 2
    assert sum(r.revoked_at is not None for r in rows) == 1
    assert all(token not in r.token_hash and owner.token not in r.token_hash for r in rows)


async def test_logout_without_a_session(client: httpx.AsyncClient) -> None:
    result = (await gql(client, LOGOUT))["data"]["logout"]
    assert result["__typename"] == "AuthenticationError", result
    assert result["code"] == "UNAUTHENTICATED"


async def test_garbage_bearer_token_is_unauthenticated(client: httpx.AsyncClient) -> None:
    for secret in ("kt_not-a-real-token", "kk_nope_nope", "kk_", "x"):
        body = await gql(client, CUSTOMERS, headers=_bearer(secret), expect_errors=True)
        assert body["data"] is None
        assert _error_codes(body) == ["UNAUTHENTICATED"], (secret, body)
