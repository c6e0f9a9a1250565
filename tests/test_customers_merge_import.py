"""Merging duplicate customers, CSV import (row errors with line numbers, duplicates skipped
or merged) and the streamed CSV export (roles, formula neutralising)."""

from __future__ import annotations

import base64
import csv
import io
import uuid
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import update

from domain.core.viewer import STAFF_SCOPES, Role, Viewer, ViewerKind
from domain.customers.csv_io import COLUMNS, export_customers
from domain.customers.models import Customer
from khata.runtime import Runtime
from tests.conftest import Actor, gql, run_jobs, sign_up

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

MERGE = f"""
mutation($input: MergeCustomersInput!) {{ mergeCustomers(input: $input) {{
  __typename
  ... on MergePayload {{
    customer {{ {CUSTOMER_FIELDS} }}
    merge {{ id sourceId targetId reason counts mergedBy createdAt }} }}
  ... on ValidationError {{ code message fields {{ field code }} }}
  ... on UserError {{ code message }}
}} }}"""

GET = f"""query($id: ID!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS} }} }}"""

UPDATE = """
mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
  __typename ... on UserError { code message } } }"""

REACTIVATE = """
mutation($id: ID!) { reactivateCustomer(input: { id: $id }) { __typename ... on UserError { code } } }"""

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


async def merge(
    actor: Actor, source: str, target: str, reason: str | None = None
) -> dict[str, Any]:
    body = await actor.gql(
        MERGE, {"input": {"sourceId": source, "targetId": target, "reason": reason}}
    )
    return body["data"]["mergeCustomers"]  # type: ignore[no-any-return]


async def all_customers(actor: Actor) -> list[dict[str, Any]]:
    body = await actor.gql(ALL)
    conn = body["data"]["customers"]
    assert conn["totalCount"] == len(conn["edges"])
    return [e["node"] for e in conn["edges"]]


async def set_financials(runtime: Runtime, customer_id: str, **values: Any) -> None:
    """Invoicing moves these; until then a test arranges them in the table directly."""
    async with runtime.db.unit_of_work() as session:
        await session.execute(
            update(Customer).where(Customer.id == row_id(customer_id)).values(**values)
        )


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


# -- merge ----------------------------------------------------------------------------------
async def test_merge_moves_everything_into_target(owner: Actor, runtime: Runtime) -> None:
    target = await created(
        owner,
        name="Ramesh Kumar",
        phone="98765 43210",
        tags=["farmer", "vip"],
        notes="target note",
        addresses=[{"city": "Pune"}],
    )
    source = await created(
        owner,
        name="Ramesh K",
        phone="91234 56789",
        email="ramesh@example.com",
        tags=["VIP", "wholesale"],
        notes="source note",
        taxId="29ABCDE1234F1Z5",
        addresses=[{"city": "Nashik"}, {"city": "Goa"}],
    )
    await set_financials(
        runtime,
        target["id"],
        total_billed=Decimal("100"),
        total_paid=Decimal("40"),
        outstanding=Decimal("60"),
        invoice_count=2,
    )
    await set_financials(
        runtime,
        source["id"],
        total_billed=Decimal("50.5"),
        total_paid=Decimal("0"),
        outstanding=Decimal("50.5"),
        invoice_count=1,
    )

    result = await merge(owner, source["id"], target["id"], reason="  same person  ")
    assert result["__typename"] == "MergePayload", result
    merged = result["customer"]
    assert merged["id"] == target["id"]
    assert merged["name"] == "Ramesh Kumar"
    assert merged["phone"] == "+919876543210"
    assert merged["secondaryPhone"] == "+919123456789"
    assert merged["email"] == "ramesh@example.com"
    assert merged["taxId"] == "29ABCDE1234F1Z5"
    assert merged["tags"] == ["farmer", "vip", "wholesale"]
    assert merged["notes"] == f"target note\n[merged from {source['number']}] source note"
    assert merged["financial"]["totalBilled"] == {"amount": "150.50", "currency": "INR"}
    assert merged["financial"]["totalPaid"]["amount"] == "40.00"
    assert merged["financial"]["outstanding"]["amount"] == "110.50"
    assert merged["financial"]["invoiceCount"] == 3
    cities = sorted(a["city"] for a in merged["addresses"])
    assert cities == ["Goa", "Nashik", "Pune"]
    assert [a["city"] for a in merged["addresses"] if a["isDefault"]] == ["Pune"]

    record = result["merge"]
    assert record["sourceId"] == source["id"] and record["targetId"] == target["id"]
    assert record["reason"] == "same person"
    assert record["counts"]["addresses"] == 2
    assert record["counts"]["tags_added"] == 1
    assert record["mergedBy"] == f"user:{row_id(owner.user_id)}"

    gone = await fetch(owner, source["id"])
    assert gone["status"] == "INACTIVE"
    assert gone["mergedIntoId"] == target["id"]
    assert gone["deactivatedAt"] is not None
    assert gone["addresses"] == []
    assert await fetch(owner, target["id"]) == merged

    audit = (await owner.gql(AUDIT, {"action": "customer.merged"}))["data"]["auditEvents"]
    events = [e["node"] for e in audit["edges"]]
    assert len(events) == 1
    assert events[0]["targetId"] == target["id"]
    assert events[0]["data"]["source"] == source["number"]
    assert events[0]["data"]["counts"]["addresses"] == 2


