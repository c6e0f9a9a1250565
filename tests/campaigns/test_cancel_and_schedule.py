"""Cancel (a draft, a scheduled campaign, or one that is sending: the recipients not yet
reached are not messaged) and schedule (a future time; the scan starts it exactly once
even when two scans race, on the controlled clock)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from domain.campaigns import sending
from domain.campaigns.repository import CampaignRepository
from domain.core.outbox import OutboxEvent
from schema.relay import expect_id
from tests.campaigns.helpers import (
    CANCEL,
    SCHEDULE,
    campaign,
    created,
    customers,
    kenyan,
    send,
    sent_to,
    stats,
)
from tests.campaigns.test_resume import frozen_without_a_sender
from tests.conftest import Actor, run_jobs, sign_up
from tests.notifications.conftest import Desk
from workers.tasks import campaign_sender


async def cancel(actor: Actor, campaign_id: str) -> dict:  # type: ignore[type-arg]
    return (await actor.gql(CANCEL, {"input": {"id": campaign_id}}))["data"]["cancelCampaign"]  # type: ignore[no-any-return]


async def schedule(actor: Actor, campaign_id: str, at: str, **extra: str) -> dict:  # type: ignore[type-arg]
    body = await actor.gql(SCHEDULE, {"input": {"id": campaign_id, "at": at, **extra}})
    return body["data"]["scheduleCampaign"]  # type: ignore[no-any-return]


async def test_cancel_a_draft_and_nothing_is_sent(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    phones = kenyan(2, prefix="+2547180")
    await customers(owner, phones)
    cid = await created(owner)
    assert (await cancel(owner, cid))["campaign"]["status"] == "CANCELLED"
    refused = await send(owner, cid)
    assert (refused["__typename"], refused["code"]) == ("ConflictError", "CAMPAIGN_NOT_EDITABLE")
    again = await cancel(owner, cid)
    assert again["code"] == "CAMPAIGN_NOT_EDITABLE"
    await run_jobs(desk.rt)
    assert sent_to(desk, phones) == dict.fromkeys(phones, 0)


async def test_cancel_while_sending_stops_the_rest(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    phones = kenyan(6, prefix="+2547181")
    await customers(owner, phones)
    cid = await created(owner)
    row_id, business_id = await frozen_without_a_sender(desk.rt, desk.clock, cid)
    viewer = sending.business_viewer(business_id)
    lane = campaign_sender(desk.rt)
    async with desk.rt.db.unit_of_work() as session:
        claimed = await CampaignRepository(session, viewer).claim(
            row_id, "lane", desk.clock.now(), desk.clock.now(), 3
        )
    for r in claimed[:2]:  # two go out before the owner cancels
        await lane.one(viewer, "lane", r.id)
    assert (await cancel(owner, cid))["campaign"]["status"] == "CANCELLED"
    await lane.one(viewer, "lane", claimed[2].id)  # claimed before, reached after: not sent
    assert await lane.lane(row_id) == "idle"
    await run_jobs(desk.rt)
    assert sum(sent_to(desk, phones).values()) == 2
    got = await stats(owner, cid)
    assert (got["sent"], got["cancelled"], got["queued"]) == (2, 4, 0)
    assert (await campaign(owner, cid))["status"] == "CANCELLED"


async def test_a_scheduled_campaign_starts_once_when_due(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    phones = kenyan(3, prefix="+2547182")
    await customers(owner, phones)
    cid = await created(owner)
    past = (desk.clock.now() - timedelta(minutes=1)).isoformat()
    assert (await schedule(owner, cid, past))["fields"][0]["code"] == "SCHEDULE_IN_PAST"
    at = (desk.clock.now() + timedelta(hours=2)).isoformat()
    made = await schedule(owner, cid, at, idempotencyKey="later")
    assert made["campaign"]["status"] == "SCHEDULED", made
    assert (await schedule(owner, cid, at, idempotencyKey="later"))["replayed"] is True
    dropped = await created(owner, name="Dropped")
    await schedule(owner, dropped, at)
    assert (await cancel(owner, dropped))["campaign"]["status"] == "CANCELLED"

    assert await sending.scan(desk.rt.db, desk.clock, desk.rt.jobs) == 0
    desk.clock.advance(hours=2)
    scans = await asyncio.gather(
        *(sending.scan(desk.rt.db, desk.clock, desk.rt.jobs) for _ in range(3))
    )
    assert sum(scans) >= 1
    await run_jobs(desk.rt)
    async with desk.rt.db.read() as session:
        started = await session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(
                OutboxEvent.topic == "campaign.started",
                OutboxEvent.business_id == expect_id(owner.business_id, "Business"),
            )
        )
    assert started == 1  # the cancelled one never started
    assert sent_to(desk, phones) == dict.fromkeys(phones, 1)
    done = await campaign(owner, cid)
    assert done["status"] == "SENT" and done["startedAt"] is not None
    assert (await campaign(owner, dropped))["status"] == "CANCELLED"
