"""The recurring due scan with a controlled clock: each occurrence is issued once on its
date in the business's time zone (month ends, a DST change), with the totals
createInvoice gives, sent when asked; end date and count end a schedule; two scans at
once, or a scan run twice, issue once; missed occurrences are caught up; a paused
schedule issues nothing and resumes from today."""

from __future__ import annotations

import asyncio
from typing import Any

from domain.core.clock import FrozenClock
from domain.core.db import Database
from domain.invoicing.recurring.scan import issue_due
from khata.runtime import Runtime
from tests.conftest import Actor, create_customer, run_jobs, sign_up
from tests.invoicing.helpers import invoice
from tests.invoicing.recurring_helpers import (
    LINES,
    PAUSE,
    RESUME,
    Clocked,
    act,
    at,
    created,
    move_to,
    owner_on,
    read,
)
from tests.notifications.helpers import UPDATE_PREFERENCES


async def scan(rt: Runtime, clock: FrozenClock) -> None:
    await issue_due(rt.db, clock, rt.settings.public_url)


async def state(owner: Actor, schedule_id: str) -> dict[str, Any]:
    """The schedule as its owner reads it now (signed in again: the clock moves by
    weeks, past a session's lifetime)."""
    await owner.sign_in_again()
    got = await read(owner, schedule_id)
    assert got is not None
    return got


async def test_monthly_on_the_31st_over_month_ends_with_createinvoice_totals(
    clocked: Clocked, runtime: Runtime
) -> None:
    clock = clocked[1]
    owner, cid = await owner_on(clocked, "2027-01-20T06:00:00")
    schedule = await created(
        owner,
        customerId=cid,
        frequency="MONTHLY",
        dayOfMonth=31,
        startDate="2027-01-20",
        dueInDays=10,
    )
    assert (schedule["nextDate"], schedule["status"]) == ("2027-01-31", "ACTIVE")
    # 23:59 on Jan 30 in Kolkata (18:29 UTC): not yet
    move_to(clock, at("2027-01-30T18:29:00"))
    await scan(runtime, clock)
    assert (await state(owner, schedule["id"]))["invoices"] == []
    # 00:01 on Jan 31 in Kolkata, still Jan 30 in UTC: due
    move_to(clock, at("2027-01-30T18:31:00"))
    await scan(runtime, clock)
    move_to(clock, at("2027-02-28T00:00:00"))
    await scan(runtime, clock)
    move_to(clock, at("2027-03-31T00:00:00"))
    await scan(runtime, clock)
    got = await state(owner, schedule["id"])
    issued = sorted(got["invoices"], key=lambda i: i["issueDate"])
    assert [i["issueDate"] for i in issued] == ["2027-01-31", "2027-02-28", "2027-03-31"]
    assert [i["dueDate"] for i in issued] == ["2027-02-10", "2027-03-10", "2027-04-10"]
    assert (got["createdCount"], got["lastDate"], got["nextDate"]) == (
        3,
        "2027-03-31",
        "2027-04-30",
    )
    by_hand = await invoice(owner, cid, LINES)  # signed in again by state()
    hand = by_hand["invoice"]
    assert {i["total"]["amount"] for i in issued} == {hand["total"]["amount"]}
    assert {i["taxTotal"]["amount"] for i in issued} == {hand["taxTotal"]["amount"]}
    assert issued[0]["total"]["amount"] == got["estimatedTotal"]["amount"] != "2501.00"
    assert len({i["number"] for i in issued}) == 3 and issued[0]["status"] == "ISSUED"