async def test_merge_keeps_target_values_and_fills_only_gaps(owner: Actor) -> None:
    target = await created(owner, name="Asha", phone="9876500001", email="asha@example.com")
    source = await created(
        owner,
        name="Asha B",
        phone="9876500001",
        email="asha.b@example.com",
        notes="from source",
        allowDuplicatePhone=True,
    )
    result = await merge(owner, source["id"], target["id"])
    merged = result["customer"]
    assert merged["email"] == "asha@example.com"
    assert merged["secondaryEmail"] == "asha.b@example.com"
    assert merged["secondaryPhone"] is None  # same phone, nothing to keep
    assert merged["notes"] == f"[merged from {source['number']}] from source"


async def test_merge_promotes_a_default_when_target_had_no_address(owner: Actor) -> None:
    target = await created(owner, name="Target")
    source = await created(
        owner, name="Source", addresses=[{"city": "A"}, {"city": "B", "isDefault": True}]
    )
    merged = (await merge(owner, source["id"], target["id"]))["customer"]
    assert len(merged["addresses"]) == 2
    assert sum(a["isDefault"] for a in merged["addresses"]) == 1


async def test_merge_upgrades_profile_to_the_higher_one(owner: Actor) -> None:
    target = await created(owner, name="Guesty")
    source = await created(
        owner, name="Fully", phone="9876500002", email="f@example.com", profileType="FULL"
    )
    merged = (await merge(owner, source["id"], target["id"]))["customer"]
    assert merged["profileType"] == "FULL"
    assert merged["phone"] == "+919876500002"


async def test_merge_into_itself_is_a_validation_error(owner: Actor) -> None:
    customer = await created(owner, name="Solo")
    result = await merge(owner, customer["id"], customer["id"])
    assert result["__typename"] == "ValidationError"
    assert result["fields"] == [{"field": "sourceId", "code": "SAME_CUSTOMER"}]
    assert (await fetch(owner, customer["id"]))["status"] == "ACTIVE"


async def test_merging_an_already_merged_customer_conflicts(owner: Actor) -> None:
    a = await created(owner, name="A", tags=["a"])
    b = await created(owner, name="B")
    c = await created(owner, name="C")
    assert (await merge(owner, a["id"], b["id"]))["__typename"] == "MergePayload"
    again = await merge(owner, a["id"], c["id"])
    assert again["__typename"] == "ConflictError"
    assert again["code"] == "CONFLICT"
    assert (await fetch(owner, c["id"]))["tags"] == []
    into_merged = await merge(owner, c["id"], a["id"])
    assert into_merged["__typename"] == "ConflictError"
    assert (await fetch(owner, c["id"]))["mergedIntoId"] is None


