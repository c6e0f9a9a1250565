"""Recurring schedules around the rest of the system: an occurrence the invoicing refuses
pauses the schedule with its reason, a merge moves schedules to the surviving customer,
an update of the rule moves the next date, and the job function the arq cron and the
embedded timer run issues due occurrences."""

from __future__ import annotations

from domain.invoicing.recurring.scan import issue_due
from khata.composition import build_runtime
from khata.runtime import Runtime
from tests.conftest import sign_up
from tests.invoicing.helpers import customer_id
from tests.invoicing.recurring_helpers import (
    RESUME,
    UPDATE,
    Clocked,
    act,
    at,
    created,
    move_to,
    owner_on,
    read,
)
from workers.tasks import issue_recurring_invoices

DEACTIVATE = "mutation($id: ID!) { deactivateCustomer(input: { id: $id }) { __typename } }"
REACTIVATE = "mutation($id: ID!) { reactivateCustomer(input: { id: $id }) { __typename } }"
MERGE = """mutation($s: ID!, $t: ID!) { mergeCustomers(input: {sourceId: $s, targetId: $t}) {
  __typename ... on MergePayload { merge { counts } } } }"""


async def test_a_refused_occurrence_pauses_the_schedule_with_its_reason(
    clocked: Clocked, runtime: Runtime
) -> None:
    clock = clocked[1]
    owner, cid = await owner_on(clocked, "2028-01-01T06:00:00")
    s = await created(owner, customerId=cid, frequency="WEEKLY", startDate="2028-01-03")
    deactivated = await owner.gql(DEACTIVATE, {"id": cid})
    assert deactivated["data"]["deactivateCustomer"]["__typename"] == "CustomerPayload"
    move_to(clock, at("2028-01-03T06:00:00"))
    await issue_due(runtime.db, clock, runtime.settings.public_url)
    await owner.sign_in_again()
    got = await read(owner, s["id"])
    assert got is not None
    assert (got["status"], got["invoices"]) == ("PAUSED", [])
    assert "inactive" in (got["lastError"] or "")
    await owner.gql(REACTIVATE, {"id": cid})
    resumed = await act(owner, RESUME, id=s["id"])
    assert resumed["schedule"]["lastError"] is None
    # resumed on the occurrence's own day: it is still due today and is issued
    assert resumed["schedule"]["nextDate"] == "2028-01-03"
    await issue_due(runtime.db, clock, runtime.settings.public_url)
    got = await read(owner, s["id"])
    assert got is not None
    assert [i["issueDate"] for i in got["invoices"]] == ["2028-01-03"]


async def test_a_merge_moves_schedules_to_the_surviving_customer(
    clocked: Clocked, runtime: Runtime
) -> None:
    client, clock = clocked
    move_to(clock, at("2028-02-01T06:00:00"))
    owner = await sign_up(client, "IN", timezone="Asia/Kolkata")
    source = await customer_id(owner, name="Old Record")
    target = await customer_id(owner, name="Kept Record")
    s = await created(owner, customerId=source, frequency="MONTHLY", startDate="2028-02-02")
    merged = await owner.gql(MERGE, {"s": source, "t": target})
    assert merged["data"]["mergeCustomers"]["merge"]["counts"]["recurring_schedules"] == 1
    move_to(clock, at("2028-02-02T06:00:00"))
    await issue_due(runtime.db, clock, runtime.settings.public_url)
    await owner.sign_in_again()
    got = await read(owner, s["id"])
    assert got is not None
    assert (got["customerId"], got["status"], len(got["invoices"])) == (target, "ACTIVE", 1)


async def test_changing_the_rule_moves_the_next_date(clocked: Clocked) -> None:
    owner, cid = await owner_on(clocked, "2028-03-01T06:00:00")
    s = await created(owner, customerId=cid, frequency="MONTHLY", startDate="2028-03-10")
    assert s["nextDate"] == "2028-03-10"
    moved = await act(owner, UPDATE, id=s["id"], dayOfMonth=31)
    assert moved["schedule"]["nextDate"] == "2028-03-31"
    weekly = await act(owner, UPDATE, id=s["id"], frequency="WEEKLY", weekday="MONDAY")
    schedule = weekly["schedule"]
    assert (schedule["frequency"], schedule["dayOfMonth"], schedule["nextDate"]) == (
        "WEEKLY",
        None,
        "2028-03-13",
    )
    past = await act(owner, UPDATE, id=s["id"], startDate="2028-02-01")
    assert past["fields"] == [
        {"field": "startDate", "code": "INVALID_DATE", "message": "cannot be in the past"}
    ]


async def test_the_scheduled_job_issues_due_occurrences(clocked: Clocked, runtime: Runtime) -> None:
    """`issue_recurring_invoices` is what arq's cron and the embedded timer run."""
    clock = clocked[1]
    owner, cid = await owner_on(clocked, "2028-04-01T06:00:00")
    s = await created(owner, customerId=cid, frequency="WEEKLY", startDate="2028-04-03")
    move_to(clock, at("2028-04-03T06:00:00"))
    worker_rt = build_runtime(runtime.settings, clock=clock)
    try:
        done = await issue_recurring_invoices({"runtime": worker_rt})
    finally:
        await worker_rt.stop()
    assert done["issued"] >= 1  # other tests' schedules may be due at this time too
    await owner.sign_in_again()
    got = await read(owner, s["id"])
    assert got is not None
    assert [i["issueDate"] for i in got["invoices"]] == ["2028-04-03"]
