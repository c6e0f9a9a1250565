"""A worker killed between the provider's accept and our commit (issue 19 §1), with real
arq worker processes on PostgreSQL + Redis: the fake Twilio takes the message and holds
its answer, the worker is killed by its pid, a fresh worker picks the job up. Reconcile
path: the look-up finds the message, nothing is resent. Provider cannot tell (blind): a
transactional message is resent once, a marketing message never.

PostgreSQL only: the embedded (SQLite) mode runs jobs in the test's own process, which
cannot be killed and survive; the same code path (an attempt without an outcome, looked
up, then adopted or resent once) runs on both backends in test_ledger.py."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from arq.connections import RedisSettings, create_pool
from arq.constants import in_progress_key_prefix

from khata.runtime import Runtime
from tests.conftest import BACKEND, REDIS_URL
from tests.fakes.control import HOLD
from tests.fakes.twilio_server import FakeTwilio
from tests.notifications.ledger_helpers import attempts, ledger, queue_message
from tests.notifications.test_ledger import PHONE
from tests.worker_processes import arq_worker, until


@pytest.mark.parametrize(
    ("blind", "kind", "sends", "status"),
    [
        (False, "transactional", 1, "queued"),  # adopted with the look-up's status, not resent
        (True, "transactional", 2, "accepted"),  # the provider cannot tell: resent once
        (True, "marketing", 1, "failed"),  # never resent
    ],
)
async def test_a_worker_killed_after_the_accept(
    runtime: Runtime,
    owner_business: int,
    fake_twilio: tuple[FakeTwilio, str],
    blind: bool,
    kind: str,
    sends: int,
    status: str,
) -> None:
    fake, url = fake_twilio
    namespace = f"kill{uuid.uuid4().hex[:8]}"
    body = f"Invoice {uuid.uuid4().hex[:6]}"
    fake.control.only = body  # the worker may also send other tests' leftover messages
    fake.control.next_sends(HOLD)
    oid = await queue_message(
        runtime, owner_business, channel="sms", to=PHONE, body=body, kind=kind
    )
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    first = arq_worker(runtime, fake, url, namespace)
    try:
        await pool.enqueue_job(
            "send_notification", oid, _job_id=oid, _queue_name=f"{namespace}:arq:queue"
        )
        await until(lambda: asyncio.sleep(0, fake.control.held.is_set()))
        first.kill()  # by its own pid, between the provider's accept and our commit
        first.wait(10)
        assert len(ours(fake, body)) == 1
        (row,) = await ledger(runtime, oid)
        assert row.status == "sending" and row.provider_message_id is None
        fake.control.blind = blind
        # the killed job's in-progress key would block it for job_timeout; expire it now
        await pool.delete(in_progress_key_prefix + oid)
        second = arq_worker(runtime, fake, url, namespace)
        try:

            async def settled() -> bool:
                (row,) = await ledger(runtime, oid)
                return row.status not in ("pending", "sending")

            await until(settled)
            (row,) = await ledger(runtime, oid)
            assert row.status == status and fake.control.sends == sends
            outcomes = [a.outcome for a in await attempts(runtime, row.id)]
            if not blind:
                assert (
                    outcomes == ["found"] and row.provider_message_id == ours(fake, body)[0]["sid"]
                )
            elif kind == "transactional":
                assert outcomes == ["lost", "accepted"] and row.resends == 1
            else:
                assert outcomes == ["lost"] and row.error_code == "UNCERTAIN"
        finally:
            second.terminate()
            second.wait(20)
    finally:
        if first.poll() is None:
            first.kill()
        await pool.aclose()


@pytest.fixture
async def owner_business(owner: object) -> int:
    from schema.relay import expect_id

    return expect_id(owner.business_id, "Business")  # type: ignore[attr-defined]


if BACKEND != "postgres":  # no worker process to kill in embedded mode (module docstring)
    del test_a_worker_killed_after_the_accept


def ours(fake: FakeTwilio, body: str) -> list[dict[str, Any]]:
    """The messages of this test at the fake (by their text)."""
    return [m for m in fake.messages if m["body"] == body]
