"""Payment reminders end to end, with the desk's clock moved by the test: the daily job
sends before, on and after the due date through the pipeline (ledger rows at the fake
Twilio), once per occurrence however often and however concurrently it runs, at most K,
never after payment or void; remindNow, its refusals and its idempotent replay; the
policy's defaults, update and validation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from domain.notifications.deferrals import release_due
from domain.notifications.reminders import send_due_reminders
from khata.composition import build_runtime
from tests.conftest import gql, run_jobs, sign_up
from tests.notifications.conftest import PUBLIC_URL, Desk
from tests.notifications.helpers import UPDATE_PREFERENCES, customer
from tests.notifications.pipeline_helpers import rows_of
from tests.notifications.reminder_helpers import (
    PAY,
    POLICY,
    REMIND,
    VOID,
    issue,
    read,
    recorded,
    shop,
    shop_ahead,
    today,
)

POLICY_READ = """{ reminderPolicy { enabled daysBefore onDueDate everyDaysAfter maxReminders
  channels } }"""


async def _run(desk: Desk) -> int:
    return (await send_due_reminders(desk.rt.db, desk.clock, PUBLIC_URL)).reminded


async def _day(desk: Desk, days: int) -> None:
    desk.clock.advance(days=days)


async def test_before_on_and_after_the_due_date_once_each(desk: Desk) -> None:
    owner, cid = await shop_ahead(desk)
    due = today(desk) + timedelta(days=3)
    inv = await issue(owner, cid, due)
    view = await read(owner, inv)
    assert view["reminders"]["sentCount"] == 0
    assert view["reminders"]["nextReminderOn"] == today(desk).isoformat()
    await _run(desk)
    await _run(desk)  # the same day again: nothing more
    assert await recorded(desk.rt, inv) == (1, 1)
    await run_jobs(desk.rt)
    sms = await rows_of(desk.rt, cid, "invoice.reminder")
    assert [(r.channel, r.status) for r in sms] == [("sms", "accepted")]
    assert "is due" in sms[0].body and "100.00" in sms[0].body
    view = await read(owner, inv)
    assert view["reminders"]["sentCount"] == 1 and view["reminders"]["lastRemindedAt"]
    assert view["reminders"]["nextReminderOn"] == due.isoformat()
    await _day(desk, 1)  # between occurrences: nothing
    await _run(desk)
    assert await recorded(desk.rt, inv) == (1, 1)
    await _day(desk, 2)  # the due date
    await owner.sign_in_again()
    await _run(desk)
    await _day(desk, 7)  # a week after
    await _run(desk)
    await _run(desk)
    assert await recorded(desk.rt, inv) == (3, 3)
    await owner.sign_in_again()
    history = (await read(owner, inv))["reminders"]["history"]
    assert [(h["occurrence"], h["scheduledOn"]) for h in history] == [
        (1, (due - timedelta(days=3)).isoformat()),
        (2, due.isoformat()),
        (3, (due + timedelta(days=7)).isoformat()),
    ]
    await run_jobs(desk.rt)
    assert len(await rows_of(desk.rt, cid, "invoice.reminder")) == 3


async def test_at_most_k_then_nothing(desk: Desk) -> None:
    owner, cid = await shop_ahead(desk)
    changed = await owner.gql(
        POLICY, {"input": {"daysBefore": 0, "everyDaysAfter": 1, "maxReminders": 2}}
    )
    assert changed["data"]["updateReminderPolicy"]["policy"]["maxReminders"] == 2
    inv = await issue(owner, cid, today(desk))
    for _ in range(5):
        await _run(desk)
        await _day(desk, 1)
    assert await recorded(desk.rt, inv) == (2, 2)
    await owner.sign_in_again()
    assert (await read(owner, inv))["reminders"]["nextReminderOn"] is None
    await run_jobs(desk.rt)


async def test_stops_once_paid_or_void(desk: Desk) -> None:
    owner, cid = await shop_ahead(desk)
    due = today(desk)
    paid, void, partly = [await issue(owner, cid, due) for _ in range(3)]
    await _run(desk)  # on the due date: each gets one
    for inv in (paid, void, partly):
        assert await recorded(desk.rt, inv) == (1, 1)
    pay = {"amount": "100", "method": "UPI", "idempotencyKey": f"p-{paid}"}
    body = await owner.gql(PAY, {"input": {"invoiceId": paid, **pay}})
    assert body["data"]["recordPayment"]["invoice"]["status"] == "PAID"
    part = {"amount": "40", "method": "UPI", "idempotencyKey": f"p-{partly}"}
    await owner.gql(PAY, {"input": {"invoiceId": partly, **part}})
    assert (await owner.gql(VOID, {"id": void}))["data"]["voidInvoice"]["__typename"] == (
        "InvoicePayload"
    )
    await _day(desk, 7)
    await _run(desk)
    assert await recorded(desk.rt, paid) == (1, 1)
    assert await recorded(desk.rt, void) == (1, 1)
    assert await recorded(desk.rt, partly) == (2, 2)  # still owes 60
    await owner.sign_in_again()
    assert (await read(owner, paid))["reminders"]["nextReminderOn"] is None
    await run_jobs(desk.rt)


async def test_a_reminder_held_by_quiet_hours_is_not_sent_once_paid(desk: Desk) -> None:
    owner, cid = await shop_ahead(desk)
    # 06:00 UTC is 09:00 in Nairobi: inside these quiet hours, so the reminder waits
    quiet = {"customerId": cid, "quietHours": {"start": "08:00", "end": "10:00"}}
    await owner.gql(UPDATE_PREFERENCES, {"input": quiet})
    inv = await issue(owner, cid, today(desk))
    await _run(desk)
    await run_jobs(desk.rt)
    held = await rows_of(desk.rt, cid, "invoice.reminder")
    assert [(r.status, r.due_at is not None) for r in held] == [("pending", True)]
    before = len(desk.twilio.messages)
    pay = {"amount": "100", "method": "UPI", "idempotencyKey": f"w-{inv}"}
    await owner.gql(PAY, {"input": {"invoiceId": inv, **pay}})
    desk.clock.advance(hours=1, minutes=1)  # the quiet hours are over
    await release_due(desk.rt.db, desk.clock, desk.rt.jobs)
    await run_jobs(desk.rt)
    rows = await rows_of(desk.rt, cid, "invoice.reminder")
    assert [(r.status, r.error_code) for r in rows] == [("failed", "INVOICE_SETTLED")]
    assert not [m for m in desk.twilio.messages[before:] if "is due" in m["body"]]


async def test_two_workers_at_once_record_each_reminder_once(desk: Desk) -> None:
    owner, cid = await shop_ahead(desk)
    invoices = [await issue(owner, cid, today(desk)) for _ in range(4)]
    other = build_runtime(desk.rt.settings, clock=desk.clock)  # a second pool: a second worker
    try:
        done = await asyncio.gather(
            send_due_reminders(desk.rt.db, desk.clock, PUBLIC_URL),
            send_due_reminders(other.db, desk.clock, PUBLIC_URL),
            send_due_reminders(desk.rt.db, desk.clock, PUBLIC_URL),
        )
    finally:
        await other.db.dispose()
    assert sum(d.reminded for d in done) >= 4
    for inv in invoices:
        assert await recorded(desk.rt, inv) == (1, 1)
    await run_jobs(desk.rt)


async def test_remind_now_refusals_tenancy_and_replay(desk: Desk) -> None:
    owner, cid = await shop_ahead(desk)
    inv = await issue(owner, cid, today(desk) + timedelta(days=30))
    key = {"invoiceId": inv, "idempotencyKey": "remind-1"}
    first = (await owner.gql(REMIND, {"input": key}))["data"]["remindNow"]
    again = (await owner.gql(REMIND, {"input": key}))["data"]["remindNow"]
    assert first["__typename"] == "RemindNowPayload" and first["replayed"] is False
    assert again["replayed"] is True and again["reminder"]["id"] == first["reminder"]["id"]
    assert again["invoice"]["reminders"]["sentCount"] == 1
    assert await recorded(desk.rt, inv) == (1, 1)
    await run_jobs(desk.rt)
    assert [r.status for r in await rows_of(desk.rt, cid, "invoice.reminder")] == ["accepted"]
    stranger = await sign_up(desk.client, "KE")
    foreign = (await stranger.gql(REMIND, {"input": {"invoiceId": inv}}))["data"]["remindNow"]
    assert foreign["__typename"] == "NotFoundError"
    pay = {"amount": "100", "method": "UPI", "idempotencyKey": f"r-{inv}"}
    await owner.gql(PAY, {"input": {"invoiceId": inv, **pay}})
    paid = (await owner.gql(REMIND, {"input": {"invoiceId": inv}}))["data"]["remindNow"]
    assert (paid["__typename"], paid["code"]) == ("ConflictError", "INVOICE_PAID")
    void = await issue(owner, cid, today(desk))
    await owner.gql(VOID, {"id": void})
    refused = (await owner.gql(REMIND, {"input": {"invoiceId": void}}))["data"]["remindNow"]
    assert refused["__typename"] == "ValidationError"
    assert refused["fields"] == [{"field": "invoiceId", "code": "INVOICE_VOID"}]
    assert await recorded(desk.rt, void) == (0, 0)


async def test_policy_defaults_update_and_validation(desk: Desk) -> None:
    owner, _ = await shop(desk)
    policy = (await owner.gql(POLICY_READ))["data"]["reminderPolicy"]
    assert policy == {
        "enabled": True,
        "daysBefore": 3,
        "onDueDate": True,
        "everyDaysAfter": 7,
        "maxReminders": 5,
        "channels": ["EMAIL", "SMS"],
    }
    bad = await owner.gql(POLICY, {"input": {"maxReminders": 0, "everyDaysAfter": 1000}})
    err = bad["data"]["updateReminderPolicy"]
    assert err["__typename"] == "ValidationError"
    assert sorted(f["field"] for f in err["fields"]) == ["everyDaysAfter", "maxReminders"]
    ok = await owner.gql(POLICY, {"input": {"enabled": False, "channels": ["SMS"]}})
    assert ok["data"]["updateReminderPolicy"]["policy"]["channels"] == ["SMS"]
    policy = (await owner.gql(POLICY_READ))["data"]["reminderPolicy"]
    assert policy["enabled"] is False and policy["maxReminders"] == 5
    stranger = await sign_up(desk.client, "KE")
    assert (await stranger.gql(POLICY_READ))["data"]["reminderPolicy"]["enabled"] is True


async def test_a_customer_without_reminders_gets_none(desk: Desk) -> None:
    owner, _ = await shop_ahead(desk)
    quiet_one = await customer(owner, name="Ravi", phone="+254712345622", remindersEnabled=False)
    inv = await issue(owner, quiet_one, today(desk))
    await _run(desk)
    assert await recorded(desk.rt, inv) == (0, 0)


async def test_api_keys_need_the_notifications_scopes(desk: Desk) -> None:
    owner, cid = await shop(desk)
    inv = await issue(owner, cid, today(desk) + timedelta(days=30))
    made = await gql(
        desk.client,
        """mutation { createApiKey(input: {name: "n", scopes: [INVOICES_READ, INVOICES_WRITE]}) {
        ... on CreateApiKeyPayload { secret } } }""",
        headers=owner.headers,
    )
    headers = {"authorization": f"Bearer {made['data']['createApiKey']['secret']}"}
    body = await gql(desk.client, REMIND, {"input": {"invoiceId": inv}}, headers=headers)
    assert body["data"]["remindNow"]["__typename"] == "PermissionError"
    body = await gql(desk.client, POLICY, {"input": {"enabled": False}}, headers=headers)
    assert body["data"]["updateReminderPolicy"]["__typename"] == "PermissionError"
    assert await recorded(desk.rt, inv) == (0, 0)
