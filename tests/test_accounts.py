"""Accounts over HTTP: sign-up validation, sign-in and its rate limit, sessions, several
businesses per user, staff invitations and roles, integrator API keys, the audit trail."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from domain.accounts.models import AccessToken, ApiKey
from domain.core.clock import FrozenClock
from khata.runtime import Runtime
from tests.conftest import TEST_IP, Actor, create_customer, gql, run_jobs, sign_up

SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) {
  __typename
  ... on SignUpPayload {
    auth { token expiresAt user { id email name } memberships { role business { id } } }
    business { id name country currency timezone invoicePrefix customerPrefix }
  }
  ... on ValidationError { code message fields { field code message } }
  ... on UserError { code message }
} }"""

LOGIN = """
mutation($input: LoginInput!) { login(input: $input) {
  __typename
  ... on AuthPayload { token user { id email } memberships { role business { id } } }
  ... on RateLimitedError { code message retryAfterSeconds }
  ... on UserError { code message }
} }"""

LOGOUT = """
mutation { logout { __typename ... on LogoutPayload { ok } ... on UserError { code message } } }
"""

VIEWER = """
{ viewer { user { id email } activeBusiness { id name } role apiKeyName
           memberships { role business { id } } } }"""

CUSTOMERS = "{ customers(first: 50) { totalCount edges { node { id name } } } }"

CREATE_BUSINESS = """
mutation($input: BusinessInput!) { createBusiness(input: $input) {
  __typename
  ... on BusinessPayload { business { id name country currency timezone } }
  ... on ValidationError { code fields { field code } }
  ... on UserError { code message }
} }"""

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

CHANGE_ROLE = """
mutation($userId: ID!, $role: Role!) { changeMemberRole(input: { userId: $userId, role: $role }) {
  __typename
  ... on MemberPayload { member { role user { id email } } }
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

REVOKE_KEY = """
mutation($id: ID!) { revokeApiKey(input: { id: $id }) {
  __typename
  ... on ApiKeyPayload { apiKey { id revokedAt } }
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

MERGE = """
mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) {
  __typename
  ... on MergePayload { customer { id } }
  ... on UserError { code message }
} }"""


def _email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def _sign_up_input(**overrides: Any) -> dict[str, Any]:
    business = {"name": "Kirana Stores", "country": "IN"}
    business.update(overrides.pop("business", {}))
    data: dict[str, Any] = {
        "email": _email("owner"),
        "password": "correct horse battery",
        "name": "Asha",
        "business": business,
    }
    data.update(overrides)
    return data


async def _sign_up_raw(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body = await gql(client, SIGN_UP, {"input": _sign_up_input(**overrides)})
    return body["data"]["signUp"]  # type: ignore[no-any-return]


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


# --------------------------------------------------------------------------- sign-up


async def test_sign_up_returns_session_business_and_owner_membership(
    client: httpx.AsyncClient,
) -> None:
    email = _email("Mixed.Case")
    result = await _sign_up_raw(
        client, email=f"  {email.upper()}  ", business={"name": "  Duka  ", "country": "ke"}
    )
    assert result["__typename"] == "SignUpPayload", result
    business = result["business"]
    assert business["name"] == "Duka"
    assert business["country"] == "KE"
    assert business["currency"] == "KES"  # defaulted from the country
    assert business["timezone"] == "Africa/Nairobi"
    assert (business["invoicePrefix"], business["customerPrefix"]) == ("INV", "CUST")
    auth = result["auth"]
    assert auth["user"]["email"] == email.lower()
    assert auth["memberships"] == [{"role": "OWNER", "business": {"id": business["id"]}}]
    # The token works on its own: one business, so no business header is needed.
    body = await gql(client, VIEWER, headers=_bearer(auth["token"]))
    viewer = body["data"]["viewer"]
    assert viewer["user"]["id"] == auth["user"]["id"]
    assert viewer["activeBusiness"]["id"] == business["id"]
    assert viewer["role"] == "OWNER"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"email": "not-an-email"}, "email", "INVALID_EMAIL"),
        ({"email": "a@b"}, "email", "INVALID_EMAIL"),
        ({"password": "short"}, "password", "WEAK_PASSWORD"),
        ({"name": "   "}, "name", "INVALID"),
        ({"business": {"name": " "}}, "business.name", "INVALID"),
        ({"business": {"country": "XX"}}, "business.country", "INVALID_COUNTRY"),
        ({"business": {"currency": "ABC"}}, "business.currency", "INVALID_CURRENCY"),
        ({"business": {"timezone": "Mars/Olympus"}}, "business.timezone", "INVALID_TIMEZONE"),
        ({"business": {"invoicePrefix": "in-v"}}, "business.invoicePrefix", "INVALID"),
        ({"business": {"customerPrefix": "1CUST"}}, "business.customerPrefix", "INVALID"),
    ],
)
async def test_sign_up_validation(
    client: httpx.AsyncClient, overrides: dict[str, Any], field: str, code: str
) -> None:
    result = await _sign_up_raw(client, **overrides)
    assert result["__typename"] == "ValidationError", result
    assert result["code"] == "VALIDATION_FAILED"
    assert [(f["field"], f["code"]) for f in result["fields"]] == [(field, code)]


