"""Where the memory of an open subscription goes (issue 18 §4: ≤ 32 KB each):

    .venv/bin/python -m bench.subscription_memory --subscriptions 400 --shape groups

The API runs as a child process (SQLite, in-memory broadcast). The parent opens a first
wave of subscriptions (start-up costs, first imports), makes one event reach all of them,
has the child start tracemalloc (SIGUSR1), opens `--subscriptions` more, makes one event
(`--events` events) reach every one, has the child dump a snapshot (SIGUSR1 again): what
is still allocated of what was allocated since tracing began, per subscription, by file
and by line, plus the RSS growth, and the cyclic garbage the collector found. (Tracing
from the start would make the child too slow to start.) Shapes: `groups` (each
subscription its own group, as in the many-tenants scenario where filters and businesses
differ, here by a different document text each), `resumed` (one document text, each
subscription resuming `after` the warm-up's cursor: since resumers of one cursor share a
group, schema/http/cohorts.py, they all join one) and `shared` (one document: every
subscription joins one group).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
import websockets
from websockets.typing import Subprotocol

from bench.processes import clean_env, free_port, server_process
from bench.subscriptions_soak import rss_kib, sign_up

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = "subscription { # %s\n customerEvents { cursor topic customerId name } }"
RESUMED = """subscription($after: String) {
 customerEvents(after: $after) { cursor topic customerId name } }"""
CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  __typename } }"""


def serve(port: int, snapshots: Path) -> None:
    """The API; the first SIGUSR1 starts tracemalloc, the next dump a snapshot to
    `snapshots`/<n>.bin (0.bin marks the start)."""
    import gc

    import uvicorn

    from khata.composition import create_app

    taken = 0
    collected = [0, 0, 0]  # objects the collector freed, by generation, since tracing began

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and tracemalloc.is_tracing():
            collected[info["generation"]] += info["collected"]

    gc.callbacks.append(count)

    def dump(*_: Any) -> None:
        nonlocal taken
        # cyclic garbage still waiting for a full collection, by type: in a large heap
        # the collector's full passes are rare, and this is memory until one runs
        freed = list(collected)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        garbage: dict[str, int] = {}
        for obj in gc.garbage:
            name = type(obj).__qualname__
            garbage[name] = garbage.get(name, 0) + 1
        gc.garbage.clear()
        gc.set_debug(0)
        stats = {"waiting": garbage, "collected": freed}
        (snapshots / f"{taken}.garbage.json").write_text(json.dumps(stats))
        path = snapshots / f"{taken}.bin"
        tasks: dict[str, int] = {}
        for task in asyncio.all_tasks():
            name = task.get_coro().__qualname__  # type: ignore[union-attr]
            tasks[name] = tasks.get(name, 0) + 1
        (snapshots / f"{taken}.tasks.json").write_text(json.dumps(tasks))
        if not tracemalloc.is_tracing():
            tracemalloc.start(8)
            path.write_bytes(b"")
        else:
            tracemalloc.take_snapshot().dump(str(path) + ".part")
            os.replace(str(path) + ".part", path)
        taken += 1

    signal.signal(signal.SIGUSR1, dump)
    uvicorn.run(
        create_app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        ws_per_message_deflate=False,
        backlog=4096,
    )