async def test_dst_change_the_occurrence_is_on_the_local_date(
    clocked: Clocked, runtime: Runtime
) -> None:
    """New York moves from EST (UTC-5) to EDT (UTC-4) on 2027-03-14. A weekly Sunday
    schedule is due at local midnight on either side of the change."""
    clock = clocked[1]
    owner, cid = await owner_on(clocked, "2027-03-10T15:00:00", "KE", "America/New_York")
    schedule = await created(
        owner, customerId=cid, frequency="WEEKLY", weekday="SUNDAY", startDate="2027-03-10"
    )
    assert schedule["nextDate"] == "2027-03-14"
    move_to(clock, at("2027-03-14T04:59:00"))  # 23:59 EST on Saturday the 13th
    await scan(runtime, clock)
    assert (await state(owner, schedule["id"]))["createdCount"] == 0
    move_to(clock, at("2027-03-14T05:01:00"))  # 00:01 EST on Sunday the 14th
    await scan(runtime, clock)
    assert (await state(owner, schedule["id"]))["createdCount"] == 1
    # the next Sunday is in EDT: midnight is 04:00 UTC, not 05:00
    move_to(clock, at("2027-03-21T03:59:00"))  # 23:59 EDT on the 20th
    await scan(runtime, clock)
    assert (await state(owner, schedule["id"]))["createdCount"] == 1
    move_to(clock, at("2027-03-21T04:01:00"))  # 00:01 EDT on the 21st (23:01 EST)
    await scan(runtime, clock)
    got = await state(owner, schedule["id"])
    assert sorted(i["issueDate"] for i in got["invoices"]) == ["2027-03-14", "2027-03-21"]
    assert got["nextDate"] == "2027-03-28"


async def test_count_and_end_date_end_the_schedule(clocked: Clocked, runtime: Runtime) -> None:
    clock = clocked[1]
    owner, cid = await owner_on(clocked, "2027-05-01T06:00:00")
    by_count = await created(
        owner, customerId=cid, frequency="WEEKLY", startDate="2027-05-03", count=2
    )
    by_end = await created(
        owner,
        customerId=cid,
        frequency="MONTHLY",
        interval=2,
        dayOfMonth=5,
        startDate="2027-05-01",
        endDate="2027-09-04",
    )
    assert by_end["nextDate"] == "2027-05-05"
    for day in ("2027-05-03", "2027-05-10", "2027-05-17", "2027-07-05", "2027-09-05"):
        move_to(clock, at(f"{day}T06:00:00"))
        await scan(runtime, clock)
    counted = await state(owner, by_count["id"])
    ended = await state(owner, by_end["id"])
    assert (counted["status"], counted["createdCount"], counted["nextDate"]) == ("ENDED", 2, None)
    assert sorted(i["issueDate"] for i in counted["invoices"]) == ["2027-05-03", "2027-05-10"]
    # every 2 months on the 5th: May 5, Jul 5; Sep 5 is past the end date
    assert (ended["status"], ended["nextDate"]) == ("ENDED", None)
    assert sorted(i["issueDate"] for i in ended["invoices"]) == ["2027-05-05", "2027-07-05"]


async def test_two_scans_at_once_and_a_rerun_issue_once(clocked: Clocked, runtime: Runtime) -> None:
    clock = clocked[1]
    owner, cid = await owner_on(clocked, "2027-06-01T06:00:00")
    schedules = [
        await created(owner, customerId=cid, frequency="MONTHLY", startDate="2027-06-02")
        for _ in range(3)
    ]
    move_to(clock, at("2027-06-02T06:00:00"))
    # a second database handle: as a second worker process would have its own pool
    other = Database(runtime.settings.database_url)
    try:
        await asyncio.gather(
            issue_due(runtime.db, clock, runtime.settings.public_url),
            issue_due(other, clock, runtime.settings.public_url),
        )
    finally:
        await other.dispose()
    await scan(runtime, clock)  # and again the same day
    clock.advance(hours=12)
    await scan(runtime, clock)
    for s in schedules:
        got = await state(owner, s["id"])
        assert [i["issueDate"] for i in got["invoices"]] == ["2027-06-02"], got
        assert (got["createdCount"], got["nextDate"]) == (1, "2027-07-02")


