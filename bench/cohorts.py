"""Subscription groups against per-subscriber execution (a quick run; the full 10,000-
subscription run over two processes comes with the stream work):

    .venv/bin/python -m bench.cohorts --subscribers 1000 --events 20

The real API server runs as a child process (SQLite, in-memory broadcast), once with
`KHATA_WS_COHORTS=true` and once with `false` (Strawberry's stock handler: one execution
and one encoding per subscriber per event). `--subscribers` clients of one business
subscribe to the same `customerEvents` document; after a warm-up event reaches all of
them, `--events` customers are created over HTTP one at a time, each once every
subscriber has the previous one. Measured per mode: the server's CPU time (utime+stime
from /proc) per delivered event, the p99 of mutation sent -> frame received over every
delivery, and the server's RSS growth per open subscription. Results:
bench/results/cohorts.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import websockets
from websockets.typing import Subprotocol

from bench.processes import clean_env, free_port, server_process
from bench.subscriptions_soak import rss_kib, sign_up

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "cohorts.md"
SUBSCRIPTION = "subscription { customerEvents { eventId topic customerId number name } }"
CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  __typename } }"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Client:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.received: dict[str, float] = {}
        self.changed = asyncio.Event()

    async def listen(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if message["type"] == "next":
                name = message["payload"]["data"]["customerEvents"]["name"]
                self.received[name] = time.perf_counter()
                self.changed.set()


async def connect(ws_url: str, token: str, business: str) -> Client:
    ws = await websockets.connect(
        ws_url, subprotocols=[Subprotocol("graphql-transport-ws")], compression=None
    )
    init = {"authorization": f"Bearer {token}", "business": business}
    await ws.send(json.dumps({"type": "connection_init", "payload": init}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
    return Client(ws)


async def all_have(clients: list[Client], name: str, within: float = 120) -> None:
    deadline = time.monotonic() + within
    while not all(name in c.received for c in clients):
        if time.monotonic() > deadline:
            raise SystemExit(f"{name!r} did not reach every subscriber")
        await asyncio.sleep(0.005)


async def measure(base: str, pid: int, args: argparse.Namespace) -> dict[str, float]:
    token, business = await sign_up(base)
    ws_url = base.replace("http://", "ws://") + "/graphql"
    rss_before = rss_kib(pid)
    clients: list[Client] = []
    for start in range(0, args.subscribers, 50):
        batch = range(start, min(start + 50, args.subscribers))
        clients += await asyncio.gather(*(connect(ws_url, token, business) for _ in batch))
    tasks = [asyncio.create_task(c.listen()) for c in clients]
    headers = {"authorization": f"Bearer {token}", "x-khata-business": business}
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:

        async def create(name: str) -> float:
            sent = time.perf_counter()
            resp = await http.post(
                "/graphql", json={"query": CREATE, "variables": {"input": {"name": name}}}
            )
            assert resp.json()["data"]["createCustomer"]["__typename"] == "CustomerPayload"
            return sent

        for n in range(100):  # until every subscription is live
            await create(f"warm {n}")
            try:
                await all_have(clients, f"warm {n}", within=5)
                break
            except SystemExit:
                continue
        rss_open = rss_kib(pid)
        cpu0 = cpu_seconds(pid)
        for e in range(args.events):
            name = f"event {e}"
            sent = await create(name)
            await all_have(clients, name)
            latencies += [c.received[name] - sent for c in clients]
        cpu = cpu_seconds(pid) - cpu0
    for t in tasks:
        t.cancel()
    await asyncio.gather(*(c.ws.close() for c in clients), return_exceptions=True)
    latencies.sort()
    return {
        "cpu_ms_per_delivery": cpu * 1000 / (args.events * args.subscribers),
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "kib_per_subscription": (rss_open - rss_before) / args.subscribers,
    }


def run_mode(cohorts: bool, args: argparse.Namespace) -> dict[str, float]:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = clean_env(
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/bench.db",
            KHATA_WS_COHORTS="true" if cohorts else "false",
            KHATA_LOG_LEVEL="WARNING",
            KHATA_AUTO_MIGRATE="true",
        )
        argv = [sys.executable, "-m", "khata_cli", "serve", "--port", str(port)]
        log = ROOT / "bench" / ".data" / f"cohorts-{'on' if cohorts else 'off'}.log"
        with server_process(argv, port, env, ROOT, log, "API server") as (base, pid):
            return asyncio.run(measure(base, pid, args))


def report(args: argparse.Namespace, rows: dict[str, dict[str, float]]) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()
    lines = [
        "# Subscription groups (`python -m bench.cohorts`)",
        "",
        f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}; {os.cpu_count()} CPU cores "
        f"(shared with other work), Python {platform.python_version()}; load average "
        f"{os.getloadavg()[0]:.1f} at the end",
        f"- one API process (SQLite, in-memory broadcast); {args.subscribers} subscribers of one "
        f"business, same document; {args.events} events, each once all had the previous one; "
        "the clients run in one process on the same cores",
        "",
        "| mode | server CPU ms per delivered event | p50 ms | p99 ms | RSS KiB per subscription |",
        "|---|---:|---:|---:|---:|",
    ]
    for mode, r in rows.items():
        lines.append(
            f"| {mode} | {r['cpu_ms_per_delivery']:.3f} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} "
            f"| {r['kib_per_subscription']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args(argv)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    rows = {
        "groups (KHATA_WS_COHORTS=true)": run_mode(True, args),
        "per subscriber (stock handler)": run_mode(False, args),
    }
    text = report(args, rows)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