async def test_sign_up_reports_every_bad_field_at_once(client: httpx.AsyncClient) -> None:
    result = await _sign_up_raw(
        client,
        email="nope",
        password="123",
        business={"country": "ZZ", "currency": "QQQ", "timezone": "Nowhere/Land"},
    )
    assert result["__typename"] == "ValidationError", result
    assert {f["field"] for f in result["fields"]} == {
        "email",
        "password",
        "business.country",
        "business.currency",
        "business.timezone",
    }


async def test_sign_up_currency_defaults_beyond_our_four_markets(
    client: httpx.AsyncClient,
) -> None:
    result = await _sign_up_raw(client, business={"country": "US", "timezone": "America/Chicago"})
    assert result["__typename"] == "SignUpPayload", result
    assert result["business"]["currency"] == "USD"
    explicit = await _sign_up_raw(client, business={"country": "ZA", "currency": "usd"})
    assert explicit["__typename"] == "SignUpPayload", explicit
    assert explicit["business"]["currency"] == "USD"


async def test_sign_up_unknown_country_is_reported_once(client: httpx.AsyncClient) -> None:
    # The currency was not sent, so only the country is wrong (no knock-on currency error).
    result = await _sign_up_raw(client, business={"country": "XX"})
    assert [f["field"] for f in result["fields"]] == ["business.country"]


async def test_sign_up_validation_leaves_nothing_behind(client: httpx.AsyncClient) -> None:
    email = _email("rejected")
    result = await _sign_up_raw(client, email=email, business={"country": "XX"})
    assert result["__typename"] == "ValidationError"
    # The email is still free: nothing was written by the rejected attempt.
    again = await _sign_up_raw(client, email=email)
    assert again["__typename"] == "SignUpPayload", again


async def test_sign_up_duplicate_email_is_a_conflict(client: httpx.AsyncClient) -> None:
    email = _email("dup")
    first = await _sign_up_raw(client, email=email)
    assert first["__typename"] == "SignUpPayload"
    second = await _sign_up_raw(client, email=email.upper())
    assert second["__typename"] == "ConflictError", second
    assert second["code"] == "CONFLICT"
    # The original account is untouched: its password still works.
    assert (await _login(client, email, "correct horse battery"))["__typename"] == "AuthPayload"


# --------------------------------------------------------------------------- login / logout


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


# --------------------------------------------------------------------------- businesses


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


# --------------------------------------------------------------------------- staff