async def test_missed_occurrences_are_caught_up_once_each(
    clocked: Clocked, runtime: Runtime
) -> None:
    clock = clocked[1]
    owner, cid = await owner_on(clocked, "2027-07-01T06:00:00")
    schedule = await created(
        owner, customerId=cid, frequency="WEEKLY", weekday="FRIDAY", startDate="2027-07-01"
    )
    move_to(clock, at("2027-07-20T06:00:00"))  # down since before the first Friday
    await scan(runtime, clock)
    await scan(runtime, clock)
    got = await state(owner, schedule["id"])
    assert sorted(i["issueDate"] for i in got["invoices"]) == [
        "2027-07-02",
        "2027-07-09",
        "2027-07-16",
    ]
    assert got["nextDate"] == "2027-07-23"


async def test_paused_issues_nothing_and_resume_continues_from_today(
    clocked: Clocked, runtime: Runtime
) -> None:
    clock = clocked[1]
    owner, cid = await owner_on(clocked, "2027-08-01T06:00:00")
    schedule = await created(
        owner, customerId=cid, frequency="MONTHLY", dayOfMonth=10, startDate="2027-08-01"
    )
    paused = await act(owner, PAUSE, id=schedule["id"])
    assert paused["schedule"]["status"] == "PAUSED", paused
    again = await act(owner, PAUSE, id=schedule["id"])
    assert (again["__typename"], again["code"]) == ("ConflictError", "CONFLICT")
    move_to(clock, at("2027-09-15T06:00:00"))  # Aug 10 and Sep 10 pass while paused
    await scan(runtime, clock)
    assert (await state(owner, schedule["id"]))["invoices"] == []
    resumed = await act(owner, RESUME, id=schedule["id"])
    assert (resumed["schedule"]["status"], resumed["schedule"]["nextDate"]) == (
        "ACTIVE",
        "2027-10-10",
    )
    move_to(clock, at("2027-10-10T06:00:00"))
    await scan(runtime, clock)
    got = await state(owner, schedule["id"])
    assert [i["issueDate"] for i in got["invoices"]] == ["2027-10-10"]


async def test_send_when_created_goes_through_send_invoice(
    clocked: Clocked, runtime: Runtime
) -> None:
    client, clock = clocked
    move_to(clock, at("2027-11-01T06:00:00"))
    owner = await sign_up(client, "KE", timezone="Africa/Nairobi")
    customer = await create_customer(owner, name="Wanjiru", phone="+254712345699")
    cid = customer["customer"]["id"]
    always = {"customerId": cid, "quietHours": {"start": "00:00", "end": "00:00"}}
    assert "errors" not in await owner.gql(UPDATE_PREFERENCES, {"input": always})
    sent = await created(
        owner,
        customerId=cid,
        frequency="MONTHLY",
        startDate="2027-11-02",
        sendOnCreate=True,
        sendChannels=["SMS"],
    )
    quiet = await created(owner, customerId=cid, frequency="MONTHLY", startDate="2027-11-02")
    move_to(clock, at("2027-11-02T06:00:00"))
    await scan(runtime, clock)
    await run_jobs(runtime)
    await runtime.relay.flush()
    timeline = """query($id: ID!) { node(id: $id) { ... on Invoice { status
      timeline { kind data } } } }"""
    kinds = {}
    for s in (sent, quiet):
        got = await state(owner, s["id"])
        assert len(got["invoices"]) == 1
        node = (await owner.gql(timeline, {"id": got["invoices"][0]["id"]}))["data"]["node"]
        kinds[s["id"]] = (node["status"], [e["kind"] for e in node["timeline"]])
        issued = next(e for e in node["timeline"] if e["kind"] == "issued")
        assert issued["data"]["occurrenceDate"] == "2027-11-02"
    status, events = kinds[sent["id"]]
    assert "send_requested" in events and "sent" in events and status == "SENT", events
    assert kinds[quiet["id"]][0] == "ISSUED" and "send_requested" not in kinds[quiet["id"]][1]
