"""Merging duplicate customers, CSV import (row errors with line numbers, duplicates skipped"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import update

from domain.customers.models import Customer
from khata.runtime import Runtime
from tests.conftest import Actor
from tests.customers.merge_import_helpers import (
    AUDIT,
    CUSTOMER_FIELDS,
    created,
    fetch,
    invite,
    row_id,
)

MERGE = f"""
mutation($input: MergeCustomersInput!) {{ mergeCustomers(input: $input) {{
  __typename
  ... on MergePayload {{
    customer {{ {CUSTOMER_FIELDS} }}
    merge {{ id sourceId targetId reason counts mergedBy createdAt }} }}
  ... on ValidationError {{ code message fields {{ field code }} }}
  ... on UserError {{ code message }}
}} }}"""


UPDATE = """
mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
  __typename ... on UserError { code message } } }"""


REACTIVATE = """
mutation($id: ID!) { reactivateCustomer(input: { id: $id }) { __typename ... on UserError { code } } }"""


async def merge(
    actor: Actor, source: str, target: str, reason: str | None = None
) -> dict[str, Any]:
    body = await actor.gql(
        MERGE, {"input": {"sourceId": source, "targetId": target, "reason": reason}}
    )
    return body["data"]["mergeCustomers"]  # type: ignore[no-any-return]


async def set_financials(runtime: Runtime, customer_id: str, **values: Any) -> None:
    """Invoicing moves these; until then a test arranges them in the table directly."""
    async with runtime.db.unit_of_work() as session:
        await session.execute(
            update(Customer).where(Customer.id == row_id(customer_id)).values(**values)
        )


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