async def test_merged_customer_cannot_be_edited_or_reactivated(owner: Actor) -> None:
    a = await created(owner, name="A")
    b = await created(owner, name="B")
    await merge(owner, a["id"], b["id"])
    edit = (await owner.gql(UPDATE, {"input": {"id": a["id"], "name": "A2"}}))["data"]
    assert edit["updateCustomer"]["__typename"] == "ConflictError"
    back = (await owner.gql(REACTIVATE, {"id": a["id"]}))["data"]["reactivateCustomer"]
    assert back["__typename"] == "ConflictError"
    assert (await fetch(owner, a["id"]))["status"] == "INACTIVE"


async def test_source_phone_finds_target_after_merge(owner: Actor) -> None:
    target = await created(owner, name="Target", phone="9876500003")
    source = await created(owner, name="Source", phone="9876500004")
    await merge(owner, source["id"], target["id"])
    body = await owner.gql("""mutation { autoRegisterCustomer(input: {phone: "98765 00004"}) {
        ... on AutoRegisterPayload { created customer { id } } } }""")
    found = body["data"]["autoRegisterCustomer"]
    assert found == {"created": False, "customer": {"id": target["id"]}}


async def test_staff_cannot_merge(owner: Actor) -> None:
    staff = await invite(owner)
    a = await created(owner, name="A", tags=["x"])
    b = await created(owner, name="B")
    result = await merge(staff, a["id"], b["id"])
    assert result["__typename"] == "PermissionError"
    assert result["code"] == "PERMISSION_DENIED"
    assert (await fetch(owner, a["id"]))["mergedIntoId"] is None
    assert (await fetch(owner, b["id"]))["tags"] == []
    # Staff can still do everyday customer work.
    assert (await created(staff, name="Walk-in"))["number"] == "CUST-00003"


async def test_admin_can_merge(owner: Actor) -> None:
    admin = await invite(owner, "ADMIN")
    a = await created(owner, name="A")
    b = await created(owner, name="B")
    result = await merge(admin, a["id"], b["id"])
    assert result["__typename"] == "MergePayload", result
    assert result["merge"]["mergedBy"] == f"user:{row_id(admin.user_id)}"


async def test_merge_with_foreign_customer_is_not_found(owner: Actor, other_owner: Actor) -> None:
    mine = await created(owner, name="Mine")
    theirs = await created(other_owner, name="Theirs")
    result = await merge(owner, theirs["id"], mine["id"])
    assert result["__typename"] == "NotFoundError"
    result = await merge(other_owner, mine["id"], theirs["id"])
    assert result["__typename"] == "NotFoundError"
    assert (await fetch(owner, mine["id"]))["status"] == "ACTIVE"


# -- import ----------------------------------------------------------------------------------
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


async def test_import_keeps_valid_rows_and_reports_bad_ones(runtime: Runtime, owner: Actor) -> None:
    await created(owner, name="Before")
    text = (
        "name,phone,email,tags,city\n"
        "Ramesh Kumar,98765 43210,Ramesh@Example.com,Farmer;VIP,Pune\n"
        "Bad Phone,12345,,,\n"
        "Sita,91234 56789,not-an-email,,\n"
        "Wholesale Co,+91 99887 76655,,wholesale,\n"
        ",,,,\n"
        "No Place,,,,\n"
    )
    report = await import_csv(runtime, owner, text)
    assert report["__typename"] == "ImportPayload", report
    assert (report["created"], report["failed"], report["skipped"], report["merged"]) == (
        3,
        2,
        0,
        0,
    )
    assert report["totalRows"] == 5  # the blank line is not a row
    by_line = {r["line"]: r for r in report["errors"]}
    assert set(by_line) == {3, 4}
    assert [(e["field"], e["code"]) for e in by_line[3]["errors"]] == [("phone", "INVALID_PHONE")]
    assert [(e["field"], e["code"]) for e in by_line[4]["errors"]] == [("email", "INVALID_EMAIL")]

    everyone = await all_customers(owner)
    ramesh = everyone[1]
    assert ramesh["phone"] == "+919876543210"
    assert ramesh["email"] == "ramesh@example.com"
    assert ramesh["tags"] == ["farmer", "vip"]
    assert [a["city"] for a in ramesh["addresses"] if a["isDefault"]] == ["Pune"]
    assert [c["name"] for c in everyone] == ["Before", "Ramesh Kumar", "Wholesale Co", "No Place"]
    # Failed rows take no numbers: the kept rows are numbered without gaps.
    assert [c["number"] for c in everyone] == [f"CUST-{i:05d}" for i in range(1, 5)]


