"""The streams across API OS processes (issue 18 §5): on PostgreSQL + Redis two real
`khata serve` processes (tests/processes.py), on SQLite the embedded single process with
its in-memory broadcast. Over real WebSockets (graphql-transport-ws): a change committed
through process A reaches a subscriber on process B (invoiceUpdates, orderUpdates,
customerEvents); interleaved events of two businesses never cross; a subscriber whose
process is killed and restarted resumes from its cursor with nothing lost or repeated;
revoking a credential through A closes its stream on B."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets

from khata.runtime import Runtime
from tests.accounts.test_revocation import closed_with, create_api_key
from tests.accounts.test_revocation import connect as connect_with
from tests.conftest import Actor, sign_up
from tests.invoicing import helpers as invoicing
from tests.orders import helpers as orders
from tests.orders.test_order_updates import ORDER_UPDATES
from tests.processes import ApiProcess, api_processes
from tests.realtime import CUSTOMER_EVENTS, INVOICE_UPDATES, connect, update

Pair = tuple[ApiProcess, ApiProcess]
LINE = [{"description": "Rice 5kg", "quantity": "1", "unitPrice": "100", "taxRate": "0"}]


@pytest.fixture(scope="module")
async def processes(runtime: Runtime) -> AsyncIterator[Pair]:
    """Started once per module (a `khata serve` start costs seconds); `runtime` has
    migrated the database they share."""
    async with api_processes(runtime.settings) as pair:
        yield pair


@pytest.fixture
async def pair(processes: Pair) -> AsyncIterator[Pair]:
    yield processes
    for process in dict.fromkeys(processes):  # nothing left open to skew the next counts
        await process.settled()


@pytest.fixture
async def through(pair: Pair) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """HTTP clients of process A and process B."""
    async with (
        httpx.AsyncClient(base_url=f"http://{pair[0].address}") as a,
        httpx.AsyncClient(base_url=f"http://{pair[1].address}") as b,
    ):
        yield a, b


def on(actor: Actor, client: httpx.AsyncClient) -> Actor:
    """The same credentials, talking to another process."""
    return dataclasses.replace(actor, client=client)


async def listen(ws: Any, process: ApiProcess, query: str, name: str, **variables: Any) -> None:
    """Subscribes and returns once the process's stream listens. Each subscriber names its
    operation: identical subscriptions in one process share one stream (cohorts), and the
    embedded run serves A and B from one process."""
    named = query.replace("subscription(", f"subscription {name}(", 1)
    before = await process.subscriptions()
    payload = {"query": named, "variables": variables}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    await process.wait_subscriptions(before + 1)


@contextlib.asynccontextmanager
async def subscribed(
    process: ApiProcess, actor: Actor, query: str, name: str, **variables: Any
) -> AsyncIterator[Any]:
    ws = await connect(process.address, actor)
    try:
        await listen(ws, process, query, name, **variables)
        yield ws
    finally:
        await ws.close()


async def created(actor: Actor, name: str) -> None:
    body = await actor.gql(
        "mutation($n: String!) { createCustomer(input: {name: $n}) { __typename } }", {"n": name}
    )
    assert body["data"]["createCustomer"]["__typename"] == "CustomerPayload", body


async def names(ws: Any, n: int) -> list[str]:
    return [(await update(ws, "customerEvents"))["name"] for _ in range(n)]


async def test_invoice_updates_reach_the_other_process(pair: Pair, through: Any) -> None:
    b = pair[1]
    owner = await sign_up(through[0], "IN")
    cid = await invoicing.customer_id(owner)
    async with subscribed(b, owner, INVOICE_UPDATES, "OnB", customerId=cid) as ws:
        issued = (await invoicing.invoice(owner, cid, LINE))["invoice"]
        await invoicing.pay(owner, issued["id"], "40", "multiproc-1")
        first, paid = await update(ws), await update(ws)
    assert first["kind"] == "ISSUED" and first["invoice"]["id"] == issued["id"]
    assert first["invoice"]["number"] == issued["number"] and first["cursor"]
    assert (paid["kind"], paid["amount"], paid["balance"]) == (
        "PAYMENT_RECEIVED",
        {"amount": "40.00"},
        {"amount": "60.00"},
    )
    assert paid["invoice"]["balance"] == {"amount": "60.00"}


async def test_order_updates_reach_the_other_process(pair: Pair, through: Any) -> None:
    b = pair[1]
    owner = await sign_up(through[0], "IN")
    cid = await orders.customer_id(owner)
    async with subscribed(b, owner, ORDER_UPDATES, "OnB") as ws:
        order = await orders.placed(owner, cid)
        moved = await orders.change(owner, order["id"], "CONFIRMED", order["version"])
        assert moved["__typename"] == "OrderPayload", moved
        first, second = await update(ws, "orderUpdates"), await update(ws, "orderUpdates")
    assert first["kind"] == "CREATED" and first["order"]["id"] == order["id"]
    assert second["kind"] == "STATUS_CHANGED"
    assert second["order"]["status"] == "CONFIRMED"
    assert second["timelineEntry"]["toStatus"] == "CONFIRMED"


async def test_customer_events_reach_the_other_process(pair: Pair, through: Any) -> None:
    b = pair[1]
    owner = await sign_up(through[0], "IN")
    async with subscribed(b, owner, CUSTOMER_EVENTS, "OnB") as ws:
        await created(owner, "Asha")
        await created(on(owner, through[1]), "Ravi")  # and through B itself
        assert await names(ws, 2) == ["Asha", "Ravi"]


async def test_interleaved_businesses_never_cross(pair: Pair, through: Any) -> None:
    a, b = await sign_up(through[0], "IN"), await sign_up(through[1], "KE")
    writers = [a, b, on(a, through[1]), on(b, through[0])]  # both businesses, both processes
    async with contextlib.AsyncExitStack() as stack:
        streams = {}
        for who, actor in (("a", a), ("b", b)):
            for where, process in zip("12", pair, strict=True):
                streams[who + where] = await stack.enter_async_context(
                    subscribed(process, actor, CUSTOMER_EVENTS, f"{who.upper()}{where}")
                )
        for i in range(3):
            for writer, tag in zip(writers, ("A", "B", "A'", "B'"), strict=True):
                await created(writer, f"{tag}{i}")
        want = {
            "a": [f"{t}{i}" for i in range(3) for t in ("A", "A'")],
            "b": [f"{t}{i}" for i in range(3) for t in ("B", "B'")],
        }
        for key, ws in streams.items():
            assert await names(ws, 6) == want[key[0]], key
        await created(a, "A-end")  # a marker: nothing of the other business came before it
        await created(b, "B-end")
        for key, ws in streams.items():
            assert await names(ws, 1) == [f"{key[0].upper()}-end"], key


async def test_a_killed_and_restarted_process_resumes_from_the_cursor(
    pair: Pair, through: Any, client: httpx.AsyncClient
) -> None:
    a, b = pair
    owner = await sign_up(through[0], "IN")
    # While B is down, A writes; on SQLite A is B, so the suite's in-process app does.
    meanwhile = owner if a is not b else on(owner, client)
    ws = await connect(b.address, owner)
    await listen(ws, b, CUSTOMER_EVENTS, "OnB")
    await created(owner, "before")
    last = await update(ws, "customerEvents")
    await b.kill()
    with pytest.raises(websockets.ConnectionClosed):
        await ws.recv()  # the socket died with the process
    for name in ("gap1", "gap2"):
        await created(meanwhile, name)
    await b.start()
    async with subscribed(b, owner, CUSTOMER_EVENTS, "OnB", after=last["cursor"]) as ws:
        await created(owner, "after")
        assert await names(ws, 3) == ["gap1", "gap2", "after"]
        await created(owner, "end")
        assert await names(ws, 1) == ["end"]  # and nothing twice before it


async def test_revoking_through_one_process_closes_the_stream_on_the_other(
    pair: Pair, through: Any
) -> None:
    b = pair[1]
    owner = await sign_up(through[0], "IN")
    key_id, secret = await create_api_key(owner, ["ORDERS_READ"])
    session_ws = await connect(b.address, owner)
    await listen(session_ws, b, INVOICE_UPDATES, "Session")
    key_ws = await connect_with(b.address, secret, owner.business_id)
    await listen(key_ws, b, ORDER_UPDATES, "Key")
    body = await owner.gql(
        "mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { __typename } }",
        {"input": {"id": key_id}},
    )
    assert body["data"]["revokeApiKey"]["__typename"] == "ApiKeyPayload", body
    assert await closed_with(key_ws) == (4401, "API key revoked")
    body = await owner.gql("mutation { logout { __typename } }")
    assert body["data"]["logout"]["__typename"] == "LogoutPayload", body
    assert await closed_with(session_ws) == (4401, "signed out")
