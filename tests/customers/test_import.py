"""Merging duplicate customers, CSV import (row errors with line numbers, duplicates skipped"""

from __future__ import annotations

from khata.runtime import Runtime
from tests.conftest import Actor, sign_up
from tests.customers.merge_import_helpers import (
    AUDIT,
    all_customers,
    created,
    fetch,
    import_csv,
)


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
