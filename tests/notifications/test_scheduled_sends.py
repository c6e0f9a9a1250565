"""Scheduled invoice sends with the desk's clock moved by the test: a send for later
waits (visible on the invoice), the due-scan starts it at its time and not before, the
pipeline delivers it under the request id given at scheduling; cancelling works until it
starts and is refused after; another business cannot cancel it; two scans at once start
it once; an idempotency key replays the first send."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from domain.invoicing.sending import start_due_sends
from khata.composition import build_runtime
from tests.conftest import Actor, count_statements, run_jobs, sign_up
from tests.notifications.conftest import Desk
from tests.notifications.ledger_helpers import ledger
from tests.notifications.reminder_helpers import issue, read, shop, shop_ahead, today

SEND = """mutation($input: SendInvoiceInput!) { sendInvoice(input: $input) { __typename
  ... on SendInvoicePayload { requestId replayed send { id status sendAt } invoice { status } }
  ... on UserError { code message } } }"""
CANCEL = """mutation($id: ID!) { cancelScheduledSend(input: { id: $id }) { __typename
  ... on CancelScheduledSendPayload { send { id status cancelledAt }
    invoice { scheduledSendAt } }
  ... on UserError { code message } } }"""


async def _schedule(owner: Actor, invoice_id: str, at: Any, **extra: Any) -> dict[str, Any]:
    body = await owner.gql(
        SEND,
        {
            "input": {
                "invoiceId": invoice_id,
                "channels": ["sms"],
                "scheduledAt": at.isoformat(),
                **extra,
            }
        },
    )
    return body["data"]["sendInvoice"]  # type: ignore[no-any-return]


async def test_fires_at_its_time_and_not_before(desk: Desk) -> None:
    owner, cid = await shop_ahead(desk)
    inv = await issue(owner, cid, today(desk) + timedelta(days=10))
    at = desk.clock.now() + timedelta(hours=2)
    made = await _schedule(owner, inv, at)
    assert made["__typename"] == "SendInvoicePayload", made
    assert made["send"]["status"] == "SCHEDULED" and made["invoice"]["status"] == "ISSUED"
    view = await read(owner, inv)
    assert view["scheduledSendAt"] is not None and view["sends"][0]["status"] == "SCHEDULED"
    desk.clock.advance(hours=1, minutes=59)
    assert await start_due_sends(desk.rt.db, desk.clock) == 0
    await run_jobs(desk.rt)
    assert await ledger(desk.rt, made["requestId"]) == []
    desk.clock.advance(minutes=1)
    assert await start_due_sends(desk.rt.db, desk.clock) == 1
    assert await start_due_sends(desk.rt.db, desk.clock) == 0  # started once
    await run_jobs(desk.rt)
    rows = await ledger(desk.rt, made["requestId"])
    assert [(r.channel, r.status) for r in rows] == [("sms", "accepted")]
    view = await read(owner, inv)
    assert view["status"] == "SENT" and view["scheduledSendAt"] is None
    assert view["sends"][0]["status"] == "STARTED"


async def test_cancel_before_start_and_refused_after(desk: Desk) -> None:
    owner, cid = await shop_ahead(desk)
    inv = await issue(owner, cid, today(desk) + timedelta(days=10))
    first = await _schedule(owner, inv, desk.clock.now() + timedelta(hours=1))
    second = await _schedule(owner, inv, desk.clock.now() + timedelta(hours=1))
    stranger = await sign_up(desk.client, "KE")
    foreign = (await stranger.gql(CANCEL, {"id": first["send"]["id"]}))["data"]
    assert foreign["cancelScheduledSend"]["__typename"] == "NotFoundError"
    cancelled = (await owner.gql(CANCEL, {"id": first["send"]["id"]}))["data"]
    got = cancelled["cancelScheduledSend"]
    assert got["send"]["status"] == "CANCELLED" and got["send"]["cancelledAt"]
    assert got["invoice"]["scheduledSendAt"] is not None  # the second still waits
    again = (await owner.gql(CANCEL, {"id": first["send"]["id"]}))["data"]
    assert again["cancelScheduledSend"]["send"]["status"] == "CANCELLED"
    desk.clock.advance(hours=1)
    assert await start_due_sends(desk.rt.db, desk.clock) == 1  # the second only
    late = (await owner.gql(CANCEL, {"id": second["send"]["id"]}))["data"]
    assert (late["cancelScheduledSend"]["__typename"], late["cancelScheduledSend"]["code"]) == (
        "ConflictError",
        "SEND_STARTED",
    )
    await run_jobs(desk.rt)
    assert await ledger(desk.rt, first["requestId"]) == []
    assert len(await ledger(desk.rt, second["requestId"])) == 1


async def test_two_scans_at_once_start_each_send_once(desk: Desk) -> None:
    owner, cid = await shop_ahead(desk)
    inv = await issue(owner, cid, today(desk) + timedelta(days=10))
    made = [await _schedule(owner, inv, desk.clock.now() + timedelta(minutes=5)) for _ in range(3)]
    desk.clock.advance(minutes=5)
    other = build_runtime(desk.rt.settings, clock=desk.clock)  # a second worker's pool
    try:
        counts = await asyncio.gather(
            start_due_sends(desk.rt.db, desk.clock),
            start_due_sends(other.db, desk.clock),
            start_due_sends(desk.rt.db, desk.clock),
        )
    finally:
        await other.db.dispose()
    assert sum(counts) == 3
    await run_jobs(desk.rt)
    for m in made:
        assert len(await ledger(desk.rt, m["requestId"])) == 1


async def test_idempotent_send_and_schedule_replay(desk: Desk) -> None:
    owner, cid = await shop_ahead(desk)
    inv = await issue(owner, cid, today(desk) + timedelta(days=10))
    at = desk.clock.now() + timedelta(hours=3)
    first = await _schedule(owner, inv, at, idempotencyKey="send-1")
    again = await _schedule(owner, inv, at, idempotencyKey="send-1")
    assert again["replayed"] is True and again["requestId"] == first["requestId"]
    assert again["send"]["id"] == first["send"]["id"]
    other = await _schedule(owner, inv, at + timedelta(hours=1), idempotencyKey="send-1")
    assert other["__typename"] == "ConflictError"
    now = {"invoiceId": inv, "channels": ["sms"], "idempotencyKey": "send-2"}
    sent = (await owner.gql(SEND, {"input": now}))["data"]["sendInvoice"]
    replay = (await owner.gql(SEND, {"input": now}))["data"]["sendInvoice"]
    assert sent["send"]["status"] == "STARTED" and replay["replayed"] is True
    assert replay["requestId"] == sent["requestId"]
    await run_jobs(desk.rt)
    assert len(await ledger(desk.rt, sent["requestId"])) == 1
    assert len((await read(owner, inv))["sends"]) == 2


async def test_a_voided_invoice_send_ends_cancelled(desk: Desk) -> None:
    owner, cid = await shop_ahead(desk)
    inv = await issue(owner, cid, today(desk) + timedelta(days=10))
    made = await _schedule(owner, inv, desk.clock.now() + timedelta(minutes=30))
    void = (
        """mutation($id: ID!) { voidInvoice(input: { id: $id, reason: "typo" }) { __typename } }"""
    )
    await owner.gql(void, {"id": inv})
    desk.clock.advance(minutes=30)
    assert await start_due_sends(desk.rt.db, desk.clock) == 0
    await run_jobs(desk.rt)
    assert await ledger(desk.rt, made["requestId"]) == []
    assert [s["status"] for s in (await read(owner, inv))["sends"]] == ["CANCELLED"]


LIST = """{ invoices(first: 20) { edges { node { number scheduledSendAt
  sends { status } reminders { sentCount nextReminderOn history { occurrence } } } } } }"""


async def test_invoice_lists_read_sends_and_reminders_in_batches(desk: Desk) -> None:
    owner, cid = await shop(desk)
    inv = await issue(owner, cid, today(desk) + timedelta(days=3))
    await _schedule(owner, inv, desk.clock.now() + timedelta(days=1))
    with count_statements(desk.rt) as few:
        assert len((await owner.gql(LIST))["data"]["invoices"]["edges"]) == 1
    for _ in range(4):
        more = await issue(owner, cid, today(desk) + timedelta(days=3))
        await _schedule(owner, more, desk.clock.now() + timedelta(days=1))
    with count_statements(desk.rt) as many:
        assert len((await owner.gql(LIST))["data"]["invoices"]["edges"]) == 5
    assert len(many) == len(few)
