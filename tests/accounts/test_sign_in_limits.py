"""Sign-in limits: wrong passwords slow down the IP they come from (per account, and
across accounts), never the account itself. Each test uses addresses of its own and a
clock it moves (no sleeping)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from domain.core.audit import AuditEvent
from domain.core.clock import FrozenClock
from khata.runtime import Runtime
from tests.conftest import ADDRESSED_LIMITS, Clients, fresh_ip, gql, sign_up

LOGIN = """
mutation($input: LoginInput!) { login(input: $input) {
  __typename
  ... on AuthPayload { token }
  ... on RateLimitedError { code message retryAfterSeconds }
  ... on UserError { code message }
} }"""

INVITE = """
mutation($input: InviteStaffInput!) { inviteStaff(input: $input) {
  __typename ... on InvitePayload { token } ... on UserError { code message } } }"""

ACCEPT = """
mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) {
  __typename
  ... on AuthPayload { token }
  ... on RateLimitedError { retryAfterSeconds }
  ... on UserError { code message }
} }"""

FREE = 3  # failures per account and IP before delays (the suite's settings)
IP_FREE = ADDRESSED_LIMITS["login_ip_max_failures"]
CAP = ADDRESSED_LIMITS["login_max_delay_seconds"]


async def login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    body = await gql(client, LOGIN, {"input": {"email": email, "password": password}})
    return body["data"]["login"]  # type: ignore[no-any-return]


async def kind(client: httpx.AsyncClient, email: str, password: str) -> str:
    return str((await login(client, email, password))["__typename"])


async def audit_rows(rt: Runtime, action: str, ip: str) -> list[AuditEvent]:
    async with rt.db.read() as s:
        stmt = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.ip == ip)
        return list((await s.scalars(stmt.order_by(AuditEvent.id))).all())


async def test_an_attackers_ip_is_delayed_while_the_victim_signs_in_from_another(
    addressed: tuple[Clients, FrozenClock, Runtime],
) -> None:
    make, _, rt = addressed
    attacker_ip, victim_ip = fresh_ip(), fresh_ip()
    attacker, victim_client = make(attacker_ip), make(victim_ip)
    victim = await sign_up(victim_client)

    for _ in range(FREE):
        assert await kind(attacker, victim.email, "wrong password!") == "AuthenticationError"
    # Even the right password waits, from the attacker's address.
    blocked = await login(attacker, victim.email, victim.password)
    assert blocked["__typename"] == "RateLimitedError", blocked
    assert (blocked["code"], blocked["retryAfterSeconds"]) == ("RATE_LIMITED", 2)
    # The victim, from their own address, is not slowed at all, not even after a typo.
    assert await kind(victim_client, victim.email, "a typo here") == "AuthenticationError"
    assert await kind(victim_client, victim.email, victim.password) == "AuthPayload"
    assert await kind(victim_client, f" {victim.email.upper()}", victim.password) == "AuthPayload"

    failed = await audit_rows(rt, "auth.login_failed", attacker_ip)
    assert [(r.subject, r.actor) for r in failed] == [(victim.email, "anonymous")] * FREE
    limited = await audit_rows(rt, "auth.rate_limited", attacker_ip)
    assert [r.data for r in limited] == [
        {"limit": "login_account_ip", "failures": FREE, "retryAfterSeconds": 2}
    ]
    # Refused attempts are neither counted nor recorded.
    assert len(await audit_rows(rt, "auth.login_failed", attacker_ip)) == FREE


async def test_delays_double_with_each_failure_up_to_the_cap(
    addressed: tuple[Clients, FrozenClock, Runtime],
) -> None:
    make, clock, _ = addressed
    attacker = make(fresh_ip())
    victim = await sign_up(make(fresh_ip()))
    for _ in range(FREE - 1):
        await login(attacker, victim.email, "wrong password!")

    seen = []
    for _ in range(6):
        assert await kind(attacker, victim.email, "wrong password!") == "AuthenticationError"
        refused = await login(attacker, victim.email, "another guess!")
        assert refused["__typename"] == "RateLimitedError", refused
        seen.append(refused["retryAfterSeconds"])
        clock.advance(seconds=refused["retryAfterSeconds"] - 1)
        # one second early: still refused, and the refusal does not count
        early = await login(attacker, victim.email, "another guess!")
        assert (early["__typename"], early["retryAfterSeconds"]) == ("RateLimitedError", 1)
        clock.advance(seconds=1)
    assert seen == [2, 4, 8, 16, CAP, CAP]


async def test_delays_expire_and_the_right_password_clears_the_count(
    addressed: tuple[Clients, FrozenClock, Runtime], runtime: Runtime
) -> None:
    make, clock, _ = addressed
    client = make(fresh_ip())
    user = await sign_up(client)
    for _ in range(FREE):
        await login(client, user.email, "wrong password!")
    assert await kind(client, user.email, user.password) == "RateLimitedError"
    clock.advance(seconds=2)
    assert await kind(client, user.email, user.password) == "AuthPayload"
    # The success forgot this address's failures for the account: free attempts again.
    for _ in range(FREE - 1):
        assert await kind(client, user.email, "wrong password!") == "AuthenticationError"
    assert await kind(client, user.email, user.password) == "AuthPayload"

    # Counters start again a window after their first failure, once no delay runs.
    for _ in range(FREE):
        await login(client, user.email, "wrong password!")
    assert await kind(client, user.email, "wrong password!") == "RateLimitedError"
    clock.advance(minutes=runtime.settings.login_window_minutes, seconds=1)
    for _ in range(FREE - 1):
        assert await kind(client, user.email, "wrong password!") == "AuthenticationError"
    assert await kind(client, user.email, user.password) == "AuthPayload"


async def test_one_ip_guessing_across_accounts_is_delayed(
    addressed: tuple[Clients, FrozenClock, Runtime],
) -> None:
    make, clock, rt = addressed
    sprayer_ip = fresh_ip()
    sprayer, elsewhere = make(sprayer_ip), make(fresh_ip())
    own = await sign_up(sprayer)  # the attacker's own account, on the same address
    victims = [await sign_up(elsewhere) for _ in range(IP_FREE + 1)]

    for victim in victims[:IP_FREE]:  # one guess each: no account-and-IP limit is reached
        assert await kind(sprayer, victim.email, "password guess") == "AuthenticationError"
    refused = await login(sprayer, victims[IP_FREE].email, "password guess")
    assert (refused["__typename"], refused["retryAfterSeconds"]) == ("RateLimitedError", 2)
    assert await kind(sprayer, own.email, own.password) == "RateLimitedError"
    # Other addresses are untouched.
    assert await kind(elsewhere, victims[0].email, victims[0].password) == "AuthPayload"
    limited = await audit_rows(rt, "auth.rate_limited", sprayer_ip)
    assert [r.data["limit"] for r in limited] == ["login_ip"]

    clock.advance(seconds=2)
    # Signing in to its own account does not wipe the address's failures.
    assert await kind(sprayer, own.email, own.password) == "AuthPayload"
    assert await kind(sprayer, victims[IP_FREE].email, "password guess") == "AuthenticationError"
    again = await login(sprayer, victims[0].email, "password guess")
    assert (again["__typename"], again["retryAfterSeconds"]) == ("RateLimitedError", 4)


async def test_accepting_an_invitation_shares_the_sign_in_limits(
    addressed: tuple[Clients, FrozenClock, Runtime],
) -> None:
    """Anyone can sign up, invite a stranger's email and receive the invitation code, so
    the password check in acceptInvitation counts like a sign-in from that address."""
    make, _, _ = addressed
    attacker, victim_client = make(fresh_ip()), make(fresh_ip())
    victim = await sign_up(victim_client)
    inviter = await sign_up(attacker)
    invited = (await inviter.gql(INVITE, {"input": {"email": victim.email}}))["data"]["inviteStaff"]
    token = invited["token"]
    for i in range(FREE):
        guess = (
            await gql(
                attacker, ACCEPT, {"input": {"token": token, "password": f"guess number {i}"}}
            )
        )["data"]["acceptInvitation"]
        assert guess["__typename"] == "AuthenticationError", guess
    right = (await gql(attacker, ACCEPT, {"input": {"token": token, "password": victim.password}}))[
        "data"
    ]["acceptInvitation"]
    assert right["__typename"] == "RateLimitedError", right
    # The guesses count against sign-in for that email from that address ...
    assert await kind(attacker, victim.email, victim.password) == "RateLimitedError"
    # ... and nowhere else.
    assert await kind(victim_client, victim.email, victim.password) == "AuthPayload"