class Client:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.names: set[str] = set()
        self.cursor: str | None = None
        self.task = asyncio.create_task(self.listen())

    async def listen(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if message["type"] == "next":
                event = message["payload"]["data"]["customerEvents"]
                self.names.add(event["name"])
                self.cursor = event["cursor"]


async def open_clients(
    base: str, token: str, business: str, docs: list[str], after: str | None = None
) -> list[Client]:
    url = base.replace("http://", "ws://") + "/graphql"
    variables = {"after": after} if after is not None else None

    async def one(doc: str) -> Client:
        ws = await websockets.connect(  # a traced server is slow: wait for it
            url,
            subprotocols=[Subprotocol("graphql-transport-ws")],
            compression=None,
            open_timeout=300,
        )
        init = {"authorization": f"Bearer {token}", "business": business}
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        payload = {"query": doc, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        return Client(ws)

    out: list[Client] = []
    for start in range(0, len(docs), 10):
        out += await asyncio.gather(*(one(d) for d in docs[start : start + 10]))
    return out


async def reach_all(http: httpx.AsyncClient, clients: list[Client], tag: str) -> None:
    """Creates customers until one of them reached every client (all are listening)."""
    for n in range(200):
        name = f"{tag} {n}"
        body = {"query": CREATE, "variables": {"input": {"name": name}}}
        assert (await http.post("/graphql", json=body)).status_code == 200
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all(name in c.names for c in clients):
                return
            await asyncio.sleep(0.01)
    raise SystemExit(f"{tag}: an event never reached every subscriber")


async def signal_child(pid: int, folder: Path, n: int) -> Path:
    os.kill(pid, signal.SIGUSR1)
    path = folder / f"{n}.bin"
    while not path.exists():  # noqa: ASYNC110 - the child writes it: nothing to wait on here
        await asyncio.sleep(0.1)
    return path


async def measure(base: str, pid: int, folder: Path, args: argparse.Namespace) -> None:
    token, business = await sign_up(base)
    headers = {"authorization": f"Bearer {token}", "x-khata-business": business}

    def docs(prefix: str, count: int) -> list[str]:
        if args.shape == "shared":
            return [DOCUMENT % "shared"] * count
        if args.shape == "resumed":
            return [RESUMED] * count
        return [DOCUMENT % f"{prefix}{i}" for i in range(count)]

    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        first = await open_clients(base, token, business, docs("w", args.warm))
        await reach_all(http, first, "warm")
        await signal_child(pid, folder, 0)
        rss0 = rss_kib(pid)
        cursor = first[0].cursor if args.shape == "resumed" else None
        more = await open_clients(base, token, business, docs("m", args.subscriptions), cursor)
        for i in range(args.events):  # what each further event leaves behind shows too
            await reach_all(http, first + more, f"measured {i}")
        snapshot = await signal_child(pid, folder, 1)
        after = tracemalloc.Snapshot.load(str(snapshot))
        if args.keep:
            shutil.copyfile(snapshot, args.keep)
        rss1 = rss_kib(pid)
    n = args.subscriptions
    growth = sum(s.size for s in after.statistics("filename"))
    print(
        f"{n} subscriptions ({args.shape}, {args.events} events): "
        f"RSS {(rss1 - rss0) / n:.1f} KiB each, "
        f"traced heap {growth / n / 1024:.1f} KiB each"
    )
    tasks0, tasks1 = (json.loads((folder / f"{i}.tasks.json").read_text()) for i in (0, 1))
    grown = {name: tasks1[name] - tasks0.get(name, 0) for name in tasks1}
    print(f"\nasyncio tasks per subscription: {sum(grown.values()) / n:.2f}")
    for name, count in sorted(grown.items(), key=lambda kv: -kv[1]):
        if count:
            print(f"  {count / n:6.2f}  {name}")
    stats = json.loads((folder / "1.garbage.json").read_text())
    print(
        f"\nobjects the collector freed per subscription, by generation: "
        f"{[round(c / n, 1) for c in stats['collected']]}"
    )
    print("cyclic garbage waiting for a full collection at the end, objects per subscription:")
    for name, count in sorted(stats["waiting"].items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"  {count / n:8.2f}  {name}")
    for key in ("filename", "lineno"):
        print(f"\ntop growth by {key} (bytes per subscription, blocks per subscription):")
        for stat in after.statistics(key)[: args.top]:
            frame = stat.traceback[0]
            where = frame.filename.replace(str(ROOT) + "/", "")
            if key == "lineno":
                where += f":{frame.lineno}"
            print(f"  {stat.size / n:9.0f}  {stat.count / n:6.1f}  {where}")
    print("\nwhere the largest come from (traceback, innermost last):")
    for stat in after.statistics("traceback")[: args.top]:
        print(f"  {stat.size / n:9.0f}  {stat.count / n:6.1f}")
        for line in stat.traceback.format(most_recent_first=False)[-8::2]:
            print("      " + line.strip().replace(str(ROOT) + "/", ""))
    for c in first + more:
        c.task.cancel()
    await asyncio.gather(*(c.ws.close() for c in first + more), return_exceptions=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "serve"])
    parser.add_argument("--subscriptions", type=int, default=400)
    parser.add_argument("--warm", type=int, default=50)
    parser.add_argument("--shape", choices=["groups", "resumed", "shared"], default="groups")
    parser.add_argument("--events", type=int, default=1, help="events reaching every one")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--keep", help="copy the tracemalloc snapshot to this file")
    parser.add_argument("--port", type=int)
    parser.add_argument("--snapshots")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.port, Path(args.snapshots))
        return
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = clean_env(
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/bench.db",
            KHATA_LOG_LEVEL="WARNING",
            KHATA_AUTO_MIGRATE="true",
            KHATA_MAX_SUBSCRIPTIONS_PER_USER="100000",
        )
        argv_ = [sys.executable, "-m", "bench.subscription_memory", "serve", "--port", str(port)]
        argv_ += ["--snapshots", tmp]
        log = ROOT / "bench" / ".data" / "subscription_memory.log"
        with server_process(argv_, port, env, ROOT, log, "API server") as (base, pid):
            asyncio.run(measure(base, pid, Path(tmp), args))


if __name__ == "__main__":
    main()
