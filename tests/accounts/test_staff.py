"""Accounts over HTTP: sign-up validation, sign-in and its rate limit, sessions, several"""

from __future__ import annotations

import httpx

from khata.runtime import Runtime
from tests.accounts.helpers import (
    ACCEPT,
    API_KEYS,
    AUDIT,
    CREATE_KEY,
    CUSTOMERS,
    INVITE,
    MEMBERS,
    _create_key,
    _email,
    _error_codes,
    _invite_and_accept,
    _login,
)
from tests.conftest import Actor, create_customer, gql, run_jobs

CHANGE_ROLE = """
mutation($userId: ID!, $role: Role!) { changeMemberRole(input: { userId: $userId, role: $role }) {
  __typename
  ... on MemberPayload { member { role user { id email } } }
  ... on UserError { code message }
} }"""


MERGE = """
mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) {
  __typename
  ... on MergePayload { customer { id } }
  ... on UserError { code message }
} }"""


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
