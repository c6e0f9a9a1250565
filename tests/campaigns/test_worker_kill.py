"""A campaign whose arq worker is killed mid-run (PostgreSQL + Redis, real worker
processes): the fake Twilio takes a message and holds its answer, the worker is killed by
its pid with claims and an attempt in flight; a fresh worker's lane takes the stale claims
over, looks the uncertain message up (found: adopted) and the campaign ends SENT with each
recipient messaged exactly once, counted at the fake.

PostgreSQL only, as tests/notifications/test_worker_kill.py: the embedded mode runs jobs
in the test's own process; the same resume path runs on both backends in test_resume.py."""

from __future__ import annotations

import uuid

import pytest
from arq.connections import RedisSettings, create_pool
from sqlalchemy import select

from domain.campaigns.models import Campaign, CampaignRecipient
from khata.runtime import Runtime
from tests.campaigns.helpers import at_any_hour, created, customers, kenyan, stats
from tests.campaigns.test_resume import frozen_without_a_sender
from tests.conftest import BACKEND, REDIS_URL, Actor
from tests.fakes.control import HOLD
from tests.fakes.twilio_server import FakeTwilio
from tests.notifications.ledger_helpers import attempts
from tests.worker_processes import arq_worker, until


async def _campaign(rt: Runtime, row_id: int) -> Campaign:
    async with rt.db.read() as session:
        found = await session.get(Campaign, row_id)
        assert found is not None
        return found


async def test_a_campaign_survives_its_worker_being_killed(
    runtime: Runtime,
    owner: Actor,
    fake_twilio: tuple[FakeTwilio, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, url = fake_twilio
    monkeypatch.setenv("KHATA_CAMPAIGN_CLAIM_LEASE_SECONDS", "2")  # the workers' env
    phones = kenyan(8, prefix="+2547191")
    await at_any_hour(owner, await customers(owner, phones))
    cid = await created(owner)
    row_id, _ = await frozen_without_a_sender(runtime, runtime.clock, cid)
    namespace = f"ckill{uuid.uuid4().hex[:8]}"
    queue = f"{namespace}:arq:queue"
    fake.control.only = "+2547191"  # the worker may also send other tests' leftovers
    fake.control.next_sends(HOLD)  # the first send is taken and its answer held
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    # the held call must still be in flight when the worker is killed: a group's outcomes
    # wait for all its calls, and a 1 s provider timeout could end the held one first
    first = arq_worker(runtime, fake, url, namespace, provider_timeout=10.0)
    try:
        await pool.enqueue_job(
            "send_campaign_lane", campaign_id=row_id, _job_id=f"lane-{uuid.uuid4().hex}",
            _queue_name=queue,
        )  # fmt: skip
        await until(lambda: _taken(fake, len(phones)))
        first.kill()  # by its own pid, with a message between Twilio's accept and our commit
        first.wait(10)
        async with runtime.db.read() as session:
            states = (
                await session.scalars(
                    select(CampaignRecipient.state).where(CampaignRecipient.campaign_id == row_id)
                )
            ).all()
        # the held one at least is unfinished: still the dead worker's claim, or parked
        assert any(state != "done" for state in states), states
        second = arq_worker(runtime, fake, url, namespace)
        try:
            await pool.enqueue_job(
                "send_campaign_lane", campaign_id=row_id, _job_id=f"lane-{uuid.uuid4().hex}",
                _queue_name=queue,
            )  # fmt: skip

            async def sent() -> bool:
                return (await _campaign(runtime, row_id)).status == "sent"

            await until(sent, within=120)
        finally:
            second.terminate()
            second.wait(20)
    finally:
        if first.poll() is None:
            first.kill()
        await pool.aclose()
    counts = {p: sum(1 for m in fake.messages if m["to"] == p) for p in phones}
    assert counts == dict.fromkeys(phones, 1) and fake.control.sends == len(phones)
    got = await stats(owner, cid)
    assert (got["recipients"], got["sent"], got["queued"]) == (8, 8, 0)
    async with runtime.db.read() as session:
        held = await session.scalar(
            select(CampaignRecipient.notification_id)
            .where(CampaignRecipient.campaign_id == row_id)
            .order_by(CampaignRecipient.id)
            .limit(1)
        )
    outcomes = {a.outcome for a in await attempts(runtime, int(held or 0))}
    assert outcomes <= {"found", "accepted"}


async def _taken(fake: FakeTwilio, n: int) -> bool:
    mine = [m for m in fake.messages if m["to"].startswith(fake.control.only or "")]
    return fake.control.held.is_set() and len(mine) == n


if BACKEND != "postgres":  # no worker process to kill in embedded mode (module docstring)
    del test_a_campaign_survives_its_worker_being_killed
