"""Subscription soak: does the API process give memory back after subscribers leave?

    .venv/bin/python -m bench.subscriptions_soak                      # embedded (SQLite)
    .venv/bin/python -m bench.subscriptions_soak --subscribers 1000 --cycles 5
    .venv/bin/python -m bench.subscriptions_soak \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/khata_bench_soak \\
        --redis-url redis://127.0.0.1:6379/15

The real API server runs as a child process (`khata serve`'s app under uvicorn, one
process). Each cycle, `--subscribers` clients connect over WebSocket
(graphql-transport-ws), authenticate in `connection_init`, subscribe to `customerEvents`
of one business, receive `--events` events (each a `createCustomer` through HTTP) and
disconnect. Warm-up events are sent until every subscriber has received one, so each
subscription is live before the counted events. After each cycle, once every socket is
closed and a moment has passed, the server's resident set size is read from
/proc/<pid>/status; nothing forces a garbage collection in the server.

Target: the RSS after the last cycle is within 10 % of the RSS after the first.
With `--database-url` pointing at PostgreSQL, that database is dropped and created again
(through the `test` database, whose contents are never touched) and migrated; with
`--redis-url` events travel through Redis under a namespace of this run. Results:
bench/results/subscriptions_soak.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import websockets
from websockets.typing import Subprotocol

from bench.processes import clean_env, free_port, fresh_postgres, rss_kib, server_process

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / ".data"
RESULTS = ROOT / "bench" / "results" / "subscriptions_soak.md"
TARGET_GROWTH = 0.10
SUBSCRIPTION = "subscription { customerEvents { eventId topic customerId number name } }"
SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) { __typename
  ... on SignUpPayload { auth { token } business { id } } ... on UserError { code message } } }"""
CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  __typename ... on UserError { code message } } }"""


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from domain.core.settings import Settings
    from khata.composition import create_app

    settings = Settings(
        env="development",
        database_url=args.database_url,
        redis_url=args.redis_url,
        redis_namespace=args.namespace,
        log_level="WARNING",
        max_subscriptions_per_connection=5,
    )
    uvicorn.run(
        create_app(settings),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        ws_per_message_deflate=False,
        lifespan="on",
    )


async def sign_up(base: str) -> tuple[str, str]:
    variables = {
        "input": {
            "email": f"soak-{uuid.uuid4().hex[:8]}@example.com",
            "password": "soak horse battery staple",
            "name": "Soak Owner",
            "business": {"name": "Soak Traders", "country": "KE"},
        }
    }
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        resp = await client.post("/graphql", json={"query": SIGN_UP, "variables": variables})
    result = resp.json()["data"]["signUp"]
    if result["__typename"] != "SignUpPayload":
        raise SystemExit(f"sign-up failed: {result}")
    return result["auth"]["token"], result["business"]["id"]


class Subscriber:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.topics: list[str] = []
        self.seen = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def listen(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if message["type"] == "next":
                event = message["payload"]["data"]["customerEvents"]
                self.topics.append(event["name"])
                self.seen.set()
            elif message["type"] in ("error", "complete"):
                raise RuntimeError(f"subscription ended: {message}")


async def connect(ws_url: str, token: str, business: str) -> Subscriber:
    ws = await websockets.connect(
        ws_url,
        subprotocols=[Subprotocol("graphql-transport-ws")],
        compression=None,
        max_queue=None,
    )
    init = {"authorization": f"Bearer {token}", "business": business}
    await ws.send(json.dumps({"type": "connection_init", "payload": init}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), 30))
    if ack["type"] != "connection_ack":
        raise SystemExit(f"not acknowledged: {ack}")
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
    sub = Subscriber(ws)
    sub.task = asyncio.create_task(sub.listen())
    return sub


async def cycle(
    base: str, token: str, business: str, args: argparse.Namespace, n: int
) -> dict[str, float]:
    ws_url = base.replace("http://", "ws://") + "/graphql"
    headers = {"authorization": f"Bearer {token}", "x-khata-business": business}
    started = time.perf_counter()
    subs: list[Subscriber] = []
    for start in range(0, args.subscribers, 50):  # connect in waves of 50
        batch = range(start, min(start + 50, args.subscribers))
        subs += await asyncio.gather(*(connect(ws_url, token, business) for _ in batch))
    connected = time.perf_counter() - started

    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:

        async def emit(name: str) -> None:
            variables = {"input": {"name": name}}
            resp = await client.post("/graphql", json={"query": CREATE, "variables": variables})
            kind = resp.json()["data"]["createCustomer"]["__typename"]
            if kind != "CustomerPayload":
                raise SystemExit(f"createCustomer failed: {resp.text[:300]}")

        warm = 0
        deadline = time.monotonic() + 60
        while not all(s.seen.is_set() for s in subs):  # every subscription is live
            if time.monotonic() > deadline:
                raise SystemExit("subscriptions did not go live within 60 s")
            warm += 1
            await emit(f"warm {n}-{warm}")
            await asyncio.sleep(0.2)
        names = [f"event {n}-{e}" for e in range(args.events)]
        t0 = time.perf_counter()
        for name in names:
            await emit(name)
        deadline = time.monotonic() + 120
        while not all(s.topics[-args.events :] == names for s in subs):
            if time.monotonic() > deadline:
                short = sum(1 for s in subs if s.topics[-args.events :] != names)
                raise SystemExit(f"{short} subscribers did not receive every event")
            await asyncio.sleep(0.05)
        delivered = time.perf_counter() - t0

    for s in subs:
        assert s.task is not None
        s.task.cancel()
    await asyncio.gather(*(s.ws.close() for s in subs), return_exceptions=True)
    await asyncio.gather(*(s.task for s in subs if s.task), return_exceptions=True)
    return {"connect_s": connected, "deliver_s": delivered, "warm_events": warm}


async def soak(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.database_url.startswith("postgresql"):
        await fresh_postgres(args.database_url)
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "bench.subscriptions_soak",
        "--serve",
        "--port",
        str(port),
        "--database-url",
        args.database_url,
        "--namespace",
        args.namespace,
    ]
    if args.redis_url:
        argv += ["--redis-url", args.redis_url]
    log_path = DATA_DIR / "subscriptions_soak_server.log"
    rows: list[dict[str, Any]] = []
    with server_process(argv, port, clean_env(), ROOT, log_path, "API server") as (base, pid):
        token, business = await sign_up(base)
        rows.append({"cycle": 0, "rss_kib": rss_kib(pid)})
        print(f"server pid {pid}: RSS after start {rows[0]['rss_kib'] / 1024:.1f} MiB")
        for n in range(1, args.cycles + 1):
            figures = await cycle(base, token, business, args, n)
            await asyncio.sleep(args.settle)
            rows.append({"cycle": n, "rss_kib": rss_kib(pid)} | figures)
            print(
                f"cycle {n}: {args.subscribers} subscribers x {args.events} events, "
                f"connected in {figures['connect_s']:.1f} s, delivered in "
                f"{figures['deliver_s']:.1f} s; RSS {rows[-1]['rss_kib'] / 1024:.1f} MiB"
            )
    return rows


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def report(args: argparse.Namespace, rows: list[dict[str, Any]]) -> str:
    first, last = rows[1]["rss_kib"], rows[-1]["rss_kib"]
    growth = (last - first) / first
    backend = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    fanout = "Redis" if args.redis_url else "in-memory broadcast"
    out = [
        "# Subscription soak (`python -m bench.subscriptions_soak`)",
        "",
        f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}; {os.cpu_count()} CPU "
        f"cores, Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f} at the end",
        f"- one API server process (uvicorn), {backend}, {fanout}; each cycle "
        f"{args.subscribers} subscribers connect over graphql-transport-ws, receive "
        f"{args.events} events each and leave; RSS read {args.settle:.0f} s after the last "
        "socket closed, no forced garbage collection",
        "",
        "| after | RSS MiB | connect s | deliver s |",
        "|---|---:|---:|---:|",
        f"| start | {rows[0]['rss_kib'] / 1024:.1f} | | |",
    ]
    for row in rows[1:]:
        out.append(
            f"| cycle {row['cycle']} | {row['rss_kib'] / 1024:.1f} | {row['connect_s']:.1f} | "
            f"{row['deliver_s']:.1f} |"
        )
    verdict = "met" if growth <= TARGET_GROWTH else "**missed**"
    out += [
        "",
        f"RSS after the last cycle is {100 * growth:+.1f} % of the RSS after the first "
        f"(target within {100 * TARGET_GROWTH:.0f} %): {verdict}.",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.subscriptions_soak", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--subscribers", type=int, default=300)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds before reading RSS")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--namespace", default=f"soak{uuid.uuid4().hex[:8]}")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args)
        return
    with tempfile.TemporaryDirectory(prefix="khata-soak-") as tmp:
        if not args.database_url:
            args.database_url = f"sqlite+aiosqlite:///{tmp}/soak.db"
        rows = asyncio.run(soak(args))
    text = report(args, rows)
    print()
    print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text)
        print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
