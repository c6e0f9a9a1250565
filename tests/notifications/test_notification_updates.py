"""notificationUpdates over a real WebSocket: a provider's accept and a signed status
callback from the fake Twilio arrive as stream events with the message and a cursor;
filters; resume with `after`; another business sees nothing; signing out closes it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from khata.composition import create_app
from khata.runtime import Runtime
from schema.relay import to_global_id
from tests.accounts.test_revocation import closed_with
from tests.conftest import Actor, gql, serving
from tests.fakes.twilio_server import FakeTwilio
from tests.notifications.ledger_helpers import queue_message, run_send
from tests.notifications.test_ledger import PHONE, _business
from tests.realtime import connect, subscribe, update

UPDATES = """subscription($customerId: ID, $invoiceId: ID, $after: String) {
  notificationUpdates(customerId: $customerId, invoiceId: $invoiceId, after: $after) {
    cursor status errorCode message { id channel status errorCode customerId invoiceId
      history { status errorCode } } } }"""
FIELD = "notificationUpdates"


@pytest.fixture
async def live(real_providers: Runtime, hooks: httpx.AsyncClient) -> AsyncIterator[str]:
    """A server on the runtime that sends and takes the callbacks: one hub for all."""
    async with serving(create_app(real_providers.settings, runtime=real_providers)) as address:
        yield address


async def _send(rt: Runtime, actor: Actor, **payload: Any) -> str:
    oid = await queue_message(rt, _business(actor), channel="sms", to=PHONE, **payload)
    assert await run_send(rt, oid) == "sent"
    return oid


async def _statuses(ws: Any, n: int) -> list[tuple[str, str]]:
    got = [(await update(ws, FIELD)) for _ in range(n)]
    return [(u["status"], u["message"]["customerId"]) for u in got]


async def test_status_changes_arrive_live_and_resume_after_a_cursor(
    live: str,
    real_providers: Runtime,
    owner: Actor,
    other_owner: Actor,
    fake_twilio: tuple[FakeTwilio, str],
    hooks: httpx.AsyncClient,
) -> None:
    rt, (fake, _) = real_providers, fake_twilio
    ws = await connect(live, owner)
    await subscribe(ws, rt, owner, UPDATES)
    theirs = await connect(live, other_owner)
    await subscribe(theirs, rt, other_owner, UPDATES)
    c7 = to_global_id("Customer", 7)

    await _send(rt, owner, body="Hello", customerId=7, invoiceId=9)
    assert await _statuses(ws, 2) == [("sending", c7), ("accepted", c7)]
    sid = fake.messages[0]["sid"]
    assert (await fake.status_callback(hooks, sid, "delivered")).is_success
    delivered = await update(ws, FIELD)
    message = delivered["message"]
    assert message["status"] == "delivered" and message["invoiceId"] == to_global_id("Invoice", 9)
    assert [h["status"] for h in message["history"]] == [
        "pending",
        "sending",
        "accepted",
        "delivered",
    ]
    # a replayed callback changes nothing, so nothing is pushed; the next event is the failure
    assert (await fake.status_callback(hooks, sid, "delivered")).json()["status"] == "replayed"
    await ws.close()

    # missed while away: served from the stream's backlog, then live
    assert (await fake.status_callback(hooks, sid, "failed", error_code="30008")).json()[
        "status"
    ] == "ignored"  # delivered never moves back
    await _send(rt, owner, body="Again", customerId=8)
    ws = await connect(live, owner)
    await subscribe(ws, rt, owner, UPDATES, after=delivered["cursor"])
    assert await _statuses(ws, 2) == [
        ("sending", to_global_id("Customer", 8)),
        ("accepted", to_global_id("Customer", 8)),
    ]
    await ws.close()

    # the other business's subscriber saw none of it: its first update is its own message
    await _send(rt, other_owner, body="Theirs", customerId=70)
    assert await _statuses(theirs, 1) == [("sending", to_global_id("Customer", 70))]
    await theirs.close()


async def test_filters_by_customer_and_invoice(
    live: str, real_providers: Runtime, owner: Actor
) -> None:
    rt = real_providers
    by_customer = await connect(live, owner)
    await subscribe(by_customer, rt, owner, UPDATES, customerId=to_global_id("Customer", 2))
    by_invoice = await connect(live, owner)
    await subscribe(by_invoice, rt, owner, UPDATES, invoiceId=to_global_id("Invoice", 5))
    await _send(rt, owner, body="one", customerId=1, invoiceId=5)
    await _send(rt, owner, body="two", customerId=2, invoiceId=6)
    got = [(await update(by_customer, FIELD))["message"] for _ in range(2)]
    assert {(m["customerId"], m["invoiceId"]) for m in got} == {
        (to_global_id("Customer", 2), to_global_id("Invoice", 6))
    }
    got = [(await update(by_invoice, FIELD))["message"] for _ in range(2)]
    assert {m["customerId"] for m in got} == {to_global_id("Customer", 1)}
    await by_customer.close()
    await by_invoice.close()


async def test_signing_out_closes_the_stream(
    live: str, real_providers: Runtime, owner: Actor
) -> None:
    ws = await connect(live, owner)
    await subscribe(ws, real_providers, owner, UPDATES)
    # signed out on the same process (the SQLite run's hub is in memory, per runtime)
    async with httpx.AsyncClient(base_url=f"http://{live}") as client:
        await gql(client, "mutation { logout { __typename } }", headers=owner.headers)
    assert await closed_with(ws) == (4401, "signed out")
