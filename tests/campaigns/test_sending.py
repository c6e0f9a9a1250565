"""A campaign sent through the real Twilio SDK to the fake Twilio: one message per
recipient counted at the fake, opted-out and capped customers skipped and counted, stats
that follow the signed status callbacks, and per-recipient status in the history."""

from __future__ import annotations

import httpx

from domain.campaigns.sending import BATCH, LANES
from tests.campaigns.helpers import (
    CAMPAIGNS,
    RECIPIENTS,
    campaign,
    created,
    customers,
    kenyan,
    send,
    sent_to,
    stats,
)
from tests.conftest import run_jobs, sign_up
from tests.notifications.conftest import SENDER, Desk
from tests.notifications.helpers import UPDATE_PREFERENCES


async def test_a_campaign_reaches_each_recipient_once_with_stats(
    desk: Desk, callbacks: httpx.AsyncClient
) -> None:
    owner = await sign_up(desk.client, "KE")
    phones = kenyan(12, prefix="+2547130")
    ids = await customers(owner, phones)
    cid = await created(owner, body="Hi {{name}}! 20% off till {{date}}.")
    sent = await send(owner, cid, idempotencyKey="go-1")
    assert sent["campaign"]["status"] == "SENDING", sent
    replay = await send(owner, cid, idempotencyKey="go-1")
    assert replay["replayed"] is True
    await run_jobs(desk.rt)

    assert sent_to(desk, phones) == dict.fromkeys(phones, 1)
    body = next(m["body"] for m in desk.twilio.messages if m["to"] == phones[0])
    assert body.startswith("Hi Customer 000! 20% off till ")
    done = await campaign(owner, cid)
    assert (done["status"], done["recipientCount"]) == ("SENT", 12)
    assert await stats(owner, cid) == {
        "recipients": 12,
        "queued": 0,
        "sent": 12,
        "delivered": 0,
        "failed": 0,
        "skipped": 0,
        "optedOut": 0,
        "cancelled": 0,
    }
    # delivery receipts move the stats (a replay changes nothing)
    sids = [m["sid"] for m in desk.twilio.messages if m["to"] in phones]
    for sid in sids[:9]:
        assert (await desk.twilio.status_callback(callbacks, sid, "delivered")).is_success
    assert (await desk.twilio.status_callback(callbacks, sids[0], "delivered")).is_success
    failed = await desk.twilio.status_callback(
        callbacks, sids[9], "undelivered", error_code="30005"
    )
    assert failed.is_success
    got = await stats(owner, cid)
    assert (got["sent"], got["delivered"], got["failed"]) == (12, 9, 1)

    page = (await owner.gql(RECIPIENTS, {"id": cid, "first": 10}))["data"]["campaignRecipients"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await owner.gql(
        RECIPIENTS, {"id": cid, "first": 10, "after": page["pageInfo"]["endCursor"]}
    )
    nodes = [e["node"] for e in page["edges"]] + [
        e["node"] for e in rest["data"]["campaignRecipients"]["edges"]
    ]
    assert sorted(n["customerId"] for n in nodes) == sorted(ids)
    assert [n["status"] for n in nodes].count("delivered") == 9
    assert {n["state"] for n in nodes} == {"done"}
    listed = (await owner.gql(CAMPAIGNS))["data"]["campaigns"]["edges"]
    assert [e["node"]["id"] for e in listed] == [cid]


async def test_opted_out_and_capped_customers_are_skipped_and_counted(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    phones = kenyan(4, prefix="+2547140")
    ids = await customers(owner, phones)
    no_offers = {"customerId": ids[3], "smsMarketing": False}
    assert (await owner.gql(UPDATE_PREFERENCES, {"input": no_offers}))["data"]
    first = await created(owner, name="Morning")
    await send(owner, first)
    await run_jobs(desk.rt)
    assert sent_to(desk, phones) == {phones[0]: 1, phones[1]: 1, phones[2]: 1, phones[3]: 0}
    stop = await desk.twilio.inbound(desk.client, "http://k.test", phones[0], "STOP", SENDER)
    assert stop.status_code == 200, stop.text
    got = await stats(owner, first)
    assert (got["sent"], got["optedOut"]) == (3, 1)

    # the same day: everyone who had today's campaign message is capped
    second = await created(owner, name="Evening")
    await send(owner, second)
    await run_jobs(desk.rt)
    assert sent_to(desk, phones) == {phones[0]: 1, phones[1]: 1, phones[2]: 1, phones[3]: 0}
    got = await stats(owner, second)
    assert (got["recipients"], got["sent"], got["skipped"], got["optedOut"]) == (4, 0, 2, 2)
    assert (await campaign(owner, second))["status"] == "SENT"

    desk.clock.advance(days=1)
    await owner.sign_in_again()
    third = await created(owner, name="Tomorrow")
    await send(owner, third)
    await run_jobs(desk.rt)
    assert sent_to(desk, phones) == {phones[0]: 1, phones[1]: 2, phones[2]: 2, phones[3]: 0}
    got = await stats(owner, third)
    assert (got["sent"], got["skipped"], got["optedOut"]) == (2, 0, 2)


async def test_the_sms_quota_stops_a_campaign_cleanly(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    from tests.notifications.pipeline_helpers import LIMITS

    await owner.gql(LIMITS, {"input": {"smsMonthlyQuota": 2}})
    phones = kenyan(25, prefix="+2547150")
    await customers(owner, phones)
    cid = await created(owner)
    await send(owner, cid)
    await run_jobs(desk.rt)
    # the quota is checked before each send and counted at the provider's accept: the
    # sends already in flight when it ran out (at most one batch per lane) still go
    sent = sum(sent_to(desk, phones).values())
    assert 2 <= sent <= 2 + LANES * BATCH
    done = await campaign(owner, cid)
    assert (done["status"], done["stopReason"]) == ("SENT", "SMS_QUOTA_EXCEEDED")
    got = await stats(owner, cid)
    assert (got["sent"], got["skipped"], got["queued"]) == (sent, 25 - sent, 0)
