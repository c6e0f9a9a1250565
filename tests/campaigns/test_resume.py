"""A campaign resumes after a crash with nobody messaged twice (both backends): a lane
died holding claims, one of its messages taken by Twilio before our commit (the look-up
finds it: adopted, not resent), one whose attempt began but never reached Twilio (a
marketing message the provider cannot account for is never resent: failed UNCERTAIN),
one claimed only. After the claims go stale, the scan hands the rest to new lanes."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import func, select

from domain.campaigns import sending
from domain.campaigns.models import Campaign
from domain.campaigns.repository import CampaignRepository
from domain.core.clock import Clock
from domain.core.outbox import OutboxEvent
from domain.core.tx import Tx
from domain.notifications import service as ledger
from domain.notifications.models import NotificationLog
from domain.notifications.port import TemporaryFailure
from khata.runtime import Runtime
from schema.relay import expect_id
from tests.campaigns.helpers import campaign, created, customers, kenyan, sent_to, stats
from tests.conftest import run_jobs, sign_up
from tests.notifications.conftest import Desk
from tests.notifications.ledger_helpers import attempts
from workers.tasks import campaign_sender


async def frozen_without_a_sender(rt: Runtime, clock: Clock, campaign_id: str) -> tuple[int, int]:
    """The campaign as its start job left it when its worker died: sending, list frozen,
    no lane running (nothing is enqueued)."""
    row_id = expect_id(campaign_id, "Campaign")
    async with rt.db.unit_of_work() as session:
        c = await session.get(Campaign, row_id)
        assert c is not None
        c.status, c.started_at = "sending", clock.now()
        await sending.freeze(Tx(session, sending.business_viewer(c.business_id), clock), c)
        assert c.frozen_at is not None
        return row_id, c.business_id


async def test_a_crashed_lane_is_resumed_without_duplicates(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    phones = kenyan(6, prefix="+2547160")
    await customers(owner, phones)
    cid = await created(owner)
    row_id, business_id = await frozen_without_a_sender(desk.rt, desk.clock, cid)
    viewer = sending.business_viewer(business_id)
    dead = campaign_sender(desk.rt)

    # the lane that dies: claims three, gets one to Twilio, one to an attempt, one no further
    async with desk.rt.db.unit_of_work() as session:
        claimed = await CampaignRepository(session, viewer).claim(
            row_id, "dead-lane", desk.clock.now(), desk.clock.now(), 3
        )
    first, second, third = (r.id for r in claimed)
    for rid in (first, second):
        notification_id = await dead.ledger_row(viewer, "dead-lane", rid)
        assert notification_id is not None
        async with desk.rt.db.unit_of_work() as session:
            message = await ledger.start_attempt(dead.pipeline.tx(session), notification_id)
        assert message is not None
        if rid == first:  # Twilio takes it; the worker dies before recording the answer
            with contextlib.suppress(TemporaryFailure):  # a slow answer: taken all the same
                await desk.rt.providers.sms.send_sms(message)
    assert sum(sent_to(desk, phones).values()) == 1

    # nothing moves while the claims are fresh; once stale, the scan resumes the campaign
    assert await sending.scan(desk.rt.db, desk.clock, desk.rt.jobs) == 0
    desk.clock.advance(seconds=sending.LEASE_SECONDS + 1)
    assert await sending.scan(desk.rt.db, desk.clock, desk.rt.jobs) == 1
    await run_jobs(desk.rt)

    counts = sent_to(desk, phones)
    assert counts == dict.fromkeys(phones, 1) | {phones[1]: 0}
    assert (await campaign(owner, cid))["status"] == "SENT"
    got = await stats(owner, cid)
    assert (got["recipients"], got["sent"], got["failed"], got["queued"]) == (6, 5, 1, 0)
    async with desk.rt.db.read() as session:
        rows = await session.scalars(
            select(NotificationLog).where(NotificationLog.campaign_id == row_id)
        )
        by_key = {r.idempotency_key: r for r in rows.all()}
    assert len(by_key) == 6
    assert by_key[sending.ledger_key(row_id, second)].error_code == "UNCERTAIN"
    adopted = by_key[sending.ledger_key(row_id, first)]
    assert [a.outcome for a in await attempts(desk.rt, adopted.id)] == ["found"]
    assert by_key[sending.ledger_key(row_id, third)].attempts == 1

    # a late rerun of anything finds nothing to do
    desk.clock.advance(seconds=sending.LEASE_SECONDS + 1)
    assert await sending.scan(desk.rt.db, desk.clock, desk.rt.jobs) == 0
    assert await dead.lane(row_id) == "idle"
    assert sent_to(desk, phones) == counts


async def test_lanes_racing_over_one_list_send_each_message_once(desk: Desk) -> None:
    """Four lanes at once (as two workers run them): each message once, one finisher."""
    owner = await sign_up(desk.client, "KE")
    phones = kenyan(30, prefix="+2547170")
    await customers(owner, phones)
    cid = await created(owner)
    row_id, _ = await frozen_without_a_sender(desk.rt, desk.clock, cid)
    senders = [campaign_sender(desk.rt) for _ in range(4)]

    results = await asyncio.gather(*(s.lane(row_id) for s in senders))
    assert results.count("sent") == 1 and set(results) <= {"sent", "idle", "open"}
    assert sent_to(desk, phones) == dict.fromkeys(phones, 1)
    async with desk.rt.db.read() as session:
        finished = await session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(
                OutboxEvent.topic == "campaign.status_changed",
                OutboxEvent.business_id == expect_id(owner.business_id, "Business"),
            )
        )
    assert finished == 1
