"""Merging duplicate customers, CSV import (row errors with line numbers, duplicates skipped"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import httpx

from domain.core.viewer import STAFF_SCOPES, Role, Viewer, ViewerKind
from domain.customers.csv_export import export_customers
from domain.customers.csv_rows import COLUMNS
from khata.runtime import Runtime
from tests.conftest import Actor, sign_up
from tests.customers.merge_import_helpers import (
    AUDIT,
    all_customers,
    created,
    import_csv,
    invite,
    row_id,
)


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
