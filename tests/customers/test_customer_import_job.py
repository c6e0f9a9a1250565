"""CSV import as a job: the file is checked whole before any write, then imported chunk by
chunk with progress and a paginated error report; numbers stay gapless."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from domain.core.outbox import OutboxEvent
from domain.customers.csv_rows import MAX_BYTES, MAX_ROWS
from khata.runtime import Runtime
from schema.relay import expect_id
from tests.conftest import Actor, run_jobs
from tests.customers.merge_import_helpers import IMPORT, all_customers, import_csv
from workers import tasks

AUDIT = (
    """query($action: String) { auditEvents(action: $action) { edges { node { actor data } } } }"""
)
NODE = (
    """query($id: ID!) { node(id: $id) { __typename ... on CustomerImport { status created } } }"""
)
STATUS = """query($id: ID!) { customerImport(id: $id) { status } }"""


async def _start(actor: Actor, text: str) -> dict[str, Any]:
    body = await actor.gql(IMPORT, {"input": {"csv": text, "onDuplicate": "SKIP"}})
    return body["data"]["importCustomers"]  # type: ignore[no-any-return]


async def test_too_many_rows_is_refused_before_any_write(runtime: Runtime, owner: Actor) -> None:
    text = "name,phone\n" + "".join(f"C{i},\n" for i in range(MAX_ROWS + 1))
    answer = await _start(owner, text)
    assert answer["__typename"] == "ValidationError", answer
    assert answer["fields"] == [{"field": "csv", "code": "TOO_MANY_ROWS"}]
    await run_jobs(runtime)
    assert await all_customers(owner) == []
    audit = (await owner.gql(AUDIT, {"action": "customer.import_requested"}))["data"]
    assert audit["auditEvents"]["edges"] == []


async def test_too_large_a_file_is_refused(owner: Actor) -> None:
    text = "name,notes\n" + ("A," + "x" * 1000 + "\n") * (MAX_BYTES // 1000 + 1)
    answer = await _start(owner, text)
    assert answer["__typename"] == "ValidationError", answer
    assert answer["fields"] == [{"field": "csv", "code": "TOO_LARGE"}]


async def test_a_cell_over_the_csv_limit_is_a_validation_error(owner: Actor) -> None:
    answer = await _start(owner, 'name,notes\nA,"' + "x" * 200_000 + '"\n')
    assert answer["__typename"] == "ValidationError", answer
    assert answer["fields"] == [{"field": "csv", "code": "CELL_TOO_LARGE"}]


async def test_a_large_import_commits_in_chunks_with_gapless_numbers(
    runtime: Runtime, owner: Actor
) -> None:
    rows = [f"Customer {i}," if i % 97 else f"Bad {i},12345" for i in range(1, 701)]
    report = await import_csv(runtime, owner, "name,phone\n" + "\n".join(rows) + "\n")
    bad = [i for i in range(1, 701) if i % 97 == 0]
    assert (report["totalRows"], report["created"], report["failed"]) == (700, 700 - len(bad), 7)
    assert [e["line"] for e in report["errors"]] == [i + 1 for i in bad]  # header is line 1
    assert report["startedAt"] and report["finishedAt"]
    total = 700 - len(bad)
    first = (await owner.gql("{ customers(first: 1) { totalCount } }"))["data"]["customers"]
    assert first["totalCount"] == total
    numbers = await owner.gql(
        "{ customers(first: 1, sort: {field: CREATED, direction: DESC}) { edges { node { number } } } }"
    )
    assert numbers["data"]["customers"]["edges"][0]["node"]["number"] == f"CUST-{total:05d}"
    # the audit names who asked, not the job
    audit = (await owner.gql(AUDIT, {"action": "customer.imported"}))["data"]["auditEvents"]
    (event,) = [e["node"] for e in audit["edges"]]
    assert event["data"]["created"] == total
    assert event["actor"].startswith("user:")


async def test_a_second_run_of_the_job_changes_nothing(runtime: Runtime, owner: Actor) -> None:
    started = (await _start(owner, "name\nA\nB\n"))["customerImport"]
    await run_jobs(runtime)
    async with runtime.db.read() as session:
        event = await session.scalar(
            select(OutboxEvent).where(
                OutboxEvent.topic == "customer.import_requested",
                OutboxEvent.business_id == expect_id(owner.business_id, "Business"),
            )
        )
    assert event is not None and event.payload["importId"]
    assert await tasks.import_customers({"runtime": runtime}, event.id) in ("done", "completed")
    assert len(await all_customers(owner)) == 2
    status = (await owner.gql(STATUS, {"id": started["id"]}))["data"]["customerImport"]
    assert status["status"] == "COMPLETED"


async def test_imports_are_the_business_own(
    runtime: Runtime, owner: Actor, other_owner: Actor
) -> None:
    started = (await _start(owner, "name\nA\n"))["customerImport"]
    await run_jobs(runtime)
    mine = (await owner.gql(NODE, {"id": started["id"]}))["data"]["node"]
    assert mine == {"__typename": "CustomerImport", "status": "COMPLETED", "created": 1}
    assert (await other_owner.gql(NODE, {"id": started["id"]}))["data"]["node"] is None
    theirs = await other_owner.gql(STATUS, {"id": started["id"]})
    assert theirs["data"]["customerImport"] is None
