"""invoiceUpdates over a real WebSocket: every kind of event with the Invoice and a cursor,
filters, resume with `after`, typed errors (bad and expired cursors, limits), and a
sign-out closing the stream. On the PostgreSQL run events travel through Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from domain.core.clock import FrozenClock
from domain.core.stream import prune
from domain.core.tx import Tx
from domain.invoicing import service
from khata.composition import build_runtime, create_app
from khata.runtime import Runtime
from schema.relay import expect_id, to_global_id
from tests.accounts.test_revocation import closed_with
from tests.conftest import Actor, serving, sign_up, viewer_of
from tests.invoicing.helpers import customer_id, invoice, pay
from tests.realtime import CUSTOMER_EVENTS, INVOICE_UPDATES, connect, error_code, subscribe, update

LINE = [{"description": "Rice 5kg", "quantity": "1", "unitPrice": "100", "taxRate": "0"}]
NOTE = """mutation($id: ID!) { issueCreditNote(input: { invoiceId: $id, amount: "10",
  reason: "damaged" }) { __typename } }"""
VOID = """mutation($id: ID!) { voidInvoice(input: { id: $id, reason: "typo" }) { __typename } }"""


async def _mark_sent(rt: Runtime, actor: Actor, invoice_id: str) -> None:
    """What the sender does once a provider accepted the message (no sender yet)."""
    async with rt.db.unit_of_work() as session:
        tx = Tx(session, viewer_of(actor), rt.clock)
        row = await service.get_invoice(tx, expect_id(invoice_id, "Invoice"), lock=True)
        await service.mark_sent(tx, row, ["sms"])


async def test_every_invoice_event_arrives_with_the_invoice_and_a_cursor(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    cid = await customer_id(owner)
    ws = await connect(server, owner)
    await subscribe(ws, runtime, owner, customerId=cid)
    first = (await invoice(owner, cid, LINE))["invoice"]
    issued = await update(ws)
    assert issued["kind"] == "ISSUED" and issued["invoice"]["id"] == first["id"]
    assert issued["invoice"]["number"] == first["number"] and issued["cursor"]
    await _mark_sent(runtime, owner, first["id"])
    sent = await update(ws)
    assert sent["kind"] == "SENT" and sent["invoice"]["status"] == "SENT"
    await pay(owner, first["id"], "40", "k1")
    paid = await update(ws)
    assert (paid["kind"], paid["method"], paid["amount"], paid["balance"]) == (
        "PAYMENT_RECEIVED",
        "UPI",
        {"amount": "40.00"},
        {"amount": "60.00"},
    )
    await owner.gql(NOTE, {"id": first["id"]})
    note = await update(ws)
    assert note["kind"] == "CREDIT_NOTE_ISSUED" and note["amount"] == {"amount": "10.00"}
    await pay(owner, first["id"], "50", "k2")
    kinds = [(await update(ws))["kind"] for _ in range(2)]
    assert kinds == ["PAYMENT_RECEIVED", "PAID"]
    second = (await invoice(owner, cid, LINE))["invoice"]
    await owner.gql(VOID, {"id": second["id"]})
    assert [(await update(ws))["kind"] for _ in range(2)] == ["ISSUED", "VOIDED"]
    await ws.close()


async def test_filters_and_resume_after_a_cursor(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    cid, other = await customer_id(owner), await customer_id(owner, name="Other")
    a = (await invoice(owner, cid, LINE))["invoice"]
    b = (await invoice(owner, other, LINE))["invoice"]
    ws = await connect(server, owner)
    await subscribe(ws, runtime, owner, invoiceId=a["id"])
    await pay(owner, b["id"], "5", "b1")  # another invoice: filtered out
    await pay(owner, a["id"], "10", "a1")
    seen = await update(ws)
    assert seen["invoice"]["id"] == a["id"] and seen["amount"] == {"amount": "10.00"}
    await ws.close()
    # missed while away: served from the database first, then live ones, never twice
    await pay(owner, a["id"], "20", "a2")
    await pay(owner, a["id"], "30", "a3")
    ws = await connect(server, owner)
    await subscribe(ws, runtime, owner, invoiceId=a["id"], after=seen["cursor"])
    assert [(await update(ws))["amount"]["amount"] for _ in range(2)] == ["20.00", "30.00"]
    await pay(owner, a["id"], "40", "a4")
    assert (await update(ws))["amount"] == {"amount": "40.00"}
    await ws.close()


async def test_bad_and_expired_cursors_are_typed_errors(
    http: httpx.AsyncClient, server: str, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    ws = await connect(server, owner)
    await subscribe(ws, runtime, owner, wait=False, after="not-a-cursor")
    assert await error_code(ws) == "BAD_CURSOR"
    await subscribe(ws, runtime, owner, CUSTOMER_EVENTS, op="2")
    await customer_id(owner)
    cursor = (await update(ws, "customerEvents"))["cursor"]
    await customer_id(owner, name="Later")
    await update(ws, "customerEvents")
    await runtime.relay.flush()
    later = FrozenClock(runtime.clock.now() + timedelta(days=8))
    await prune(runtime.db, later, timedelta(days=runtime.settings.stream_retention_days))
    await subscribe(ws, runtime, owner, CUSTOMER_EVENTS, op="3", wait=False, after=cursor)
    assert await error_code(ws) == "CURSOR_EXPIRED"
    await ws.close()


@pytest.fixture
async def limited(runtime: Runtime) -> AsyncIterator[tuple[str, Runtime]]:
    limits = {"max_subscriptions_per_connection": 2, "max_subscriptions_per_user": 3}
    rt = build_runtime(runtime.settings.model_copy(update=limits), hub=runtime.hub)
    async with serving(create_app(rt.settings, runtime=rt)) as address:
        yield address, rt


async def test_subscriptions_per_connection_and_per_user_are_capped(
    http: httpx.AsyncClient, limited: tuple[str, Runtime]
) -> None:
    server, rt = limited
    owner = await sign_up(http, "IN")
    ws1, ws2 = await connect(server, owner), await connect(server, owner)

    def only(n: int) -> str:  # distinct filters: equal subscriptions would share one group
        return to_global_id("Customer", n)

    for op in ("1", "2"):
        await subscribe(ws1, rt, owner, op=op, customerId=only(int(op)))
    await subscribe(ws1, rt, owner, op="3", wait=False, customerId=only(3))
    assert await error_code(ws1) == "SUBSCRIPTION_LIMIT"  # the connection's cap
    await subscribe(ws2, rt, owner, op="1", customerId=only(4))
    await subscribe(ws2, rt, owner, op="2", wait=False, customerId=only(5))
    assert await error_code(ws2) == "SUBSCRIPTION_LIMIT"  # the user's cap (3)
    await ws1.close()
    await ws2.close()


@pytest.mark.parametrize("query", ["invoiceUpdates", "customerEvents"])
async def test_signing_out_closes_the_stream(
    http: httpx.AsyncClient, server: str, runtime: Runtime, query: str
) -> None:
    owner = await sign_up(http, "IN")
    ws = await connect(server, owner)
    document = CUSTOMER_EVENTS if query == "customerEvents" else INVOICE_UPDATES
    await subscribe(ws, runtime, owner, document)
    await owner.gql("mutation { logout { __typename } }")
    assert await closed_with(ws) == (4401, "signed out")
