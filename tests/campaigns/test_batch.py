"""A lane's batch costs a fixed number of SQL statements whatever its size (both
backends), and a batch mixing opted-out, unconsenting, capped, quiet-hours and sendable
recipients ends each one as the per-message rules would."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import select

from domain.campaigns import sending
from domain.campaigns.repository import CampaignRepository
from domain.campaigns.sending import Sender
from domain.notifications.models import NotificationLog
from domain.notifications.ratelimit import LocalBuckets
from schema.relay import expect_id
from tests.campaigns.helpers import created, customers, kenyan, recipient_rows, send, sent_to
from tests.campaigns.test_resume import frozen_without_a_sender
from tests.conftest import count_statements, run_jobs, sign_up
from tests.notifications.conftest import SENDER, Desk
from tests.notifications.helpers import UPDATE_PREFERENCES
from workers.tasks import campaign_sender


def unpaced(desk: Desk) -> Sender:
    """A fresh sender (nothing cached) whose limiter never makes a message wait, so a
    batch's messages form one group however many there are."""
    s = campaign_sender(desk.rt)
    fast = LocalBuckets({"sms": 100_000.0})
    return dataclasses.replace(s, pipeline=dataclasses.replace(s.pipeline, limiter=fast))


async def claim(desk: Desk, campaign_id: int, business_id: int, token: str, n: int) -> list[int]:
    viewer = sending.business_viewer(business_id)
    async with desk.rt.db.unit_of_work() as session:
        now = desk.clock.now()
        found = await CampaignRepository(session, viewer).claim(campaign_id, token, now, now, n)
    return [r.id for r in found]


async def test_a_batch_costs_the_same_statements_for_4_or_16_recipients(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    phones = kenyan(20, prefix="+2547200")
    await customers(owner, phones)
    cid = await created(owner)
    row_id, business_id = await frozen_without_a_sender(desk.rt, desk.clock, cid)
    viewer = sending.business_viewer(business_id)
    counted = []
    for token, n in (("small", 4), ("big", 16)):
        ids = await claim(desk, row_id, business_id, token, n)
        assert len(ids) == n
        sender = unpaced(desk)
        with count_statements(desk.rt) as seen:
            await sender.send_batch(viewer, token, ids)
        counted.append(len(seen))
    assert counted[0] == counted[1], counted  # per batch, not per recipient
    assert counted[0] < 40, counted
    assert sent_to(desk, phones) == dict.fromkeys(phones, 1)
    assert {r.state for r in await recipient_rows(desk.rt, cid)} == {"done"}


async def test_a_mixed_batch_skips_holds_and_sends_each_as_the_rules_say(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    phones = kenyan(7, prefix="+2547210")
    ids = await customers(owner, phones)
    # p0 and p1 had a campaign message this morning (p0 is capped now); p1 then sent STOP
    earlier = await created(
        owner, name="Early", audience={"kind": "CUSTOMERS", "customerIds": ids[:2]}
    )
    await send(owner, earlier)
    await run_jobs(desk.rt)
    assert (
        await desk.twilio.inbound(desk.client, "http://k.test", phones[1], "STOP", SENDER)
    ).is_success
    changes = [
        {"customerId": ids[2], "smsMarketing": False},  # no consent for offers
        {"customerId": ids[3], "quietHours": {"start": "08:30", "end": "10:00"}},  # 09:00 now
    ]
    for change in changes:
        done = await owner.gql(UPDATE_PREFERENCES, {"input": change})
        assert done["data"]["updateNotificationPreferences"]["__typename"].endswith("Payload")
    cid = await created(owner, name="Later")
    row_id, business_id = await frozen_without_a_sender(desk.rt, desk.clock, cid)
    claimed = await claim(desk, row_id, business_id, "lane", 10)
    assert len(claimed) == 7

    await unpaced(desk).send_batch(sending.business_viewer(business_id), "lane", claimed)

    assert sent_to(desk, phones) == {
        phones[0]: 1,  # this morning's, not today's second
        phones[1]: 1,
        phones[2]: 0,
        phones[3]: 0,
        phones[4]: 1,
        phones[5]: 1,
        phones[6]: 1,
    }
    async with desk.rt.db.read() as session:
        rows = await session.scalars(
            select(NotificationLog).where(NotificationLog.campaign_id == row_id)
        )
        ledger = {r.recipient: (r.status, r.error_code) for r in rows.all()}
    assert ledger == {
        phones[0]: ("failed", "FREQUENCY_CAP"),
        phones[1]: ("opted_out", "OPTED_OUT"),
        phones[2]: ("opted_out", "NO_CONSENT"),
        phones[3]: ("pending", "QUIET_HOURS"),
        phones[4]: ("accepted", None),
        phones[5]: ("accepted", None),
        phones[6]: ("accepted", None),
    }
    recipients = {r.phone: r for r in await recipient_rows(desk.rt, cid)}
    assert {p: recipients[p].state for p in phones} == dict.fromkeys(phones, "done") | {
        phones[3]: "waiting"
    }
    assert recipients[phones[3]].due_at == desk.clock.now() + timedelta(hours=1)

    # when the quiet hours end, the scan releases the held one and a lane sends it
    desk.clock.advance(hours=1, minutes=1)
    assert await sending.scan(desk.rt.db, desk.clock, desk.rt.jobs) == 1
    await run_jobs(desk.rt)
    assert sent_to(desk, phones)[phones[3]] == 1
    async with desk.rt.db.read() as session:
        status = await session.scalar(
            select(NotificationLog.status).where(
                NotificationLog.campaign_id == expect_id(cid, "Campaign"),
                NotificationLog.recipient == phones[3],
            )
        )
    assert status == "accepted"
