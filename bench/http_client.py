"""A minimal keep-alive HTTP/1.1 client for load generation.

The load generator shares the machine's cores with the servers and PostgreSQL; httpx
spends ~1.3 ms of CPU per request, which at a few hundred requests per second takes
half a core away from the system being measured. This client writes a prebuilt request
and reads a Content-Length response on one connection, ~0.05 ms per request. It only
speaks to our own servers (uvicorn: Content-Length bodies, keep-alive). The load drivers
(closed loop, paced open loop) are shared by the benchmarks.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit


class HttpError(RuntimeError):
    pass


class Connection:
    def __init__(self, base: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Connection:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._writer is not None:
            self._writer.close()

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        assert self._reader is not None and self._writer is not None
        self._writer.write(
            (
                f"POST {path} HTTP/1.1\r\nhost: {self.host}\r\n{self._head}"
                f"content-length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise HttpError(f"no content-length in response: {head[:200]!r}")
        return status, await self._reader.readexactly(length)


class LoadClient(Protocol):
    """One load-generating client: the server it talks to, its headers, and the body of
    its n-th request."""

    base: str
    headers: dict[str, str]

    def body(self, n: int) -> bytes: ...


@dataclass
class Load:
    latencies_ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    max_connections: int = 0  # open loop: most connections one client had open


Check = Callable[[int, bytes], None]  # raises on a failed answer (HTTP status, body)


async def closed_loop(
    clients: Sequence[LoadClient],
    check: Check,
    *,
    seconds: float | None = None,
    total: int | None = None,
) -> Load:
    """Each client on one keep-alive connection sends its next request as soon as the
    previous answer arrived, for `seconds` or until `total` requests were sent."""
    load = Load()
    sent = 0
    started = time.perf_counter()
    stop_at = started + seconds if seconds else float("inf")

    async def worker(client: LoadClient) -> None:
        nonlocal sent
        async with Connection(client.base, client.headers) as conn:
            n = random.randrange(64)
            while time.perf_counter() < stop_at and (total is None or sent < total):
                sent += 1
                n += 1
                t0 = time.perf_counter()
                status, answer = await conn.post("/graphql", client.body(n))
                load.latencies_ms.append((time.perf_counter() - t0) * 1000)
                check(status, answer)

    await asyncio.gather(*(worker(c) for c in clients))
    load.wall_s = time.perf_counter() - started
    load.max_connections = 1
    return load


async def open_loop(
    clients: Sequence[LoadClient], check: Check, rate: float, seconds: float
) -> Load:
    """Arrival k leaves at start + k / rate for client k mod len(clients), on a free
    connection of that client (a new one when all are busy); its latency counts from the
    scheduled time, so a stalled server cannot hide its queue (no coordinated omission)."""
    load = Load()
    free: list[list[Connection]] = [[] for _ in clients]
    opened = [0] * len(clients)
    tasks: set[asyncio.Task[None]] = set()
    counters = [random.randrange(64) for _ in clients]

    async def one(c: int, due: float) -> None:
        client = clients[c]
        if free[c]:
            conn = free[c].pop()
        else:
            conn = await Connection(client.base, client.headers).__aenter__()
            opened[c] += 1
        counters[c] += 1
        status, answer = await conn.post("/graphql", client.body(counters[c]))
        load.latencies_ms.append((time.perf_counter() - due) * 1000)
        free[c].append(conn)
        check(status, answer)

    started = time.perf_counter()
    for k in range(int(rate * seconds)):
        due = started + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(k % len(clients), due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    while tasks:
        await asyncio.gather(*list(tasks))
    load.wall_s = time.perf_counter() - started
    load.max_connections = max(opened, default=0)
    for conns in free:
        for conn in conns:
            await conn.__aexit__()
    return load


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100); NaN for no values."""
    data = sorted(values)
    if not data:
        return float("nan")
    k = min(len(data) - 1, max(0, round(p / 100 * len(data) + 0.5) - 1))
    return data[k]
