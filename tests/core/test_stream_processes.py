"""Two API processes (two runtimes on one database, each with its own Redis pub/sub link,
each served by uvicorn on its own loopback port): a change made through one reaches
subscribers of the other, businesses never cross, and after a killed pub/sub connection
or a restart of a Redis this test starts itself, subscribers resume from their last
cursor with nothing lost and nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from domain.core.events import EventHub
from khata.composition import build_runtime, create_app
from khata.runtime import Runtime
from tests.conftest import REDIS_URL, serving, sign_up
from tests.realtime import CUSTOMER_EVENTS, connect, error_code, subscribe, update

REDIS_SERVER = "/usr/bin/redis-server"
Processes = tuple[str, Runtime, str, Runtime]


@contextlib.asynccontextmanager
async def two_processes(runtime: Runtime, redis_url: str) -> AsyncIterator[Processes]:
    namespace = f"khata_test_{uuid.uuid4().hex[:8]}"
    rts = [
        build_runtime(runtime.settings, hub=EventHub(redis_url, namespace=namespace))
        for _ in range(2)
    ]
    for rt in rts:
        await rt.start(sweep=False)
    try:
        async with (
            serving(create_app(rts[0].settings, runtime=rts[0])) as one,
            serving(create_app(rts[1].settings, runtime=rts[1])) as two,
        ):
            yield one, rts[0], two, rts[1]
    finally:
        for rt in rts:
            await rt.stop()


async def created(actor: Any, name: str) -> None:
    await actor.gql(
        "mutation($n: String!) { createCustomer(input: {name: $n}) { __typename } }", {"n": name}
    )


async def names(ws: Any, n: int) -> list[str]:
    return [(await update(ws, "customerEvents"))["name"] for _ in range(n)]


async def test_events_cross_processes_but_never_businesses(runtime: Runtime) -> None:
    async with (
        two_processes(runtime, REDIS_URL) as (one, rt1, two, rt2),
        httpx.AsyncClient(base_url=f"http://{one}") as http1,
        httpx.AsyncClient(base_url=f"http://{two}") as http2,
    ):
        a, b = await sign_up(http1, "IN"), await sign_up(http2, "KE")
        a2 = type(a)(**{**a.__dict__, "client": http2})  # A's owner, talking to process 2
        b1 = type(b)(**{**b.__dict__, "client": http1})
        subscribers = {}
        for who, actor in (("a", a), ("b", b)):
            for where, server, rt in (("1", one, rt1), ("2", two, rt2)):
                ws = await connect(server, actor)
                await subscribe(ws, rt, actor, CUSTOMER_EVENTS)
                subscribers[who + where] = ws
        for i in range(3):  # interleaved over both processes and both businesses
            await created(a, f"A{i}")
            await created(b, f"B{i}")
            await created(a2, f"A{i}'")
            await created(b1, f"B{i}'")
        want_a = [n for i in range(3) for n in (f"A{i}", f"A{i}'")]
        want_b = [n for i in range(3) for n in (f"B{i}", f"B{i}'")]
        for key, ws in subscribers.items():
            assert await names(ws, 6) == (want_a if key[0] == "a" else want_b), key
        # a marker after the real events: nothing of the other business came in between
        await created(a, "A-end")
        await created(b, "B-end")
        for key, ws in subscribers.items():
            assert await names(ws, 1) == [f"{key[0].upper()}-end"]
            await ws.close()


async def _kill_pubsub(backend: Any) -> None:
    from redis.asyncio import Redis

    admin = Redis.from_url(REDIS_URL, decode_responses=True)
    try:  # only this hub's own connection, found by its name
        ours = [
            c["id"]
            for c in await admin.client_list(_type="pubsub")
            if c["name"] == backend.client_name
        ]
        assert len(ours) == 1, ours
        assert await admin.execute_command("CLIENT", "KILL", "ID", ours[0]) == 1
    finally:
        await admin.aclose()


async def test_a_killed_pubsub_connection_resumes_from_the_last_cursor(runtime: Runtime) -> None:
    async with (
        two_processes(runtime, REDIS_URL) as (one, _rt1, two, rt2),
        httpx.AsyncClient(base_url=f"http://{one}") as http1,
    ):
        owner = await sign_up(http1, "IN")
        ws = await connect(two, owner)
        await subscribe(ws, rt2, owner, CUSTOMER_EVENTS)
        await created(owner, "before")
        last = await update(ws, "customerEvents")
        await _kill_pubsub(rt2.hub.backend)
        assert await error_code(ws) == "RESUBSCRIBE"
        for name in ("gap1", "gap2"):  # committed through process 1 while 2 is cut off
            await created(owner, name)
        await asyncio.wait_for(rt2.hub.backend.connected.wait(), 15)
        await subscribe(ws, rt2, owner, CUSTOMER_EVENTS, op="2", after=last["cursor"])
        await created(owner, "after")
        assert await names(ws, 3) == ["gap1", "gap2", "after"]
        await created(owner, "end")
        assert await names(ws, 1) == ["end"]  # and nothing twice before it
        await ws.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_redis(port: int) -> subprocess.Popen[str]:
    """The test's own Redis; returns once it accepts connections (it says so on stdout)."""
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "Ready to accept connections" in line:
            return proc
    raise RuntimeError("redis-server did not start")


async def test_a_restarted_redis_loses_no_events(runtime: Runtime) -> None:
    port = _free_port()
    redis = await asyncio.to_thread(_start_redis, port)
    try:
        async with (
            two_processes(runtime, f"redis://127.0.0.1:{port}/0") as (one, rt1, two, rt2),
            httpx.AsyncClient(base_url=f"http://{one}") as http1,
        ):
            owner = await sign_up(http1, "IN")
            ws = await connect(two, owner)
            await subscribe(ws, rt2, owner, CUSTOMER_EVENTS)
            await created(owner, "before")
            last = await update(ws, "customerEvents")
            redis.kill()  # by its own pid
            redis.wait()
            assert await error_code(ws) == "RESUBSCRIBE"
            for name in ("down1", "down2"):  # committed; their publish fails meanwhile
                await created(owner, name)
            redis = await asyncio.to_thread(_start_redis, port)
            await asyncio.wait_for(rt2.hub.backend.connected.wait(), 30)
            await subscribe(ws, rt2, owner, CUSTOMER_EVENTS, op="2", after=last["cursor"])
            await rt1.relay.sweep(stale_seconds=0)  # republishes what failed: skipped
            await created(owner, "after")
            assert await names(ws, 3) == ["down1", "down2", "after"]
            await created(owner, "end")
            assert await names(ws, 1) == ["end"]
            await ws.close()
    finally:
        redis.kill()
        redis.wait()


@pytest.fixture(autouse=True)
def _needs_redis_server() -> None:
    import os

    assert os.path.exists(REDIS_SERVER), "these tests start their own redis-server"
