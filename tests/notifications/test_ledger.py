"""The delivery ledger through the real SDKs and the fakes: attempts recorded before each
call, temporary failures retried (never sooner than Retry-After), permanent ones never,
uncertain calls looked up before any resend, and the resend-once rule."""

from __future__ import annotations

import pytest
from arq import Retry

from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.notifications import service
from domain.notifications.port import TemporaryFailure
from khata.runtime import Runtime
from schema.relay import expect_id
from tests.conftest import Actor
from tests.fakes.control import HANG, Busy
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.fakes.twilio_server import INVALID_NUMBER, FakeTwilio
from tests.notifications.ledger_helpers import attempts, history, ledger, queue_message, run_send

PHONE = "+919812345678"


def _business(owner: Actor) -> int:
    return expect_id(owner.business_id, "Business")


async def test_an_accepted_sms_is_on_the_ledger_with_its_attempt(
    real_providers: Runtime, owner: Actor, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    fake, _ = fake_twilio
    oid = await queue_message(
        real_providers, _business(owner), channel="sms", to=PHONE, body="Hello", customerId=7
    )
    assert await run_send(real_providers, oid) == "sent"
    (row,) = await ledger(real_providers, oid)
    (sms,) = fake.messages
    assert (row.status, row.provider, row.provider_message_id) == ("accepted", "twilio", sms["sid"])
    assert (row.customer_id, row.segments, row.kind) == (7, 1, "transactional")
    (attempt,) = await attempts(real_providers, row.id)
    assert attempt.outcome == "accepted" and sms["callback"].endswith(f"attempt={attempt.id}")
    assert await history(real_providers, row.id) == ["pending", "sending", "accepted"]
    # arq may run a job twice: the second run sends nothing
    assert await run_send(real_providers, oid) == "duplicate"
    assert len(fake.messages) == 1 and fake.control.sends == 1


async def test_a_429_retries_no_sooner_than_retry_after(
    real_providers: Runtime, owner: Actor, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    fake, _ = fake_twilio
    fake.control.next_sends(Busy(429, 40))
    oid = await queue_message(real_providers, _business(owner), channel="sms", to=PHONE, body="Hi")
    retry = await run_send(real_providers, oid)
    assert isinstance(retry, Retry)
    assert 40_000 <= (retry.defer_score or 0) <= 48_000  # Retry-After plus at most 20 % jitter
    (row,) = await ledger(real_providers, oid)
    (attempt,) = await attempts(real_providers, row.id)
    assert (attempt.outcome, attempt.error_code, row.status) == ("refused", "429", "sending")
    assert await run_send(real_providers, oid, job_try=2) == "sent"
    assert len(fake.messages) == 1 and fake.control.sends == 2
    assert [a.outcome for a in await attempts(real_providers, row.id)] == ["refused", "accepted"]


async def test_a_5xx_without_retry_after_backs_off_exponentially(
    real_providers: Runtime, owner: Actor, fake_sendgrid: tuple[FakeSendGrid, str]
) -> None:
    fake, _ = fake_sendgrid
    fake.control.next_sends(Busy(503, None))
    oid = await queue_message(
        real_providers, _business(owner), channel="email", to="a@example.com", subject="S", body="B"
    )
    retry = await run_send(real_providers, oid, job_try=3)
    assert isinstance(retry, Retry) and 8_000 <= (retry.defer_score or 0) <= 9_600
    # a 5xx may have been taken: the next try looks the attempt up before resending; not
    # found, it is an ordinary retry that spends no resend-once budget
    assert await run_send(real_providers, oid, job_try=4) == "sent"
    (row,) = await ledger(real_providers, oid)
    assert [a.outcome for a in await attempts(real_providers, row.id)] == ["lost", "accepted"]
    assert row.resends == 0 and len(fake.mails) == 1


async def test_a_5xx_leaves_the_resend_once_budget_to_an_unknown_outcome(
    real_providers: Runtime, owner: Actor, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    """500 (answered: retried), then two timeouts the provider cannot tell: the first
    timeout still gets its one resend; only the second ends UNCERTAIN."""
    fake, _ = fake_twilio
    fake.control.next_sends(Busy(500, None), HANG, HANG)
    fake.control.blind = True
    oid = await queue_message(real_providers, _business(owner), channel="sms", to=PHONE, body="T5")
    for job_try in (1, 2, 3):
        assert isinstance(await run_send(real_providers, oid, job_try=job_try), Retry)
    (row,) = await ledger(real_providers, oid)
    assert (row.status, row.resends, fake.control.sends) == ("sending", 1, 3)
    assert await run_send(real_providers, oid, job_try=4) == "sent"
    (row,) = await ledger(real_providers, oid)
    assert (row.status, row.error_code, fake.control.sends) == ("failed", "UNCERTAIN", 3)


async def test_a_marketing_message_after_a_5xx_is_retried(
    real_providers: Runtime, owner: Actor, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    fake, _ = fake_twilio
    fake.control.next_sends(Busy(502, None))
    fake.control.blind = True
    oid = await queue_message(
        real_providers, _business(owner), channel="sms", to=PHONE, body="Sale", kind="marketing"
    )
    assert isinstance(await run_send(real_providers, oid), Retry)
    assert await run_send(real_providers, oid, job_try=2) == "sent"
    (row,) = await ledger(real_providers, oid)
    assert (row.status, row.resends, len(fake.messages)) == ("accepted", 0, 1)


async def test_a_permanent_failure_is_recorded_and_never_retried(
    real_providers: Runtime, owner: Actor, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    fake, _ = fake_twilio
    oid = await queue_message(
        real_providers, _business(owner), channel="sms", to=INVALID_NUMBER, body="Hi"
    )
    assert await run_send(real_providers, oid) == "sent"  # the job is done: nothing to retry
    (row,) = await ledger(real_providers, oid)
    assert (row.status, row.error_code) == ("failed", "21211")
    assert await run_send(real_providers, oid) == "duplicate"
    assert fake.control.sends == 1


async def test_a_timeout_is_looked_up_and_adopted_when_the_provider_has_it(
    real_providers: Runtime, owner: Actor, fake_sendgrid: tuple[FakeSendGrid, str]
) -> None:
    """The fake stores the mail, then hangs: the call times out, the provider has it."""
    fake, _ = fake_sendgrid
    fake.control.next_sends("hold")
    oid = await queue_message(
        real_providers, _business(owner), channel="email", to="b@example.com", subject="S", body="B"
    )
    assert isinstance(await run_send(real_providers, oid), Retry)
    assert await run_send(real_providers, oid, job_try=2) == "sent"
    (row,) = await ledger(real_providers, oid)
    (mail,) = fake.mails
    assert (row.status, row.provider_message_id, row.resends) == ("accepted", mail["msg_id"], 0)
    assert [a.outcome for a in await attempts(real_providers, row.id)] == ["found"]
    assert fake.control.sends == 1


async def test_a_timeout_the_provider_cannot_tell_resends_transactional_once(
    real_providers: Runtime, owner: Actor, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    fake, _ = fake_twilio
    fake.control.next_sends(HANG, HANG)
    oid = await queue_message(real_providers, _business(owner), channel="sms", to=PHONE, body="T1")
    assert isinstance(await run_send(real_providers, oid), Retry)
    assert isinstance(await run_send(real_providers, oid, job_try=2), Retry)  # lost -> resent once
    (row,) = await ledger(real_providers, oid)
    assert row.resends == 1
    # the resend timed out too and the provider still cannot tell: no third send
    assert await run_send(real_providers, oid, job_try=3) == "sent"
    (row,) = await ledger(real_providers, oid)
    assert (row.status, row.error_code) == ("failed", "UNCERTAIN")
    assert fake.control.sends == 2


async def test_marketing_is_never_resent_after_an_uncertain_attempt(
    real_providers: Runtime, owner: Actor, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    fake, _ = fake_twilio
    fake.control.next_sends(HANG)
    fake.control.blind = True
    oid = await queue_message(
        real_providers, _business(owner), channel="sms", to=PHONE, body="Sale!", kind="marketing"
    )
    assert isinstance(await run_send(real_providers, oid), Retry)
    assert await run_send(real_providers, oid, job_try=2) == "sent"
    (row,) = await ledger(real_providers, oid)
    assert (row.status, row.error_code, row.resends) == ("failed", "UNCERTAIN", 0)
    assert fake.control.sends == 1


async def test_two_runs_that_both_passed_next_step_start_one_attempt(
    real_providers: Runtime, owner: Actor, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    """arq runs a job at least once: two runs may both be told "send" before either
    records its attempt. The second finds the first's attempt under the row lock and comes
    back later instead of calling the provider again."""
    rt = real_providers
    oid = await queue_message(
        rt, _business(owner), channel="sms", to=PHONE, body="Once", customerId=7
    )
    job = Viewer.system_actor("test:runs")
    async with rt.db.unit_of_work() as session:
        rows = await service.prepare(Tx(session, job, rt.clock), rt.providers, oid)
    assert isinstance(rows, list) and len(rows) == 1, rows
    row_id = rows[0]
    for _ in range(2):  # both runs are told to send
        async with rt.db.unit_of_work() as session:
            step = await service.next_step(Tx(session, job, rt.clock), row_id)
        assert step.action == "send"
    async with rt.db.unit_of_work() as session:
        first = await service.start_attempt(Tx(session, job, rt.clock), row_id)
    assert first is not None
    with pytest.raises(TemporaryFailure, match="in flight"):
        async with rt.db.unit_of_work() as session:
            await service.start_attempt(Tx(session, job, rt.clock), row_id)
    assert len(await attempts(rt, row_id)) == 1
