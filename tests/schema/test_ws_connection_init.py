"""connection_init params of the wrong type are refused with 4403 and a reason, never a
crash (schema/context.py)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from tests.conftest import sign_up


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"business": 1}, "business"),
        ({"business": {"id": "QnVzaW5lc3M6MQ"}}, "business"),
        ({"business": ["QnVzaW5lc3M6MQ"]}, "business"),
        ({"x-khata-business": 3.5}, "business"),
        ({"authorization": 12345}, "authorization"),
        ({"authorization": {"Bearer": "x"}}, "authorization"),
    ],
)
async def test_connection_init_params_of_the_wrong_type(
    server: str, params: dict[str, Any], reason: str
) -> None:
    async with httpx.AsyncClient(base_url=f"http://{server}") as http:
        token = (await sign_up(http, "IN")).token
    ws = await websockets.connect(
        f"ws://{server}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    )
    payload = {"authorization": f"Bearer {token}", **params}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 10)  # the first frame would be connection_ack
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403
    assert reason in closed.value.rcvd.reason
