"""The realtime benchmark's clients: GraphQL subscribers (graphql-transport-ws) and floor
subscribers on the minimal WebSocket client, opened in bounded waves, and the reading of
what they received once a phase is over (frames are only timestamped while it runs)."""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from bench.realtime_events import Kind
from bench.ws_client import WsClient, open_ws


class NotAcknowledged(Exception):
    """The server answered connection_init with something else than connection_ack."""


CURSOR = re.compile(rb'"cursor":\s*"1\.([A-Za-z0-9_-]+)"')


class GraphQLClient(WsClient):
    others = 0  # frames of the socket's other subscriptions (`--per-socket`): not recorded

    def ignore(self, payload: bytes) -> bool:
        """Keep-alive pings are answered and not recorded (graphql-transport-ws); nor are
        the frames of operations other than "1", the measured one."""
        if payload.startswith(b'{"id":"') and not payload.startswith(b'{"id":"1"'):
            self.others += 1
            return True
        if len(payload) < 64 and b'"ping"' in payload:
            self.send_text(b'{"type":"pong"}')
            return True
        return len(payload) < 64 and b'"pong"' in payload


@dataclass
class Sub:
    """One subscriber: where it listens and, once read, what it received."""

    side: str  # "api" or "floor"
    proc: int  # which server process
    business: int
    customer: int | None  # the per-customer filter, None for the staff stream
    client: WsClient | None = None
    first: int = 1  # messages before this index are the handshake
    errors: list[bytes] = field(default_factory=list)
    failed: str | None = None  # why it could not open (counted, the run carries on)

    def received(self) -> list[tuple[int, int, float]]:
        """(business, position, arrival time) of every event frame, in arrival order."""
        out: list[tuple[int, int, float]] = []
        self.errors = []
        if self.client is None:
            return out
        for t, payload in self.client.messages[self.first :]:
            key = event_key(self.side, payload)
            if key is None:
                self.errors.append(payload)
            else:
                out.append((key[0], key[1], t))
        return out

    def last_cursor(self) -> str | None:
        if self.client is None:
            return None
        for _, payload in reversed(self.client.messages[self.first :]):
            found = CURSOR.search(payload)
            if found:
                return "1." + found.group(1).decode()
        return None


def event_key(side: str, payload: bytes) -> tuple[int, int] | None:
    """The (business, position) an event frame carries; None for anything else (errors)."""
    if side == "floor":
        message = orjson.loads(payload)
        if "position" not in message:
            return None
        return int(message["businessId"]), int(message["position"])
    found = CURSOR.search(payload)
    if not found or b'"errors"' in payload:
        return None
    body = found.group(1).decode()
    text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    business, _, position = text.partition(":")
    return int(business), int(position)


async def open_api(
    base: str,
    token: str,
    business_gid: str,
    kind: Kind,
    sub: Sub,
    customer_gid: str | None,
    after: str | None = None,
    extra: Sequence[str] = (),
) -> None:
    """Opens a socket with the kind's subscription as operation "1" and, after it, the
    `extra` documents (staff streams, `after` null) as operations "2", "3", …"""
    client = await open_ws(base, "/graphql", "graphql-transport-ws", GraphQLClient)
    init = {"authorization": f"Bearer {token}", "business": business_gid}
    client.send_text(orjson.dumps({"type": "connection_init", "payload": init}))
    await asyncio.wait_for(client.wait_for(1), 60)
    if b"connection_ack" not in client.messages[0][1]:
        client.close()
        raise NotAcknowledged(repr(client.messages[0][1][:200]))
    variables: dict[str, Any] = {"after": after}
    if kind.filters_customer:
        variables["c"] = customer_gid
    payload = {"query": kind.document, "variables": variables}
    message = {"id": "1", "type": "subscribe", "payload": payload}
    client.send_text(orjson.dumps(message))
    for n, document in enumerate(extra, start=2):
        other = {"query": document, "variables": {"after": None}}
        client.send_text(orjson.dumps({"id": str(n), "type": "subscribe", "payload": other}))
    sub.client, sub.first = client, 1


async def open_floor(base: str, sub: Sub) -> None:
    client = await open_ws(base, "/stream")
    client.send_text(orjson.dumps({"business": sub.business, "customer": sub.customer}))
    await asyncio.wait_for(client.wait_for(1), 60)
    sub.client, sub.first = client, 1


async def guarded(sub: Sub, opener: Callable[[], Awaitable[None]]) -> bool:
    """Runs one opener; a refused, closed or unacknowledged socket marks the subscriber
    failed (a loaded host drops some) instead of ending the run. Whether it opened."""
    try:
        await opener()
        return True
    except (OSError, TimeoutError, NotAcknowledged) as exc:
        if sub.client is not None:
            sub.client.close()
        sub.client, sub.failed = None, type(exc).__name__
        return False


def failed(subs: Sequence[Sub]) -> int:
    return sum(1 for s in subs if s.failed is not None)


async def in_waves(jobs: Sequence[Callable[[], Awaitable[object]]], parallel: int = 64) -> None:
    """Runs the openers with at most `parallel` at once (a burst of thousands of
    handshakes would only measure the listen backlog)."""
    gate = asyncio.Semaphore(parallel)

    async def run(job: Callable[[], Awaitable[object]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(run(job) for job in jobs))


def close_all(subs: Sequence[Sub]) -> None:
    for sub in subs:
        if sub.client is not None:
            sub.client.close()


def total_messages(subs: Sequence[Sub]) -> int:
    return sum(len(s.client.messages) - s.first for s in subs if s.client is not None)


async def settle(subs: Sequence[Sub], want: int, quiet: float = 1.0, limit: float = 60.0) -> None:
    """Waits until the subscribers hold `want` event messages in all, or nothing new has
    arrived for `quiet` seconds (then what is missing is lost), or `limit` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    last, last_change = -1, loop.time()
    while loop.time() < deadline:
        now_total = total_messages(subs)
        if now_total >= want:
            return
        if now_total != last:
            last, last_change = now_total, loop.time()
        elif loop.time() - last_change > quiet:
            return
        await asyncio.sleep(0.05)
