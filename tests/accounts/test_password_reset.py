"""Password reset: a single-use code emailed through the notification port (read here
from the dev sink), valid 30 minutes, the same answer for unknown emails, limited per
email and IP; a reset signs out every session and leaves API keys alone."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from domain.accounts.models import PasswordReset
from domain.core.audit import AuditEvent
from domain.core.clock import FrozenClock
from domain.core.secrets import digest
from khata.runtime import Runtime
from tests.conftest import ADDRESSED_LIMITS, Actor, Clients, fresh_ip, gql, run_jobs, sign_up

REQUEST = """
mutation($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) {
  __typename
  ... on RequestPasswordResetPayload { message codeValidMinutes }
  ... on RateLimitedError { code retryAfterSeconds }
  ... on ValidationError { code fields { field code } }
  ... on UserError { code message }
} }"""

RESET = """
mutation($input: ResetPasswordInput!) { resetPassword(input: $input) {
  __typename
  ... on ResetPasswordPayload { sessionsRevoked user { id email } }
  ... on RateLimitedError { code retryAfterSeconds }
  ... on ValidationError { code fields { field code } }
  ... on UserError { code message }
} }"""

LOGIN = """
mutation($input: LoginInput!) { login(input: $input) {
  __typename ... on AuthPayload { token } ... on UserError { code } } }"""

CREATE_KEY = """
mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  __typename ... on CreateApiKeyPayload { secret } } }"""

CUSTOMERS = "{ customers(first: 5) { totalCount } }"
AUDIT = "{ auditEvents(first: 20) { edges { node { action actor data } } } }"
NEW_PASSWORD = "a brand new passphrase"
CODE = re.compile(r"\bkr_[A-Za-z0-9_-]+")
PER_EMAIL = 3  # the default
PER_IP = ADDRESSED_LIMITS["password_reset_max_per_ip"]


async def request(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    body = await gql(client, REQUEST, {"input": {"email": email}})
    return body["data"]["requestPasswordReset"]  # type: ignore[no-any-return]


async def reset(
    client: httpx.AsyncClient, code: str, password: str = NEW_PASSWORD, **kw: Any
) -> dict[str, Any]:
    body = await gql(client, RESET, {"input": {"code": code, "newPassword": password, **kw}})
    return body["data"]["resetPassword"]  # type: ignore[no-any-return]


async def mails_to(rt: Runtime, email: str) -> list[str]:
    """What the dev sink sent to `email` (subject and body), once the jobs have run."""
    await run_jobs(rt)
    sent = getattr(rt.providers.email, "sent", [])
    return [text for channel, to, text in sent if (channel, to) == ("email", email)]


async def emailed_code(rt: Runtime, email: str) -> str:
    codes = [m for text in await mails_to(rt, email) for m in CODE.findall(text)]
    assert codes, f"no reset code was emailed to {email}"
    return codes[-1]


async def status(client: httpx.AsyncClient, token: str) -> str:
    body = await gql(
        client, CUSTOMERS, headers={"authorization": f"Bearer {token}"}, expect_errors=True
    )
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    return "OK"


async def test_reset_by_emailed_code_signs_out_every_session_but_keeps_api_keys(
    addressed: tuple[Clients, FrozenClock, Runtime],
) -> None:
    make, _, rt = addressed
    client = make(fresh_ip())
    owner = await sign_up(client)
    second = (
        await gql(client, LOGIN, {"input": {"email": owner.email, "password": owner.password}})
    )["data"]["login"]["token"]
    key = (await owner.gql(CREATE_KEY, {"input": {"name": "till", "scopes": ["CUSTOMERS_READ"]}}))[
        "data"
    ]["createApiKey"]["secret"]

    asked = await request(client, f"  {owner.email.upper()} ")
    assert asked["__typename"] == "RequestPasswordResetPayload", asked
    assert asked["codeValidMinutes"] == 30
    code = await emailed_code(rt, owner.email)
    async with rt.db.read() as s:  # only the code's hash is stored
        row = await s.scalar(select(PasswordReset).where(PasswordReset.token_hash == digest(code)))
        assert row is not None and code not in row.token_hash

    done = await reset(client, code)
    assert done["__typename"] == "ResetPasswordPayload", done
    assert done["user"] == {"id": owner.user_id, "email": owner.email}
    assert done["sessionsRevoked"] == 2
    assert await status(client, owner.token) == "UNAUTHENTICATED"
    assert await status(client, second) == "UNAUTHENTICATED"
    assert await status(client, key) == "OK"  # integrations keep running
    old = await gql(client, LOGIN, {"input": {"email": owner.email, "password": owner.password}})
    assert old["data"]["login"]["__typename"] == "AuthenticationError"
    owner.password = NEW_PASSWORD
    await owner.sign_in_again()
    # The code works once; the account is told its password changed; owners see it audited.
    again = await reset(client, code, "yet another passphrase")
    assert again["__typename"] == "AuthenticationError", again
    assert any("password was changed" in m for m in await mails_to(rt, owner.email))
    events = [e["node"] for e in (await owner.gql(AUDIT))["data"]["auditEvents"]["edges"]]
    resets = [e for e in events if e["action"] == "auth.password_reset"]
    assert len(resets) == 1 and resets[0]["data"] == {"sessionsRevoked": 2}


async def test_a_code_expires_after_30_minutes(
    addressed: tuple[Clients, FrozenClock, Runtime],
) -> None:
    make, clock, rt = addressed
    client = make(fresh_ip())
    owner = await sign_up(client)
    await request(client, owner.email)
    first = await emailed_code(rt, owner.email)
    clock.advance(minutes=30)
    late = await reset(client, first)
    assert late["__typename"] == "AuthenticationError", late

    await request(client, owner.email)
    second = await emailed_code(rt, owner.email)
    assert second != first
    clock.advance(minutes=29, seconds=59)
    assert (await reset(client, second))["__typename"] == "ResetPasswordPayload"


async def test_wrong_codes_weak_passwords_and_someone_elses_email(
    addressed: tuple[Clients, FrozenClock, Runtime],
) -> None:
    make, _, rt = addressed
    client = make(fresh_ip())
    owner, other = await sign_up(client), await sign_up(client)
    await request(client, owner.email)
    code = await emailed_code(rt, owner.email)

    for wrong in ("kr_not-the-code", code + "x", ""):
        result = await reset(client, wrong)
        assert result["__typename"] == "AuthenticationError", result
        assert result["code"] == "UNAUTHENTICATED"
    # A code with another account's email is not that account's code.
    assert (await reset(client, code, email=other.email))["__typename"] == "AuthenticationError"
    # The password policy applies; a refused password does not use up the code.
    weak = await reset(client, code, "password123")
    assert weak["__typename"] == "ValidationError", weak
    assert [(f["field"], f["code"]) for f in weak["fields"]] == [("newPassword", "COMMON_PASSWORD")]
    mine = await reset(client, code, owner.email)
    assert [f["code"] for f in mine["fields"]] == ["PASSWORD_IS_EMAIL"]
    done = await reset(client, code, email=owner.email.upper())
    assert done["__typename"] == "ResetPasswordPayload", done
    # The other account was not touched.
    assert await status(client, other.token) == "OK"


async def test_newer_and_older_codes_are_used_up_by_a_reset(
    addressed: tuple[Clients, FrozenClock, Runtime],
) -> None:
    make, _, rt = addressed
    client = make(fresh_ip())
    owner = await sign_up(client)
    await request(client, owner.email)
    older = await emailed_code(rt, owner.email)
    await request(client, owner.email)
    newer = await emailed_code(rt, owner.email)
    assert (await reset(client, newer))["__typename"] == "ResetPasswordPayload"
    assert (await reset(client, older, "another fine passphrase"))["__typename"] == (
        "AuthenticationError"
    )


async def test_unknown_email_gets_the_same_answer_and_no_mail(
    addressed: tuple[Clients, FrozenClock, Runtime],
) -> None:
    make, _, rt = addressed
    client, elsewhere = make(fresh_ip()), make(fresh_ip())
    owner = await sign_up(client)
    ghost = f"ghost-{uuid.uuid4().hex[:10]}@example.com"
    known, unknown = await request(client, owner.email), await request(elsewhere, ghost)
    assert known == unknown
    assert await mails_to(rt, ghost) == []
    assert len(await mails_to(rt, owner.email)) == 1
    # Unknown emails are limited exactly like known ones (per email).
    for _ in range(PER_EMAIL - 1):
        assert (await request(elsewhere, ghost))["__typename"] == "RequestPasswordResetPayload"
        assert (await request(client, owner.email))["__typename"] == "RequestPasswordResetPayload"
    assert await request(elsewhere, ghost) == await request(client, owner.email)
    assert (await request(elsewhere, ghost))["__typename"] == "RateLimitedError"
    # A malformed address is a validation error, whoever asks.
    bad = await request(client, "not an email")
    assert [f["field"] for f in bad["fields"]] == ["email"]


async def test_requests_are_limited_per_email_and_per_ip(
    addressed: tuple[Clients, FrozenClock, Runtime],
) -> None:
    make, clock, rt = addressed
    here, there = make(fresh_ip()), make(fresh_ip())
    owner = await sign_up(here)
    for _ in range(PER_EMAIL):
        assert (await request(here, owner.email))["__typename"] == "RequestPasswordResetPayload"
    limited = await request(there, owner.email)  # per email, from any address
    assert limited["__typename"] == "RateLimitedError", limited
    assert limited["retryAfterSeconds"] == 60 * 60
    assert len(await mails_to(rt, owner.email)) == PER_EMAIL
    clock.advance(minutes=30)
    assert (await request(there, owner.email))["retryAfterSeconds"] == 30 * 60
    clock.advance(minutes=30)
    assert (await request(there, owner.email))["__typename"] == "RequestPasswordResetPayload"

    sprayer = make(fresh_ip())
    for _ in range(PER_IP):
        email = f"x-{uuid.uuid4().hex[:10]}@example.com"
        assert (await request(sprayer, email))["__typename"] == "RequestPasswordResetPayload"
    assert (await request(sprayer, owner.email))["__typename"] == "RateLimitedError"
    assert (await request(here, f"y-{uuid.uuid4().hex[:8]}@example.com"))["__typename"] == (
        "RequestPasswordResetPayload"
    )


async def test_guessing_codes_is_delayed_per_ip_and_audited(
    addressed: tuple[Clients, FrozenClock, Runtime],
) -> None:
    make, clock, rt = addressed
    guesser_ip = fresh_ip()
    guesser, owner_client = make(guesser_ip), make(fresh_ip())
    owner: Actor = await sign_up(owner_client)
    for i in range(ADDRESSED_LIMITS["login_ip_max_failures"]):
        assert (await reset(guesser, f"kr_guess{i}"))["__typename"] == "AuthenticationError"
    refused = await reset(guesser, "kr_one-more")
    assert (refused["__typename"], refused["retryAfterSeconds"]) == ("RateLimitedError", 2)
    # The owner, elsewhere, is not slowed.
    await request(owner_client, owner.email)
    code = await emailed_code(rt, owner.email)
    assert (await reset(owner_client, code))["__typename"] == "ResetPasswordPayload"
    async with rt.db.read() as s:
        actions = (
            await s.scalars(select(AuditEvent.action).where(AuditEvent.ip == guesser_ip))
        ).all()
    assert actions.count("auth.password_reset_failed") == ADDRESSED_LIMITS["login_ip_max_failures"]
    assert actions.count("auth.rate_limited") == 1
    clock.advance(seconds=2)
    assert (await reset(guesser, "kr_later"))["__typename"] == "AuthenticationError"
