"""How a message's ledger row ends in the awkward cases, through the real SDKs and the
fakes: the last try of a job ends the row `failed` with its reason (and the invoice's
timeline says so), a status callback that adopts a message after a worker died marks the
invoice SENT exactly as the normal path does.

Each test sends its invoice inside the customer's quiet hours so the queued job only
holds it; the test then runs the steps itself with the clock past them."""

from __future__ import annotations

from typing import Any

from domain.core.tx import Tx
from domain.notifications import service
from domain.notifications.service import JOB
from tests.conftest import Actor, run_jobs, sign_up
from tests.fakes.control import Busy
from tests.notifications.conftest import Desk
from tests.notifications.ledger_helpers import attempts, history, ledger, run_send
from tests.notifications.pipeline_helpers import USAGE, customer, invoice, send
from workers.tasks import SEND_TRIES

READ = """query($id: ID!) { node(id: $id) { ... on Invoice { status sentAt
  timeline { kind data } } } }"""


async def _held_send(desk: Desk, phone: str) -> tuple[Actor, str, str]:
    """An SMS invoice send held by quiet hours (19:00 UTC is 22:00 in Nairobi); the clock
    is then moved to 08:00 there. Returns the owner, the invoice id and the request id."""
    desk.clock.advance(hours=13)
    owner = await sign_up(desk.client, "KE")
    cid = await customer(owner, phone=phone)
    inv = await invoice(owner, cid)
    request = await send(owner, inv["id"], "SMS")
    await run_jobs(desk.rt)
    [row] = await ledger(desk.rt, request)
    assert (row.status, row.error_code) == ("pending", "QUIET_HOURS")
    desk.clock.advance(hours=10)
    return owner, inv["id"], request


async def _invoice(owner: Actor, invoice_id: str) -> dict[str, Any]:
    return (await owner.gql(READ, {"id": invoice_id}))["data"]["node"]  # type: ignore[no-any-return]


async def test_the_last_try_ends_the_message_failed_with_its_reason(desk: Desk) -> None:
    owner, invoice_id, request = await _held_send(desk, "+254712345691")
    desk.twilio.control.next_sends(Busy(503, None), Busy(503, None))
    # not the last try: the job retries, the row waits
    assert not isinstance(await run_send(desk.rt, request, job_try=SEND_TRIES - 1), str)
    [row] = await ledger(desk.rt, request)
    assert row.status == "sending"
    # the last try fails too: nothing will run the job again, so the row must end here
    assert await run_send(desk.rt, request, job_try=SEND_TRIES) == "failed"
    [row] = await ledger(desk.rt, request)
    assert (row.status, row.error_code) == ("failed", "RETRIES_EXHAUSTED")
    assert row.error and f"after {SEND_TRIES} tries" in row.error and "503" in row.error
    assert await history(desk.rt, row.id) == ["pending", "sending", "failed"]
    read = await _invoice(owner, invoice_id)
    assert read["status"] == "ISSUED" and read["sentAt"] is None
    [failed] = [e["data"] for e in read["timeline"] if e["kind"] == "send_failed"]
    assert failed["channel"] == "sms" and failed["code"] == "RETRIES_EXHAUSTED"
    assert "503" in failed["reason"]
    # a later run (arq runs a job at least once) changes nothing
    assert await run_send(desk.rt, request, job_try=1) == "duplicate"
    assert desk.twilio.control.sends == 2


async def test_a_callback_that_adopts_a_message_after_a_crash_marks_the_invoice_sent(
    desk: Desk,
) -> None:
    owner, invoice_id, request = await _held_send(desk, "+254712345692")
    [row] = await ledger(desk.rt, request)
    # the worker's steps up to the provider's accept; it dies before committing it
    async with desk.rt.db.unit_of_work() as session:
        step = await service.next_step(Tx(session, JOB, desk.clock), row.id)
    assert step.action == "send"
    async with desk.rt.db.unit_of_work() as session:
        message = await service.start_attempt(Tx(session, JOB, desk.clock), row.id)
    assert message is not None
    taken = await desk.rt.providers.sms.send_sms(message)
    [row] = await ledger(desk.rt, request)
    assert (row.status, row.provider_message_id) == ("sending", None)
    assert (await _invoice(owner, invoice_id))["status"] == "ISSUED"

    reply = await desk.twilio.status_callback(desk.client, str(taken.message_id), "delivered")
    assert reply.status_code == 200 and reply.json()["status"] == "applied"
    [row] = await ledger(desk.rt, request)
    assert (row.status, row.provider_message_id) == ("delivered", taken.message_id)
    assert [a.outcome for a in await attempts(desk.rt, row.id)] == ["found"]
    read = await _invoice(owner, invoice_id)
    assert read["status"] == "SENT" and read["sentAt"]
    assert [e["data"]["channels"] for e in read["timeline"] if e["kind"] == "sent"] == [["sms"]]
    assert (await owner.gql(USAGE))["data"]["smsUsage"]["messages"] == 1  # quota counted
    # the restarted job finds it settled: no second send, no second `sent`
    assert await run_send(desk.rt, request, job_try=2) == "duplicate"
    assert desk.twilio.control.sends == 1
    read = await _invoice(owner, invoice_id)
    assert len([e for e in read["timeline"] if e["kind"] == "sent"]) == 1
