"""The recurring schedule API: create with every bad field reported, list (keyset paged)
and per customer, update, pause/resume, delete, idempotency keys, tenancy, and a
schedule made from a suggestInvoices pattern."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx

from tests.conftest import Actor, sign_up
from tests.invoicing.helpers import customer_id
from tests.invoicing.recurring_helpers import (
    DELETE,
    FROM_SUGGESTION,
    PAUSE,
    RESUME,
    UPDATE,
    Clocked,
    act,
    create,
    created,
    move_to,
    read,
)

KOLKATA = timedelta(hours=5, minutes=30)
LIST = """query($first: Int, $after: String, $c: ID) {
  recurringSchedules(first: $first, after: $after, customerId: $c) {
    edges { cursor node { id status } } pageInfo { hasNextPage endCursor } } }"""
CUSTOMER = """query($id: ID!) { node(id: $id) { ... on Customer {
  recurringSchedules { id frequency customer { id } } } } }"""


def today() -> date:
    return (datetime.now(UTC) + KOLKATA).date()  # the IN test businesses' date


async def test_create_reports_every_bad_field(owner: Actor) -> None:
    cid = await customer_id(owner)
    bad = await create(
        owner,
        customerId=cid,
        frequency="MONTHLY",
        dayOfMonth=32,
        interval=0,
        startDate=(today() - timedelta(days=1)).isoformat(),
        endDate=(today() - timedelta(days=5)).isoformat(),
        count=0,
        sendChannels=["fax"],
        lines=[{"description": " ", "quantity": "1", "unitPrice": "10"}],
    )
    assert bad["__typename"] == "ValidationError", bad
    fields = {f["field"]: f["code"] for f in bad["fields"]}
    assert fields == {
        "dayOfMonth": "OUT_OF_RANGE",
        "interval": "OUT_OF_RANGE",
        "startDate": "INVALID_DATE",
        "endDate": "INVALID_DATE",
        "count": "OUT_OF_RANGE",
        "sendChannels": "INVALID_CHOICE",
        "lines.0.description": "REQUIRED",
    }
    listed = await owner.gql(LIST, {"c": cid})
    assert listed["data"]["recurringSchedules"]["edges"] == []  # nothing was saved


async def test_monthly_day_defaults_and_29_to_31_clamp(owner: Actor) -> None:
    cid = await customer_id(owner)
    start = today() + timedelta(days=1)
    plain = await created(owner, customerId=cid, frequency="MONTHLY", startDate=start.isoformat())
    assert (plain["dayOfMonth"], plain["nextDate"], plain["weekday"]) == (
        start.day,
        start.isoformat(),
        None,
    )
    weekly = await created(owner, customerId=cid, frequency="WEEKLY", startDate=start.isoformat())
    assert weekly["weekday"] == start.strftime("%A").upper() and weekly["dayOfMonth"] is None
    assert weekly["template"]["lines"] == [
        {
            "description": "Monthly service",
            "quantity": "2",
            "unitPrice": "1250.50",
            "taxRate": None,
        }
    ]
    assert weekly["estimatedTotal"]["currency"] == "INR"


async def test_list_pages_by_keyset_and_customer_shows_its_schedules(owner: Actor) -> None:
    cid = await customer_id(owner)
    other = await customer_id(owner, name="Someone Else")
    start = (today() + timedelta(days=2)).isoformat()
    ids = [
        (await created(owner, customerId=cid, frequency="WEEKLY", startDate=start))["id"]
        for _ in range(3)
    ]
    await created(owner, customerId=other, frequency="WEEKLY", startDate=start)
    first = (await owner.gql(LIST, {"first": 2, "c": cid}))["data"]["recurringSchedules"]
    assert [e["node"]["id"] for e in first["edges"]] == ids[::-1][:2]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await owner.gql(LIST, {"first": 2, "c": cid, "after": first["pageInfo"]["endCursor"]})
    page = rest["data"]["recurringSchedules"]
    assert [e["node"]["id"] for e in page["edges"]] == [ids[0]]
    assert page["pageInfo"]["hasNextPage"] is False
    shown = (await owner.gql(CUSTOMER, {"id": cid}))["data"]["node"]["recurringSchedules"]
    assert [s["id"] for s in shown] == ids[::-1]
    assert {s["customer"]["id"] for s in shown} == {cid}


async def test_update_pause_resume_delete(owner: Actor) -> None:
    cid = await customer_id(owner)
    start = today() + timedelta(days=3)
    s = await created(owner, customerId=cid, frequency="MONTHLY", startDate=start.isoformat())
    changed = await act(
        owner,
        UPDATE,
        id=s["id"],
        lines=[
            {"description": "Bigger plan", "quantity": "1", "unitPrice": "5000", "taxRate": "0"}
        ],
        endDate=(start + timedelta(days=200)).isoformat(),
        dueInDays=7,
    )
    assert changed["__typename"] == "RecurringSchedulePayload", changed
    updated = changed["schedule"]
    assert updated["estimatedTotal"]["amount"] == "5000.00"
    assert updated["template"]["dueInDays"] == 7 and updated["frequency"] == "MONTHLY"
    cleared = await act(owner, UPDATE, id=s["id"], endDate=None)
    assert cleared["schedule"]["endDate"] is None
    assert cleared["schedule"]["template"]["dueInDays"] == 7  # untouched
    paused = await act(owner, PAUSE, id=s["id"], idempotencyKey="pause-1")
    replay = await act(owner, PAUSE, id=s["id"], idempotencyKey="pause-1")
    assert (paused["schedule"]["status"], replay["replayed"]) == ("PAUSED", True)
    resumed = await act(owner, RESUME, id=s["id"])
    assert resumed["schedule"]["status"] == "ACTIVE"
    assert resumed["schedule"]["nextDate"] == start.isoformat()
    deleted = await act(owner, DELETE, id=s["id"])
    assert deleted == {
        "__typename": "DeleteRecurringSchedulePayload",
        "deletedId": s["id"],
        "replayed": False,
    }
    assert await read(owner, s["id"]) is None
    again = await act(owner, DELETE, id=s["id"])
    assert again["code"] == "NOT_FOUND"


async def test_idempotency_key_replays_create(owner: Actor) -> None:
    cid = await customer_id(owner)
    start = (today() + timedelta(days=1)).isoformat()
    args = {"customerId": cid, "frequency": "WEEKLY", "startDate": start, "idempotencyKey": "rk-1"}
    first = await create(owner, **args)
    second = await create(owner, **args)
    assert (first["replayed"], second["replayed"]) == (False, True)
    assert first["schedule"]["id"] == second["schedule"]["id"]
    other = await create(owner, **{**args, "frequency": "MONTHLY"})
    assert other["__typename"] == "ConflictError"
    listed = await owner.gql(LIST, {"c": cid})
    assert len(listed["data"]["recurringSchedules"]["edges"]) == 1


async def test_another_business_can_neither_see_nor_change_a_schedule(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    stranger = await sign_up(client, "IN")
    cid = await customer_id(owner)
    start = (today() + timedelta(days=1)).isoformat()
    s = await created(owner, customerId=cid, frequency="WEEKLY", startDate=start)
    assert await read(stranger, s["id"]) is None
    node = await stranger.gql("query($id: ID!) { node(id: $id) { id } }", {"id": s["id"]})
    assert node["data"]["node"] is None
    assert (await stranger.gql(LIST, {}))["data"]["recurringSchedules"]["edges"] == []
    for mutation, extra in ((UPDATE, {"interval": 2}), (PAUSE, {}), (DELETE, {})):
        refused = await act(stranger, mutation, id=s["id"], **extra)
        assert (refused["__typename"], refused["code"]) == ("NotFoundError", "NOT_FOUND")
    foreign = await create(stranger, customerId=cid, frequency="WEEKLY", startDate=start)
    assert foreign["__typename"] == "NotFoundError"
    assert (await read(owner, s["id"]))["status"] == "ACTIVE"  # type: ignore[index]


async def test_a_suggestion_becomes_a_prefilled_schedule(clocked: Clocked) -> None:
    client, clock = clocked
    move_to(clock, datetime(2027, 4, 1, 6, tzinfo=UTC))
    owner = await sign_up(client, "IN")
    cid = await customer_id(owner)
    make = """mutation($c: ID!, $d: Date!) { createInvoice(input: {customerId: $c, issueDate: $d,
      lines: [{description: "Web hosting", quantity: "1", unitPrice: "1500", unit: "month"},
              {description: "Backups", quantity: "2", unitPrice: "100"}]}) { __typename } }"""
    for day in ("2026-12-20", "2027-01-20", "2027-02-19", "2027-03-20"):
        assert (await owner.gql(make, {"c": cid, "d": day}))["data"]["createInvoice"][
            "__typename"
        ] == "InvoicePayload"
    found = await owner.gql(
        "query($c: ID!) { suggestInvoices(customerId: $c) { key cadence nextDate } }", {"c": cid}
    )
    (suggestion,) = found["data"]["suggestInvoices"]
    assert suggestion["cadence"] == "monthly" and suggestion["nextDate"].startswith("2027-04")
    body = await owner.gql(
        FROM_SUGGESTION,
        {"input": {"customerId": cid, "suggestionKey": suggestion["key"], "count": 12}},
    )
    made = body["data"]["createRecurringScheduleFromSuggestion"]
    assert made["__typename"] == "RecurringSchedulePayload", made
    s = made["schedule"]
    next_date = date.fromisoformat(suggestion["nextDate"])
    assert (s["frequency"], s["interval"], s["dayOfMonth"], s["count"]) == (
        "MONTHLY",
        1,
        next_date.day,
        12,
    )
    assert s["startDate"] == s["nextDate"] == suggestion["nextDate"]
    assert sorted((line["description"], line["unitPrice"]) for line in s["template"]["lines"]) == [
        ("Backups", "100"),
        ("Web hosting", "1500"),
    ]
    unknown = await owner.gql(
        FROM_SUGGESTION, {"input": {"customerId": cid, "suggestionKey": "weekly:7"}}
    )
    assert unknown["data"]["createRecurringScheduleFromSuggestion"]["code"] == "NOT_FOUND"
