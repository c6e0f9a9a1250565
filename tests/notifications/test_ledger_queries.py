"""Staff reads of the delivery ledger: a customer's history (keyset pages, status history
with error codes), an invoice's delivery tracking, the period report with its rates, and
tenancy (another business sees none of it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from khata.runtime import Runtime
from schema.relay import to_global_id
from tests.conftest import Actor
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.fakes.twilio_server import INVALID_NUMBER, FakeTwilio
from tests.notifications.ledger_helpers import queue_message, run_send
from tests.notifications.test_ledger import PHONE, _business

MESSAGE = """id channel kind provider providerMessageId status errorCode segments customerId
  invoiceId sentAt deliveredAt openedAt clickedAt history { status at errorCode source }"""
HISTORY = f"""query($id: ID!, $first: Int, $after: String) {{
  customerNotifications(customerId: $id, first: $first, after: $after) {{
    edges {{ cursor node {{ {MESSAGE} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
DELIVERIES = f"""query($id: ID!) {{ invoiceDeliveries(invoiceId: $id) {{
  channel status sentAt deliveredAt openedAt clickedAt errorCode message {{ {MESSAGE} }} }} }}"""
REPORT = """query($from: DateTime!, $to: DateTime!) { notificationReport(from: $from, to: $to) {
  total { messages sent delivered failed bounced optedOut opened clicked deliveryRate
    failureRate openRate clickRate optOutRate }
  channels { channel messages sent delivered failed opened clicked } } }"""

CUSTOMER, INVOICE = 41, 42


async def _sent(rt: Runtime, owner: Actor, **payload: Any) -> None:
    oid = await queue_message(rt, _business(owner), customerId=CUSTOMER, **payload)
    assert await run_send(rt, oid) == "sent"


async def test_history_tracking_and_report(
    real_providers: Runtime,
    owner: Actor,
    other_owner: Actor,
    fake_twilio: tuple[FakeTwilio, str],
    fake_sendgrid: tuple[FakeSendGrid, str],
    hooks: httpx.AsyncClient,
) -> None:
    twilio, _ = fake_twilio
    sendgrid, _ = fake_sendgrid
    rt = real_providers
    await _sent(rt, owner, channel="sms", to=PHONE, body="Invoice 1", invoiceId=INVOICE)
    await _sent(
        rt, owner, channel="email", to="c@example.com", subject="S", body="B", invoiceId=INVOICE
    )
    await _sent(rt, owner, channel="sms", to=INVALID_NUMBER, body="Bad number")
    sid = twilio.messages[0]["sid"]
    assert (await twilio.status_callback(hooks, sid, "delivered")).is_success
    (mail,) = sendgrid.mails
    events = [sendgrid.event(mail, k) for k in ("delivered", "open", "click")]
    assert (await sendgrid.post_events(hooks, events)).is_success

    cid = to_global_id("Customer", CUSTOMER)
    first = (await owner.gql(HISTORY, {"id": cid, "first": 2}))["data"]["customerNotifications"]
    assert first["pageInfo"]["hasNextPage"] is True
    newest, email = (e["node"] for e in first["edges"])
    assert (newest["channel"], newest["status"], newest["errorCode"]) == ("sms", "failed", "21211")
    assert [h["status"] for h in newest["history"]] == ["pending", "sending", "failed"]
    assert newest["history"][-1]["errorCode"] == "21211"
    assert (email["channel"], email["status"], email["provider"]) == (
        "email",
        "clicked",
        "sendgrid",
    )
    after = first["pageInfo"]["endCursor"]
    rest = (await owner.gql(HISTORY, {"id": cid, "first": 2, "after": after}))["data"]
    (sms,) = (e["node"] for e in rest["customerNotifications"]["edges"])
    assert rest["customerNotifications"]["pageInfo"]["hasNextPage"] is False
    assert (sms["status"], sms["providerMessageId"], sms["segments"]) == ("delivered", sid, 1)
    assert sms["invoiceId"] == to_global_id("Invoice", INVOICE) and sms["customerId"] == cid
    assert [h["source"] for h in sms["history"]] == ["job", "job", "api", "webhook"]

    deliveries = (await owner.gql(DELIVERIES, {"id": to_global_id("Invoice", INVOICE)}))["data"]
    by_channel = {d["channel"]: d for d in deliveries["invoiceDeliveries"]}
    assert set(by_channel) == {"sms", "email"}
    assert by_channel["sms"]["status"] == "delivered" and by_channel["sms"]["deliveredAt"]
    assert by_channel["sms"]["openedAt"] is None
    tracked = by_channel["email"]
    assert tracked["sentAt"] and tracked["deliveredAt"] and tracked["openedAt"]
    assert tracked["clickedAt"] and tracked["message"]["id"] == email["id"]

    now = rt.clock.now()
    period = {
        "from": (now - timedelta(days=1)).isoformat(),
        "to": (now + timedelta(days=1)).isoformat(),
    }
    report = (await owner.gql(REPORT, period))["data"]["notificationReport"]
    assert report["total"] == {
        "messages": 3,
        "sent": 2,
        "delivered": 2,
        "failed": 1,
        "bounced": 0,
        "optedOut": 0,
        "opened": 1,
        "clicked": 1,
        "deliveryRate": 1.0,
        "failureRate": 0.3333,
        "openRate": 0.5,
        "clickRate": 0.5,
        "optOutRate": 0.0,
    }
    assert [(c["channel"], c["messages"], c["failed"]) for c in report["channels"]] == [
        ("email", 1, 0),
        ("sms", 2, 1),
    ]
    before = {
        "from": (now - timedelta(days=3)).isoformat(),
        "to": (now - timedelta(days=1)).isoformat(),
    }
    empty = (await owner.gql(REPORT, before))["data"]["notificationReport"]["total"]
    assert empty["messages"] == 0 and empty["deliveryRate"] is None

    # another business: nothing of it
    theirs = (await other_owner.gql(HISTORY, {"id": cid}))["data"]["customerNotifications"]
    assert theirs["edges"] == []
    other = await other_owner.gql(DELIVERIES, {"id": to_global_id("Invoice", INVOICE)})
    assert other["data"]["invoiceDeliveries"] == []
    assert (await other_owner.gql(REPORT, period))["data"]["notificationReport"]["total"][
        "messages"
    ] == 0


async def test_a_bad_period_and_a_foreign_cursor_are_typed_errors(owner: Actor) -> None:
    period = {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    body = await owner.gql(REPORT, period, expect_errors=True)
    (field,) = body["errors"][0]["extensions"]["fields"]
    assert (field["field"], field["code"]) == ("to", "INVALID")
    cid = to_global_id("Customer", 1)
    body = await owner.gql(HISTORY, {"id": cid, "after": "bm90LWEtY3Vyc29y"}, expect_errors=True)
    (field,) = body["errors"][0]["extensions"]["fields"]
    assert (field["field"], field["code"]) == ("after", "BAD_CURSOR")
