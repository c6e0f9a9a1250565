"""The rules before each send, through the real SDKs and the fakes with a moved clock:
quiet hours hold a message on the ledger until they end (then the sweep sends it), a
customer who replied STOP or refused SMS is not messaged, and the monthly SMS quota ends
a message with its reason, unsent."""

from __future__ import annotations

from datetime import timedelta

from domain.core.clock import as_utc
from domain.notifications.deferrals import release_due
from tests.conftest import run_jobs, sign_up
from tests.notifications.conftest import SENDER, Desk
from tests.notifications.helpers import UPDATE_PREFERENCES
from tests.notifications.ledger_helpers import history, ledger
from tests.notifications.pipeline_helpers import LIMITS, USAGE, customer, invoice, send


def sent_to(desk: Desk, phone: str) -> list[str]:
    return [m["body"] for m in desk.twilio.messages if m["to"] == phone]


async def test_quiet_hours_hold_a_message_until_they_end(desk: Desk) -> None:
    desk.clock.advance(hours=13)  # 19:00 UTC: 22:00 in Nairobi
    owner = await sign_up(desk.client, "KE")
    cid = await customer(owner, phone="+254712345681")
    request = await send(owner, (await invoice(owner, cid))["id"], "SMS")
    await run_jobs(desk.rt)
    [row] = await ledger(desk.rt, request)
    assert (row.status, row.error_code, row.attempts) == ("pending", "QUIET_HOURS", 0)
    morning = desk.clock.now().replace(hour=5, minute=0)  # 08:00 in Nairobi, next day
    assert row.due_at is not None and as_utc(row.due_at) == morning + timedelta(days=1)
    assert sent_to(desk, "+254712345681") == []
    desk.clock.advance(hours=9, minutes=59)  # 07:59 in Nairobi: still quiet
    assert await release_due(desk.rt.db, desk.clock, desk.rt.jobs) == 0
    desk.clock.advance(minutes=1)
    assert await release_due(desk.rt.db, desk.clock, desk.rt.jobs) == 1
    await run_jobs(desk.rt)
    assert len(sent_to(desk, "+254712345681")) == 1
    [row] = await ledger(desk.rt, request)
    assert (row.status, row.error_code, row.due_at) == ("accepted", None, None)
    assert await release_due(desk.rt.db, desk.clock, desk.rt.jobs) == 0


async def test_a_customer_who_replied_stop_gets_no_sms(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    cid = await customer(owner, phone="+254712345682")
    inv = await invoice(owner, cid)
    await send(owner, inv["id"], "SMS")
    await run_jobs(desk.rt)
    assert len(sent_to(desk, "+254712345682")) == 1
    stop = await desk.twilio.inbound(desk.client, "http://k.test", "+254712345682", "STOP", SENDER)
    assert stop.status_code == 200, stop.text
    request = await send(owner, inv["id"], "SMS")
    await run_jobs(desk.rt)
    [row] = await ledger(desk.rt, request)
    assert (row.status, row.attempts) == ("opted_out", 0)
    assert await history(desk.rt, row.id) == ["pending", "opted_out"]
    assert len(sent_to(desk, "+254712345682")) == 1


async def test_a_customer_without_sms_consent_gets_the_email_only(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    cid = await customer(owner, phone="+254712345683", email="no-sms@example.com")
    refused = {"customerId": cid, "smsTransactional": False}
    await owner.gql(UPDATE_PREFERENCES, {"input": refused})
    request = await send(owner, (await invoice(owner, cid))["id"], "SMS", "EMAIL")
    await run_jobs(desk.rt)
    rows = {r.channel: r for r in await ledger(desk.rt, request)}
    assert (rows["sms"].status, rows["sms"].error_code) == ("opted_out", "NO_CONSENT")
    assert rows["email"].status == "accepted"
    assert sent_to(desk, "+254712345683") == []
    assert [m["to"] for m in desk.sendgrid.mails].count("no-sms@example.com") == 1


async def test_the_sms_quota_stops_a_send_with_its_reason(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    limits = await owner.gql(LIMITS, {"input": {"smsMonthlyQuota": 1}})
    assert limits["data"]["updateSmsLimits"]["__typename"] == "SmsLimitsPayload", limits
    cid = await customer(owner, phone="+254712345684")
    inv = await invoice(owner, cid)
    await send(owner, inv["id"], "SMS")
    await run_jobs(desk.rt)
    usage = (await owner.gql(USAGE))["data"]["smsUsage"]
    assert (usage["messages"], usage["segments"], usage["level"]) == (1, 1, "EXCEEDED")
    request = await send(owner, inv["id"], "SMS")
    await run_jobs(desk.rt)
    [row] = await ledger(desk.rt, request)
    assert (row.status, row.error_code, row.attempts) == ("failed", "SMS_QUOTA_EXCEEDED", 0)
    assert "quota of 1 segments is used up" in (row.error or "")
    assert len(sent_to(desk, "+254712345684")) == 1
    assert (await owner.gql(USAGE))["data"]["smsUsage"]["segments"] == 1