async def test_import_row_failing_on_several_fields_reports_all(
    runtime: Runtime, owner: Actor
) -> None:
    text = "name,phone,email,credit_limit\nX,12,bad,-3\n"
    report = await import_csv(runtime, owner, text)
    assert report["failed"] == 1 and report["created"] == 0
    codes = {e["field"]: e["code"] for e in report["errors"][0]["errors"]}
    assert codes == {"phone": "INVALID_PHONE", "email": "INVALID_EMAIL", "creditLimit": "NEGATIVE"}
    assert await all_customers(owner) == []


async def test_import_line_numbers_count_physical_lines(runtime: Runtime, owner: Actor) -> None:
    text = 'name,phone,notes\nMulti Line,98765 00010,"first line\nsecond line"\n\nBroken,123,\n'
    report = await import_csv(runtime, owner, text)
    assert report["created"] == 1 and report["failed"] == 1
    assert [r["line"] for r in report["errors"]] == [5]
    (customer,) = await all_customers(owner)
    assert customer["notes"] == "first line\nsecond line"


async def test_import_header_aliases_and_bom(runtime: Runtime, owner: Actor) -> None:
    text = (
        "\ufeffFull Name,Mobile,E-mail,GSTIN\nAnil,98765 00011,anil@example.com,29ABCDE1234F1Z5\n"
    )
    report = await import_csv(runtime, owner, text)
    assert report["created"] == 1, report
    (customer,) = await all_customers(owner)
    assert customer["name"] == "Anil"
    assert customer["phone"] == "+919876500011"
    assert customer["email"] == "anil@example.com"
    assert customer["taxId"] == "29ABCDE1234F1Z5"


async def test_import_without_usable_header_is_rejected(runtime: Runtime, owner: Actor) -> None:
    report = await import_csv(runtime, owner, "foo,bar\n1,2\n")
    assert report["__typename"] == "ValidationError"
    assert report["fields"] == [{"field": "csv", "code": "BAD_HEADER"}]
    assert await all_customers(owner) == []


async def test_import_skip_leaves_existing_duplicate_untouched(
    runtime: Runtime, owner: Actor
) -> None:
    existing = await created(owner, name="Ramesh", phone="9876543210", tags=["old"])
    text = "name,phone,email,tags\nRamesh K,+91 98765-43210,ramesh@example.com,new\n"
    report = await import_csv(runtime, owner, text, "SKIP")
    assert (report["created"], report["skipped"], report["merged"]) == (0, 1, 0)
    after = await fetch(owner, existing["id"])
    assert after["email"] is None and after["tags"] == ["old"] and after["name"] == "Ramesh"
    assert len(await all_customers(owner)) == 1


async def test_import_merge_fills_empty_fields_and_unions_tags(
    runtime: Runtime, owner: Actor
) -> None:
    existing = await created(
        owner, name="Ramesh", phone="9876543210", tags=["old"], notes="keep me"
    )
    text = (
        "name,phone,email,tags,notes,tax_id\n"
        "Ramesh K,098765 43210,Ramesh@Example.com,New;OLD,other notes,29ABCDE1234F1Z5\n"
    )
    report = await import_csv(runtime, owner, text, "MERGE")
    assert (report["created"], report["merged"], report["failed"]) == (0, 1, 0), report
    after = await fetch(owner, existing["id"])
    assert after["name"] == "Ramesh"
    assert after["notes"] == "keep me"
    assert after["email"] == "ramesh@example.com"
    assert after["taxId"] == "29ABCDE1234F1Z5"
    assert after["tags"] == ["old", "new"]
    assert len(await all_customers(owner)) == 1