async def test_invitation_creates_user_and_membership(
    client: httpx.AsyncClient, owner: Actor, runtime: Runtime
) -> None:
    email = _email("staff")
    invited = (await owner.gql(INVITE, {"input": {"email": email}}))["data"]["inviteStaff"]
    assert invited["__typename"] == "InvitePayload", invited
    assert (invited["email"], invited["role"]) == (email, "STAFF")
    token = invited["token"]
    assert token

    await run_jobs(runtime)
    sink = runtime.providers.email
    mails = [m for m in getattr(sink, "sent", []) if m[0] == "email" and m[1] == email]
    assert len(mails) == 1 and token in mails[0][2]

    weak = (
        await gql(client, ACCEPT, {"input": {"token": token, "name": "Ravi", "password": "x"}})
    )["data"]["acceptInvitation"]
    assert weak["__typename"] == "ValidationError", weak
    assert [f["field"] for f in weak["fields"]] == ["password"]

    accepted = (
        await gql(
            client,
            ACCEPT,
            {"input": {"token": token, "name": "Ravi", "password": "staff password 123"}},
        )
    )["data"]["acceptInvitation"]
    assert accepted["__typename"] == "AuthPayload", accepted
    assert accepted["user"]["email"] == email and accepted["user"]["name"] == "Ravi"
    assert accepted["memberships"] == [{"role": "STAFF", "business": {"id": owner.business_id}}]

    members = (await owner.gql(MEMBERS))["data"]["members"]
    assert {(m["user"]["email"], m["role"]) for m in members} == {
        (owner.email, "OWNER"),
        (email, "STAFF"),
    }
    # The new user can sign in, and the invitation cannot be used twice.
    assert (await _login(client, email, "staff password 123"))["__typename"] == "AuthPayload"
    reused = (
        await gql(
            client,
            ACCEPT,
            {"input": {"token": token, "name": "Eve", "password": "another password 1"}},
        )
    )["data"]["acceptInvitation"]
    assert reused["__typename"] == "NotFoundError", reused
    bogus = (
        await gql(
            client,
            ACCEPT,
            {"input": {"token": "ki_bogus", "name": "Eve", "password": "another password 1"}},
        )
    )["data"]["acceptInvitation"]
    assert bogus["__typename"] == "NotFoundError", bogus


async def test_existing_user_accepts_with_their_password(
    client: httpx.AsyncClient, owner: Actor, other_owner: Actor
) -> None:
    invited = (await owner.gql(INVITE, {"input": {"email": other_owner.email, "role": "ADMIN"}}))[
        "data"
    ]["inviteStaff"]
    assert invited["__typename"] == "InvitePayload", invited
    wrong = (
        await gql(
            client,
            ACCEPT,
            {"input": {"token": invited["token"], "password": "not their password"}},
        )
    )["data"]["acceptInvitation"]
    assert wrong["__typename"] == "AuthenticationError", wrong
    ok = (
        await gql(
            client, ACCEPT, {"input": {"token": invited["token"], "password": other_owner.password}}
        )
    )["data"]["acceptInvitation"]
    assert ok["__typename"] == "AuthPayload", ok
    assert ok["user"]["id"] == other_owner.user_id
    assert {(m["business"]["id"], m["role"]) for m in ok["memberships"]} == {
        (other_owner.business_id, "OWNER"),
        (owner.business_id, "ADMIN"),
    }
    again = (await owner.gql(INVITE, {"input": {"email": other_owner.email}}))["data"][
        "inviteStaff"
    ]
    assert again["__typename"] == "ConflictError", again


async def test_invite_validates_email(owner: Actor) -> None:
    result = (await owner.gql(INVITE, {"input": {"email": "nobody"}}))["data"]["inviteStaff"]
    assert result["__typename"] == "ValidationError", result


async def test_staff_cannot_do_owner_things(owner: Actor) -> None:
    staff = await _invite_and_accept(owner)
    a = await create_customer(staff, name="Amit Shah", phone="98765 40001")
    b = await create_customer(staff, name="Amit Shah", phone="98765 40002")
    assert a["__typename"] == b["__typename"] == "CustomerPayload"  # staff may do daily work

    merged = (
        await staff.gql(
            MERGE, {"input": {"sourceId": a["customer"]["id"], "targetId": b["customer"]["id"]}}
        )
    )["data"]["mergeCustomers"]
    assert merged["__typename"] == "PermissionError", merged
    assert merged["code"] == "PERMISSION_DENIED"

    key = (await staff.gql(CREATE_KEY, {"input": {"name": "k", "scopes": ["CUSTOMERS_READ"]}}))[
        "data"
    ]["createApiKey"]
    assert key["__typename"] == "PermissionError", key

    invite = (await staff.gql(INVITE, {"input": {"email": _email("friend")}}))["data"][
        "inviteStaff"
    ]
    assert invite["__typename"] == "PermissionError", invite

    role = (await staff.gql(CHANGE_ROLE, {"userId": staff.user_id, "role": "OWNER"}))["data"][
        "changeMemberRole"
    ]
    assert role["__typename"] == "PermissionError", role

    for query in (AUDIT, API_KEYS):
        body = await staff.gql(query, expect_errors=True)
        assert body["data"] is None
        assert _error_codes(body) == ["PERMISSION_DENIED"], (query, body)

    # Nothing above happened: both customers remain, the staff member is still staff.
    listing = await owner.gql(CUSTOMERS)
    assert listing["data"]["customers"]["totalCount"] == 2
    members = {m["user"]["id"]: m["role"] for m in (await owner.gql(MEMBERS))["data"]["members"]}
    assert members[staff.user_id] == "STAFF"
    assert (await owner.gql(API_KEYS))["data"]["apiKeys"] == []


