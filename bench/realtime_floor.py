"""The floor of the realtime benchmark: the least a server can do to deliver the API's
events, measured in the same run as the API.

A plain Starlette WebSocket endpoint under uvicorn (same settings as the API: no
permessage-deflate), no GraphQL, no database, no authentication. A client sends one text
frame, `{"business": <id>, "customer": <id or null>}`, and is answered `{"type":"ready"}`
once the process listens. Like the API's event hub, each process subscribes once per
business stream channel on Redis (`<namespace>:business:<id>:stream`, the channel the
outbox relay publishes on), parses each message once, and hands the message's original
text to the bounded queue of every client of that business whose customer filter
matches the payload's `customerId` (no filter: every event); one sender per client
writes its queue to the socket. Routing and fan-out are the API's; everything the API
does on top of them (GraphQL execution, loading the changed object, encoding) is what
the comparison shows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from redis import asyncio as aioredis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

QUEUE_SIZE = 256
READY = '{"type":"ready"}'


class Member:
    def __init__(self, customer: int | None) -> None:
        self.customer = customer
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(QUEUE_SIZE)  # None: closed
        self.gone = False


class FloorRelay:
    """One Redis pub/sub connection per process, one SUBSCRIBE per business channel."""

    def __init__(self, redis_url: str, namespace: str) -> None:
        self.redis = aioredis.Redis.from_url(redis_url)
        self.pubsub: Any = self.redis.pubsub()
        self.namespace = namespace
        self.members: dict[bytes, set[Member]] = {}
        self.listener: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()
        self.dropped = 0

    def channel(self, business: int) -> bytes:
        return f"{self.namespace}:business:{business}:stream".encode()

    async def join(self, business: int, member: Member) -> None:
        channel = self.channel(business)
        async with self.lock:
            if channel not in self.members:
                self.members[channel] = set()
                await self.pubsub.subscribe(channel)
            self.members[channel].add(member)
            if self.listener is None:
                self.listener = asyncio.create_task(self.listen())

    async def leave(self, business: int, member: Member) -> None:
        channel = self.channel(business)
        async with self.lock:
            members = self.members.get(channel)
            if members is None:
                return
            members.discard(member)
            if not members:
                del self.members[channel]
                await self.pubsub.unsubscribe(channel)

    async def listen(self) -> None:
        while True:
            message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None or message["type"] != "message":
                continue
            members = self.members.get(message["channel"])
            if not members:
                continue
            raw: bytes = message["data"]
            text = raw.decode()
            customer = orjson.loads(raw).get("payload", {}).get("customerId")
            for member in members:
                if member.gone or (member.customer is not None and member.customer != customer):
                    continue
                if member.queue.full():  # like the hub: the oldest event goes
                    member.queue.get_nowait()
                    self.dropped += 1
                member.queue.put_nowait(text)

    async def close(self) -> None:
        if self.listener is not None:
            self.listener.cancel()
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()
        await self.redis.aclose()


def create_floor_app(redis_url: str, namespace: str) -> Starlette:
    relay = FloorRelay(redis_url, namespace)

    async def stream(ws: WebSocket) -> None:
        await ws.accept()
        hello = orjson.loads(await ws.receive_text())
        business, member = int(hello["business"]), Member(hello.get("customer"))
        await relay.join(business, member)
        await ws.send_text(READY)

        async def watch() -> None:  # the client only ever closes: then stop the sender
            with contextlib.suppress(Exception):
                await ws.receive()
            member.gone = True
            if member.queue.full():
                member.queue.get_nowait()
            member.queue.put_nowait(None)

        watcher = asyncio.create_task(watch())
        try:
            while (text := await member.queue.get()) is not None:
                await ws.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            return
        finally:
            watcher.cancel()
            await relay.leave(business, member)

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "dropped": relay.dropped})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await relay.close()

    return Starlette(
        routes=[WebSocketRoute("/stream", stream), Route("/healthz", healthz)], lifespan=lifespan
    )


def serve_floor(redis_url: str, namespace: str, port: int) -> None:
    import uvicorn

    uvicorn.run(
        create_floor_app(redis_url, namespace),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        ws_per_message_deflate=False,
        backlog=4096,
        lifespan="on",
    )
