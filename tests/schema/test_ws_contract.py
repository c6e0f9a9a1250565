"""Contract of the subscription-group handler with Strawberry's stock graphql-transport-ws
handler (pinned: strawberry-graphql 0.341.2, requirements.lock): two views of the same
runtime, one with each handler, get the same client messages and the same events, and
must send the same frames, byte for byte, and close the same way."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from importlib.metadata import version
from typing import Any

import httpx
import pytest
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from websockets.typing import Subprotocol

from domain.core.outbox import stream_channel as channel_for
from khata.runtime import Runtime
from schema.app import graphql_view
from schema.http.ws_handler import CohortTransportWSHandler
from schema.relay import parse_global_id
from tests.accounts.test_revocation import create_api_key
from tests.conftest import Actor, serving, sign_up
from tests.schema.ws_helpers import CUSTOMER_EVENTS, next_text, open_socket, send_subscribe

Pair = tuple[str, str, Any]  # (stock server, grouped server, the grouped view's cohorts)


@pytest.fixture(scope="module")
async def pair(runtime: Runtime) -> AsyncIterator[Pair]:
    stock, grouped = graphql_view(runtime, cohorts=False), graphql_view(runtime, cohorts=True)
    assert grouped.graphql_transport_ws_handler_class is CohortTransportWSHandler
    assert stock.graphql_transport_ws_handler_class is not CohortTransportWSHandler
    async with (
        serving(Starlette(routes=[WebSocketRoute("/graphql", stock)])) as a,
        serving(Starlette(routes=[WebSocketRoute("/graphql", grouped)])) as b,
    ):
        yield a, b, grouped.cohorts


def test_the_pinned_strawberry_version() -> None:
    """The handler subclasses an undocumented class: a new Strawberry needs this contract
    re-checked (and the pin in requirements.lock moved) on purpose."""
    assert version("strawberry-graphql") == "0.341.2"


async def until_terminal(ws: Any, op: str) -> list[str]:
    """The frames of operation `op` up to its `complete` or `error`."""
    frames = [await next_text(ws)]
    while not (json.loads(frames[-1])["type"] in ("complete", "error") and op in frames[-1]):
        frames.append(await next_text(ws))
    return frames


async def both(pair: Pair, actor: Actor | None, script: Any) -> tuple[Any, Any]:
    token, business = (actor.token, actor.business_id) if actor else (None, None)
    stock = await open_socket(pair[0], token, business)
    grouped = await open_socket(pair[1], token, business)
    try:
        return await script(stock), await script(grouped)
    finally:
        await stock.close()
        await grouped.close()


async def test_a_subscription_and_a_complete_from_the_client(
    pair: Pair, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await sign_up(http, "IN")
    channel = channel_for(parse_global_id(owner.business_id)[1])
    stock = await open_socket(pair[0], owner.token, owner.business_id)
    grouped = await open_socket(pair[1], owner.token, owner.business_id)
    try:
        for ws in (stock, grouped):
            await send_subscribe(ws, "live")
        await asyncio.wait_for(runtime.hub.wait_for_subscribers(channel, 2), 10)
        assert len(pair[2].groups) == 1  # the grouped server runs it as a group
        await owner.gql('mutation { createCustomer(input: {name: "Ravi"}) { __typename } }')
        first = [await next_text(stock), await next_text(grouped)]
        assert first[0] == first[1] and '"name":"Ravi"' in first[0]
        for ws in (stock, grouped):
            await ws.send(json.dumps({"id": "live", "type": "complete"}))
        await asyncio.wait_for(runtime.hub.wait_for_subscribers(channel, 0), 10)
        await owner.gql('mutation { createCustomer(input: {name: "Late"}) { __typename } }')
        for ws in (stock, grouped):
            await ws.send(json.dumps({"type": "ping"}))
        after = [await next_text(stock), await next_text(grouped)]
        assert after == ['{"type":"pong"}'] * 2  # nothing more for the completed operation
    finally:
        await stock.close()
        await grouped.close()


@pytest.mark.parametrize(
    "query",
    [
        "subscription { customerEvents { nope } }",  # validation: an `error` frame
        "subscription($x: Int!) { customerEvents { name } }",  # missing variable
        "subscription { customerEvents { name } } subscription { customerEvents { topic } }",
    ],
)
async def test_errors_before_execution(pair: Pair, http: httpx.AsyncClient, query: str) -> None:
    owner = await sign_up(http, "KE")

    async def script(ws: Any) -> list[str]:
        await send_subscribe(ws, "e", query)
        return await until_terminal(ws, "e")

    stock, grouped = await both(pair, owner, script)
    assert stock == grouped and json.loads(stock[0])["type"] == "error"


async def test_errors_of_the_resolver(pair: Pair, http: httpx.AsyncClient) -> None:
    """Anonymous, and an API key without the scope: the resolver refuses."""
    owner = await sign_up(http, "ZA")
    _, secret = await create_api_key(owner, ["INVOICES_READ"])
    keyed = Actor(secret, "", owner.user_id, "", "", http)

    async def script(ws: Any) -> list[str]:
        await send_subscribe(ws, "r", CUSTOMER_EVENTS)
        return await until_terminal(ws, "r")

    for actor in (None, keyed):
        stock, grouped = await both(pair, actor, script)
        assert stock == grouped and '"errors"' in stock[0], stock
        assert stock[-1] == '{"id":"r","type":"complete"}'


async def test_a_query_over_the_socket(pair: Pair, http: httpx.AsyncClient) -> None:
    owner = await sign_up(http, "OM")

    async def script(ws: Any) -> list[str]:
        await send_subscribe(ws, "q", "{ viewer { user { email } } }")
        return await until_terminal(ws, "q")

    stock, grouped = await both(pair, owner, script)
    assert stock == grouped and owner.email in stock[0] and len(stock) == 2


async def test_a_rejected_connection(pair: Pair) -> None:
    closes = []
    for server in pair[:2]:
        ws = await websockets.connect(
            f"ws://{server}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
        )
        payload = {"authorization": "Bearer not-a-token"}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None
        closes.append((closed.value.rcvd.code, closed.value.rcvd.reason))
    assert closes[0] == closes[1] and closes[0][0] == 4403
