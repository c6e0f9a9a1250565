"""The daily `invoice.overdue` job: an invoice is announced the day after its due date in
the business's own time zone, once however often the job runs, never when paid or void,
and an invoiceUpdates subscriber over a real WebSocket receives it as OVERDUE."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from domain.core.clock import FrozenClock
from domain.core.outbox import OutboxEvent
from domain.invoicing import events
from domain.invoicing.models import Invoice
from domain.invoicing.overdue import announce_overdue
from khata.runtime import Runtime
from schema.relay import expect_id
from tests.conftest import Actor, sign_up
from tests.invoicing.helpers import customer_id, invoice, pay
from tests.realtime import connect, subscribe, update

LINE = [{"description": "Rice 5kg", "quantity": "1", "unitPrice": "100", "taxRate": "0"}]
VOID = """mutation($id: ID!) { voidInvoice(input: { id: $id, reason: "typo" }) { __typename } }"""
KOLKATA = timedelta(hours=5, minutes=30)  # Asia/Kolkata, the IN businesses' time zone


def _move_to(clock: FrozenClock, at: datetime) -> None:
    clock.advance(seconds=(at - clock.now()).total_seconds())


async def _issue(actor: Actor, cid: str, due: date) -> dict[str, Any]:
    made = await invoice(actor, cid, LINE, dueDate=due.isoformat())
    assert made["__typename"] == "InvoicePayload", made
    return made["invoice"]  # type: ignore[no-any-return]


async def _announced(rt: Runtime, invoice_id: str) -> tuple[list[dict[str, Any]], date | None]:
    """The invoice's `invoice.overdue` outbox payloads and its `overdue_announced_on`."""
    row_id = expect_id(invoice_id, "Invoice")
    async with rt.db.read() as session:
        row = await session.get(Invoice, row_id)
        assert row is not None
        business_id = row.business_id
        rows = await session.scalars(
            select(OutboxEvent).where(
                OutboxEvent.business_id == business_id, OutboxEvent.topic == events.OVERDUE
            )
        )
        payloads = [e.payload for e in rows if e.payload["invoiceId"] == row_id]
        return payloads, row.overdue_announced_on


async def test_overdue_on_the_business_date_not_the_utc_one(
    clocked: tuple[httpx.AsyncClient, FrozenClock], runtime: Runtime
) -> None:
    client, clock = clocked
    owner = await sign_up(client, "IN")
    cid = await customer_id(owner)
    due = (clock.now() + KOLKATA).date()  # the business's today
    inv = await _issue(owner, cid, due)
    # 23:30 in Kolkata on the due date: not overdue anywhere yet
    _move_to(clock, datetime.combine(due, time(18, 0), UTC))
    await announce_overdue(runtime.db, clock)
    assert await _announced(runtime, inv["id"]) == ([], None)
    # 01:30 the next day in Kolkata, still the due date in UTC: overdue for the business
    _move_to(clock, datetime.combine(due, time(20, 0), UTC))
    await announce_overdue(runtime.db, clock)
    payloads, on = await _announced(runtime, inv["id"])
    assert on == due + timedelta(days=1)
    assert len(payloads) == 1
    assert payloads[0]["number"] == inv["number"] and payloads[0]["dueDate"] == due.isoformat()
    assert payloads[0]["balance"] == "100.00" and payloads[0]["customerId"] == expect_id(
        cid, "Customer"
    )
    assert payloads[0]["customerName"]  # the customer comes with it, as in other events


async def test_run_twice_announces_once_and_skips_paid_and_void(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    cid = await customer_id(owner)
    due = (datetime.now(UTC) + KOLKATA).date()
    unpaid, partly, paid, void = [await _issue(owner, cid, due) for _ in range(4)]
    assert (await pay(owner, partly["id"], "30", "od-1"))["__typename"] == "PaymentPayload"
    assert (await pay(owner, paid["id"], "100", "od-2"))["__typename"] == "PaymentPayload"
    assert (await owner.gql(VOID, {"id": void["id"]}))["data"]["voidInvoice"][
        "__typename"
    ] == "InvoicePayload"
    later = FrozenClock(datetime.now(UTC) + timedelta(days=3))
    for _ in range(2):  # twice in one day
        await announce_overdue(runtime.db, later)
    later.advance(hours=12)
    await announce_overdue(runtime.db, later)  # and again later on
    for open_one in (unpaid, partly):
        payloads, on = await _announced(runtime, open_one["id"])
        assert len(payloads) == 1 and on is not None, open_one
    assert (await _announced(runtime, partly["id"]))[0][0]["balance"] == "70.00"
    for closed in (paid, void):
        assert await _announced(runtime, closed["id"]) == ([], None)


async def test_a_subscriber_receives_overdue_once(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    cid = await customer_id(owner)
    inv = await _issue(owner, cid, (datetime.now(UTC) + KOLKATA).date())
    ws = await connect(server, owner)
    await subscribe(ws, runtime, owner, invoiceId=inv["id"])
    later = FrozenClock(datetime.now(UTC) + timedelta(days=2))
    await announce_overdue(runtime.db, later)
    got = await update(ws)
    assert (got["kind"], got["invoice"]["id"], got["balance"]) == (
        "OVERDUE",
        inv["id"],
        {"amount": "100.00"},
    )
    await announce_overdue(runtime.db, later)  # nothing new to say
    await pay(owner, inv["id"], "10", "od-ws")
    assert (await update(ws))["kind"] == "PAYMENT_RECEIVED"  # no second OVERDUE first
    await ws.close()
