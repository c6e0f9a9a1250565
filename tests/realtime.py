"""WebSocket helpers for the stream tests: connect with graphql-transport-ws, subscribe
and wait until the serving process listens, read frames (pings skipped)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets
from websockets.typing import Subprotocol

from domain.core.outbox import stream_channel
from khata.runtime import Runtime
from schema.relay import parse_global_id
from tests.conftest import Actor

INVOICE_UPDATES = """subscription($invoiceId: ID, $customerId: ID, $after: String) {
  invoiceUpdates(invoiceId: $invoiceId, customerId: $customerId, after: $after) {
    cursor kind method amount { amount } balance { amount }
    invoice { id number status balance { amount } } } }"""
CUSTOMER_EVENTS = """subscription($after: String) { customerEvents(after: $after) {
  cursor eventId topic name } }"""


async def connect(server: str, actor: Actor) -> Any:
    ws = await websockets.connect(
        f"ws://{server}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    )
    payload = {"authorization": f"Bearer {actor.token}", "business": actor.business_id}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    return ws


async def subscribe(
    ws: Any,
    rt: Runtime,
    actor: Actor,
    query: str = INVOICE_UPDATES,
    op: str = "1",
    wait: bool = True,
    **variables: Any,
) -> None:
    """Subscribes; with `wait`, returns once the serving process listens on the stream."""
    channel = stream_channel(parse_global_id(actor.business_id)[1])
    before = rt.hub.subscriber_count(channel)
    message = {"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables}}
    await ws.send(json.dumps(message))
    if wait:
        await asyncio.wait_for(rt.hub.wait_for_subscribers(channel, before + 1), 10)


async def frame(ws: Any) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["type"] not in ("ping", "pong", "complete"):
            return message  # type: ignore[no-any-return]


async def update(ws: Any, field: str = "invoiceUpdates") -> dict[str, Any]:
    message = await frame(ws)
    assert message["type"] == "next" and "errors" not in message["payload"], message
    return message["payload"]["data"][field]  # type: ignore[no-any-return]


async def error_code(ws: Any) -> str:
    message = await frame(ws)
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    return str(errors[0]["extensions"]["code"])