async def test_admin_may_not_invite_owners_or_change_roles(owner: Actor) -> None:
    admin = await _invite_and_accept(owner, "ADMIN")
    invite = (await admin.gql(INVITE, {"input": {"email": _email("boss"), "role": "OWNER"}}))[
        "data"
    ]["inviteStaff"]
    assert invite["__typename"] == "PermissionError", invite
    staff_invite = (await admin.gql(INVITE, {"input": {"email": _email("helper")}}))["data"][
        "inviteStaff"
    ]
    assert staff_invite["__typename"] == "InvitePayload", staff_invite
    role = (await admin.gql(CHANGE_ROLE, {"userId": owner.user_id, "role": "STAFF"}))["data"][
        "changeMemberRole"
    ]
    assert role["__typename"] == "PermissionError", role
    # ...but an admin may manage keys and read the audit trail.
    await _create_key(admin, ["CUSTOMERS_READ"])
    assert (await admin.gql(AUDIT))["data"]["auditEvents"]["edges"]


async def test_owner_changes_roles_but_keeps_an_owner(owner: Actor, other_owner: Actor) -> None:
    staff = await _invite_and_accept(owner)
    promoted = (await owner.gql(CHANGE_ROLE, {"userId": staff.user_id, "role": "ADMIN"}))["data"][
        "changeMemberRole"
    ]
    assert promoted["__typename"] == "MemberPayload", promoted
    assert promoted["member"]["role"] == "ADMIN"
    # The new role applies to the member's next request.
    await _create_key(staff, ["CUSTOMERS_READ"])

    last = (await owner.gql(CHANGE_ROLE, {"userId": owner.user_id, "role": "ADMIN"}))["data"][
        "changeMemberRole"
    ]
    assert last["__typename"] == "ConflictError", last
    assert last["code"] == "CONFLICT"
    members = {m["user"]["id"]: m["role"] for m in (await owner.gql(MEMBERS))["data"]["members"]}
    assert members[owner.user_id] == "OWNER"

    # With a second owner the first may step down.
    second = (await owner.gql(CHANGE_ROLE, {"userId": staff.user_id, "role": "OWNER"}))["data"][
        "changeMemberRole"
    ]
    assert second["member"]["role"] == "OWNER"
    down = (await owner.gql(CHANGE_ROLE, {"userId": owner.user_id, "role": "STAFF"}))["data"][
        "changeMemberRole"
    ]
    assert down["__typename"] == "MemberPayload", down
    assert down["member"]["role"] == "STAFF"
    back = (await owner.gql(CHANGE_ROLE, {"userId": owner.user_id, "role": "OWNER"}))["data"][
        "changeMemberRole"
    ]
    assert back["__typename"] == "PermissionError", back  # now only staff

    # Someone from another business is not a member here.
    foreign = (await staff.gql(CHANGE_ROLE, {"userId": other_owner.user_id, "role": "STAFF"}))[
        "data"
    ]["changeMemberRole"]
    assert foreign["__typename"] == "NotFoundError", foreign


# --------------------------------------------------------------------------- API keys


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


# --------------------------------------------------------------------------- audit trail


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


# --------------------------------------------------------------------------- with a clock


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
