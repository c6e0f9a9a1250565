"""graphql-transport-ws clients for the subscription-group tests: raw frames as text."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import websockets
from websockets.typing import Subprotocol

CUSTOMER_EVENTS = "subscription { customerEvents { eventId topic name } }"


async def open_socket(
    server: str, token: str | None, business: str | None, *, receive_buffer: int | None = None
) -> Any:
    """A socket past connection_ack. `receive_buffer`: a small kernel receive buffer and
    a one-frame client queue, so a client that stops reading soon stops the server's
    sends to it (a slow socket)."""
    kwargs: dict[str, Any] = {}
    if receive_buffer is not None:
        host, port = server.split(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.connect((host, int(port)))
        kwargs = {"sock": sock, "max_queue": 1}
    ws = await websockets.connect(
        f"ws://{server}/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        max_size=None,
        **kwargs,
    )
    payload: dict[str, str] = {}
    if token:
        payload["authorization"] = f"Bearer {token}"
    if business:
        payload["business"] = business
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    return ws


async def send_subscribe(
    ws: Any, op: str, query: str = CUSTOMER_EVENTS, variables: dict[str, Any] | None = None
) -> None:
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": payload}))


async def next_text(ws: Any) -> str:
    """The next frame other than a keep-alive ping, as the text the server sent."""
    while True:
        text = await asyncio.wait_for(ws.recv(), 10)
        if json.loads(text)["type"] != "ping":
            return str(text)


async def next_frame(ws: Any) -> dict[str, Any]:
    return json.loads(await next_text(ws))  # type: ignore[no-any-return]