async def test_import_merge_row_that_fails_changes_nothing(runtime: Runtime, owner: Actor) -> None:
    existing = await created(owner, name="Ramesh", phone="9876543210", tags=["old"])
    text = "name,phone,email,tags,tax_id\nRamesh,9876543210,not-an-email,new,TAX1\n"
    report = await import_csv(runtime, owner, text, "MERGE")
    assert report["failed"] == 1 and report["merged"] == 0
    assert report["errors"][0]["errors"][0]["field"] == "email"
    after = await fetch(owner, existing["id"])
    assert after["tags"] == ["old"]
    assert after["email"] is None and after["taxId"] is None


async def test_import_duplicates_inside_one_file(runtime: Runtime, owner: Actor) -> None:
    text = (
        "name,phone,tags,email\nAsha,98765 11111,a,\nAsha Again,+919876511111,b,asha@example.com\n"
    )
    skip = await import_csv(runtime, owner, text, "SKIP")
    assert (skip["created"], skip["skipped"]) == (1, 1), skip
    assert len(await all_customers(owner)) == 1

    other = await sign_up(owner.client, "IN")
    merged = await import_csv(runtime, other, text, "MERGE")
    assert (merged["created"], merged["merged"]) == (1, 1), merged
    only = await all_customers(other)
    assert len(only) == 1
    assert only[0]["name"] == "Asha"
    assert only[0]["tags"] == ["a", "b"]
    assert only[0]["email"] == "asha@example.com"


async def test_import_is_audited(runtime: Runtime, owner: Actor) -> None:
    await import_csv(runtime, owner, "name\nA\nB\n")
    audit = (await owner.gql(AUDIT, {"action": "customer.imported"}))["data"]["auditEvents"]
    assert [e["node"]["data"]["created"] for e in audit["edges"]] == [2]


