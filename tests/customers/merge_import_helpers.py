"""Helpers shared by the tests split out of test_customers_merge_import.py."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from khata.runtime import Runtime
from tests.conftest import Actor, gql, run_jobs

CUSTOMER_FIELDS = """
  id number name phone secondaryPhone email secondaryEmail profileType status tags notes
  taxId isVip deactivatedAt mergedIntoId
  financial { totalBilled { amount currency } totalPaid { amount } outstanding { amount }
              invoiceCount }
  addresses { id city isDefault }
"""


CREATE = f"""
mutation($input: CreateCustomerInput!) {{ createCustomer(input: $input) {{
  __typename
  ... on CustomerPayload {{ customer {{ {CUSTOMER_FIELDS} }} }}
  ... on UserError {{ code message }}
}} }}"""


GET = f"""query($id: ID!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS} }} }}"""


AUDIT = """
query($action: String) { auditEvents(action: $action) {
  edges { node { action actor targetId data } } } }"""


IMPORT = """
mutation($input: ImportCustomersInput!) { importCustomers(input: $input) {
  __typename
  ... on ImportPayload { customerImport { id status totalRows processedRows } }
  ... on ValidationError { code message fields { field code } }
  ... on UserError { code message }
} }"""


IMPORT_STATUS = """
query($id: ID!, $after: String) { customerImport(id: $id) {
  id status onDuplicate totalRows processedRows created merged skipped failed error
  createdAt startedAt finishedAt
  errors(first: 2, after: $after) {
    edges { cursor node { line errors { field code message } } }
    pageInfo { hasNextPage endCursor } } } }"""


ALL = f"""
query {{ customers(first: 100, sort: {{field: CREATED, direction: ASC}}) {{
  totalCount edges {{ node {{ {CUSTOMER_FIELDS} }} }} }} }}"""


INVITE = """
mutation($input: InviteStaffInput!) { inviteStaff(input: $input) {
  __typename ... on InvitePayload { token } ... on UserError { code message } } }"""


ACCEPT = """
mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) {
  __typename ... on AuthPayload { token user { id } } ... on UserError { code message } } }"""


def row_id(global_id: str) -> int:
    raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return int(raw.partition(":")[2])


async def created(actor: Actor, **fields: Any) -> dict[str, Any]:
    result = (await actor.gql(CREATE, {"input": fields}))["data"]["createCustomer"]
    assert result["__typename"] == "CustomerPayload", result
    return result["customer"]  # type: ignore[no-any-return]


async def fetch(actor: Actor, customer_id: str) -> dict[str, Any]:
    customer = (await actor.gql(GET, {"id": customer_id}))["data"]["customer"]
    assert customer is not None
    return customer  # type: ignore[no-any-return]


async def all_customers(actor: Actor) -> list[dict[str, Any]]:
    body = await actor.gql(ALL)
    conn = body["data"]["customers"]
    assert conn["totalCount"] == len(conn["edges"])
    return [e["node"] for e in conn["edges"]]


async def invite(owner: Actor, role: str = "STAFF") -> Actor:
    email = f"staff-{uuid.uuid4().hex[:10]}@example.com"
    result = (await owner.gql(INVITE, {"input": {"email": email, "role": role}}))["data"]
    assert result["inviteStaff"]["__typename"] == "InvitePayload", result
    password = "staff horse battery staple"
    body = await gql(
        owner.client,
        ACCEPT,
        {"input": {"token": result["inviteStaff"]["token"], "name": "Staff", "password": password}},
    )
    auth = body["data"]["acceptInvitation"]
    assert auth["__typename"] == "AuthPayload", auth
    return Actor(
        auth["token"], owner.business_id, auth["user"]["id"], email, password, owner.client
    )


async def import_csv(
    runtime: Runtime, actor: Actor, text: str, on_duplicate: str = "SKIP"
) -> dict[str, Any]:
    """Start the import, run its job to the end, then read the import: its counts and
    every refused row (walking the keyset-paginated error report)."""
    body = await actor.gql(IMPORT, {"input": {"csv": text, "onDuplicate": on_duplicate}})
    answer = body["data"]["importCustomers"]
    if answer["__typename"] != "ImportPayload":
        return answer  # type: ignore[no-any-return]
    started = answer["customerImport"]
    assert (started["status"], started["processedRows"]) == ("QUEUED", 0), started
    await run_jobs(runtime)
    report: dict[str, Any] = {"__typename": answer["__typename"], "errors": []}
    after = None
    while True:
        page = (await actor.gql(IMPORT_STATUS, {"id": started["id"], "after": after}))["data"][
            "customerImport"
        ]
        report.update({k: v for k, v in page.items() if k != "errors"})
        report["errors"] += [e["node"] for e in page["errors"]["edges"]]
        if not page["errors"]["pageInfo"]["hasNextPage"]:
            break
        after = page["errors"]["pageInfo"]["endCursor"]
    assert report["status"] == "COMPLETED", report
    assert report["processedRows"] == report["totalRows"]
    assert len(report["errors"]) == report["failed"]
    return report
