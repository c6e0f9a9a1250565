"""Accounts over HTTP: sign-up validation, sign-in and its rate limit, sessions, several"""

from __future__ import annotations

from datetime import timedelta

import httpx

from domain.core.clock import FrozenClock
from khata.runtime import Runtime
from tests.accounts.helpers import (
    ACCEPT,
    CUSTOMERS,
    INVITE,
    _bearer,
    _email,
    _error_codes,
    _login,
    _when,
)
from tests.conftest import gql, sign_up


async def test_session_token_expires(
    clocked: tuple[httpx.AsyncClient, FrozenClock], runtime: Runtime
) -> None:
    client, clock = clocked
    actor = await sign_up(client)
    ttl = timedelta(minutes=runtime.settings.access_token_ttl_minutes)
    clock.advance(seconds=ttl.total_seconds() - 1)
    assert (await actor.gql(CUSTOMERS))["data"]["customers"]["totalCount"] == 0
    clock.advance(seconds=1)
    body = await actor.gql(CUSTOMERS, expect_errors=True)
    assert _error_codes(body) == ["UNAUTHENTICATED"]
    # Signing in again gives a fresh session.
    fresh = await _login(client, actor.email, actor.password)
    assert fresh["__typename"] == "AuthPayload", fresh
    assert (await gql(client, CUSTOMERS, headers=_bearer(fresh["token"])))["data"]["customers"]


async def test_invitation_expires_after_a_week(
    clocked: tuple[httpx.AsyncClient, FrozenClock],
) -> None:
    client, clock = clocked
    actor = await sign_up(client)
    invited = (await actor.gql(INVITE, {"input": {"email": _email("late")}}))["data"]["inviteStaff"]
    assert _when(invited["expiresAt"]) == clock.now() + timedelta(days=7)
    clock.advance(days=7)
    late = (
        await gql(
            client,
            ACCEPT,
            {"input": {"token": invited["token"], "name": "Late", "password": "late password 1"}},
        )
    )["data"]["acceptInvitation"]
    assert late["__typename"] == "NotFoundError", late