# -- export ---------------------------------------------------------------------------------
async def export(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.get("/exports/customers.csv", headers=headers)


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_export_streams_every_customer(owner: Actor, other_owner: Actor) -> None:
    await created(other_owner, name="Not Mine")
    a = await created(
        owner,
        name="Ramesh Kumar",
        phone="98765 43210",
        email="r@example.com",
        tags=["farmer", "vip"],
        creditLimit="500",
        isVip=True,
        addresses=[
            {"street": "MG Road", "city": "Pune", "postalCode": "411001", "isDefault": True},
            {"city": "Goa"},
        ],
    )
    await created(owner)
    b = await created(owner, name="Inactive One")
    await owner.gql(
        "mutation($id: ID!) { deactivateCustomer(input: { id: $id }) { __typename } }",
        {"id": b["id"]},
    )
    response = await export(owner.client, owner.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    reader = csv.reader(io.StringIO(response.text))
    assert next(reader) == COLUMNS
    rows = parse(response.text)
    assert [r["name"] for r in rows] == ["Ramesh Kumar", "Walk-in Customer", "Inactive One"]
    first = rows[0]
    assert first["number"] == a["number"]
    assert first["phone"] == "+919876543210"
    assert first["email"] == "r@example.com"
    assert first["tags"] == "farmer;vip"
    assert first["vip"] == "yes"
    assert first["street"] == "MG Road" and first["city"] == "Pune"
    assert first["postal_code"] == "411001" and first["country"] == "IN"
    assert first["profile_type"] == "stub" and first["status"] == "active"
    assert Decimal(first["credit_limit"]) == Decimal("500")
    assert Decimal(first["outstanding"]) == 0
    assert rows[2]["status"] == "inactive"


async def test_export_batches_walk_every_row_once(owner: Actor, runtime: Runtime) -> None:
    names = [f"Customer {i}" for i in range(7)]
    for name in names:
        await created(owner, name=name)
    viewer = Viewer(
        ViewerKind.STAFF,
        user_id=row_id(owner.user_id),
        business_id=row_id(owner.business_id),
        role=Role.OWNER,
        scopes=STAFF_SCOPES,
    )
    chunks = [chunk async for chunk in export_customers(runtime.db, viewer, batch=2)]
    assert len(chunks) == 1 + 4  # header, then ceil(7 / 2) batches
    assert [r["name"] for r in parse("".join(chunks))] == names


async def test_export_roles_and_authentication(owner: Actor) -> None:
    await created(owner, name="Someone")
    staff = await invite(owner)
    denied = await export(owner.client, staff.headers)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "PERMISSION_DENIED"
    anonymous = await export(owner.client, {})
    assert anonymous.status_code == 401
    bad_token = await export(
        owner.client, {"authorization": "Bearer nope", "x-khata-business": owner.business_id}
    )
    assert bad_token.status_code == 401
    admin = await invite(owner, "ADMIN")
    allowed = await export(owner.client, admin.headers)
    assert allowed.status_code == 200
    assert [r["name"] for r in parse(allowed.text)] == ["Someone"]


async def test_export_is_audited(owner: Actor) -> None:
    assert (await export(owner.client, owner.headers)).status_code == 200
    audit = (await owner.gql(AUDIT, {"action": "customer.exported"}))["data"]["auditEvents"]
    assert len(audit["edges"]) == 1


async def test_export_neutralises_formulas(owner: Actor) -> None:
    await created(
        owner,
        name='=HYPERLINK("http://evil.example","x")',
        phone="9876543210",
        notes="@SUM(A1:A9)",
        businessType="+cmd",
        taxId="-2+3",
        tags=["=cmd|' /c calc'!a0", "ok"],
        addresses=[{"street": "=1+1", "city": "@city", "postalCode": "=2+2"}],
    )
    await created(owner, name="Plain", email="=1+2@example.com", language="=1+1")
    response = await export(owner.client, owner.headers)
    rows = parse(response.text)
    risky = rows[0]
    assert risky["name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert risky["notes"] == "'@SUM(A1:A9)"
    assert risky["business_type"] == "'+cmd"
    assert risky["tax_id"] == "'-2+3"
    assert risky["street"] == "'=1+1" and risky["city"] == "'@city"
    assert risky["postal_code"] == "'=2+2"
    assert risky["tags"].startswith("'=")
    assert risky["phone"] == "+919876543210"  # E.164 stays as it is
    plain = rows[1]
    assert plain["email"].startswith("'=")
    assert plain["language"] == "'=1+1"
    dangerous = tuple("=+-@")
    for row in rows:
        for column, value in row.items():
            if column in ("phone", "secondary_phone", "outstanding", "credit_limit"):
                continue
            assert not value.startswith(dangerous), (column, value)


async def test_export_then_import_round_trip(runtime: Runtime, owner: Actor) -> None:
    await created(
        owner,
        name="Ramesh Kumar",
        phone="98765 43210",
        email="r@example.com",
        tags=["farmer"],
        creditLimit="250.5",
        paymentTerms="NET_30",
        addresses=[{"city": "Pune", "postalCode": "411001"}],
    )
    await created(
        owner,
        name="Asha",
        phone="91234 56789",
        email="asha@example.com",
        profileType="FULL",
        isVip=True,
    )
    await created(owner)
    response = await export(owner.client, owner.headers)
    other = await sign_up(owner.client, "IN")
    report = await import_csv(runtime, other, response.text)
    assert report["__typename"] == "ImportPayload", report
    assert (report["created"], report["failed"]) == (3, 0), report
    original = await all_customers(owner)
    copied = await all_customers(other)
    keys = ("number", "name", "phone", "email", "tags", "profileType", "isVip")
    assert [{k: c[k] for k in keys} for c in copied] == [{k: c[k] for k in keys} for c in original]
    assert [a["city"] for a in copied[0]["addresses"]] == ["Pune"]
