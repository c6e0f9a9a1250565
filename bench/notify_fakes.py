"""The fake Twilio and SendGrid servers of tests/fakes, served in the benchmark's process,
each stamping the arrival of every send request (wall clock, before the fake's own work):
the "provider call" end of the notification latency, counted per recipient."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson
import uvicorn
from starlette.requests import Request
from starlette.responses import Response

from tests.fakes.sendgrid_server import FakeSendGrid
from tests.fakes.twilio_server import FakeTwilio


@dataclass
class Arrivals:
    """(time.time(), body) of each send request, by channel and recipient."""

    by_to: dict[tuple[str, str], list[tuple[float, str]]] = field(default_factory=dict)
    count: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, channel: str, to: str, body: str) -> None:
        self.by_to.setdefault((channel, to), []).append((time.time(), body))
        self.count += 1
        self.changed.set()

    async def wait(self, done: Any, seconds: float) -> bool:
        """Waits (woken by each arrival) until `done()` holds; False after `seconds`."""
        deadline = time.monotonic() + seconds
        while not done():
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                return bool(done())
        return True


@dataclass
class StampedTwilio(FakeTwilio):
    arrivals: Arrivals = field(default_factory=Arrivals)

    async def messages_endpoint(self, request: Request) -> Response:
        if request.method == "POST":
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            self.arrivals.add("sms", str(form.get("To", "")), str(form.get("Body", "")))
        return await super().messages_endpoint(request)


@dataclass
class StampedSendGrid(FakeSendGrid):
    arrivals: Arrivals = field(default_factory=Arrivals)

    async def send(self, request: Request) -> Response:
        mail = orjson.loads(await request.body())
        to = mail["personalizations"][0]["to"][0]["email"]
        self.arrivals.add("email", to, str(mail.get("subject", "")))
        return await super().send(request)


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """`app` on uvicorn on a free loopback port, in this process: its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    config = uvicorn.Config(app, lifespan="off", log_level="warning", backlog=1024)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
