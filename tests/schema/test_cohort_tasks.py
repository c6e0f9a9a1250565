"""What an open, idle subscription costs in asyncio tasks (issue 18 §4: memory per open
subscription): its connection's ASGI task and, as a group of its own, the group's pump.
No task per member while it has nothing to write, none per expiring session."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from khata.runtime import Runtime
from schema.http.cohorts import Cohorts
from tests.conftest import sign_up
from tests.schema.test_cohorts import CREATE, business_of, ready
from tests.schema.ws_helpers import next_text, open_socket, send_subscribe

# each its own group: the document text differs
DOCUMENT = "subscription { # %s\n customerEvents { eventId topic name } }"
OPENED = 3


def server_tasks() -> int:
    """Tasks of this process other than the test's websockets clients."""
    return len(
        [
            task
            for task in asyncio.all_tasks()
            if "site-packages/websockets/" not in task.get_coro().cr_code.co_filename  # type: ignore[union-attr]
        ]
    )


async def test_an_idle_subscription_holds_at_most_two_tasks(
    http: httpx.AsyncClient, server: str, app: Any, runtime: Runtime
) -> None:
    cohorts: Cohorts = app.state.cohorts
    owner = await sign_up(http, "IN")
    bid = business_of(owner)
    sockets = [await open_socket(server, owner.token, owner.business_id)]
    try:
        await send_subscribe(sockets[0], "w", DOCUMENT % "warm")  # the channel's listener
        await ready(cohorts, runtime, bid, [1])
        await owner.gql(CREATE, {"n": "Warm"})
        await next_text(sockets[0])
        before = server_tasks()
        for n in range(OPENED):
            ws = await open_socket(server, owner.token, owner.business_id)
            sockets.append(ws)
            await send_subscribe(ws, f"s{n}", DOCUMENT % n)
        await ready(cohorts, runtime, bid, [1] * (OPENED + 1))
        await owner.gql(CREATE, {"n": "Everyone"})
        for ws in sockets:  # each got it, and sits idle again
            frame = json.loads(await next_text(ws))
            assert frame["payload"]["data"]["customerEvents"]["name"] == "Everyone"
        # per subscription: its connection's ASGI task and its group's pump
        assert server_tasks() - before <= 2 * OPENED
    finally:
        for ws in sockets:
            await ws.close()
