"""Realtime benchmark: the API's subscriptions against a floor, in the same run.

    .venv/bin/python -m bench.realtime all                       # full sizes, PostgreSQL
    .venv/bin/python -m bench.realtime tenants --subscriptions 500 --businesses 100
    .venv/bin/python -m bench.realtime fanout --fanout-subscribers 300
    .venv/bin/python -m bench.realtime resume --resume-clients 100 --resume-behind 50
    .venv/bin/python -m bench.realtime http
    (--kind invoice|customer|order chooses the subscription and the change under test;
    by default `http` uses orders and the other scenarios invoices)

Processes: the benchmark's own redis-server (a free port, `--save '' --appendonly no`,
stopped and restarted by its pid only), `--api-processes` API servers (Khata's app under
uvicorn, PostgreSQL pool `--pool` each) and as many floor servers (bench/realtime_floor.py:
the same Redis channels, routing and fan-out, none of the GraphQL). Every subscriber has a
floor twin on the floor process of the same index, with the same business and customer
filter; both are clients of this process (bench/ws_client.py), so they share its event
loop and any delay it adds. PostgreSQL: the database `khata_bench_realtime` is dropped and
created through the `test` database (never its contents) and migrated.

Commit → receipt. Events are committed by a writer process of its own through the domain
service (bench/realtime_events.py): the writer stamps `time.time()` right after the
database acknowledged each COMMIT (the hook the runtime calls after commit, before the
relay publishes), with the event's business and stream position; clients stamp the wall
time the frame's bytes arrived and read the position from the frame (the API's `cursor`,
the floor's raw message) after the phase. API and floor are measured from the same stamp.
The writer runs apart so that the API processes' CPU time is only the realtime path (the
HTTP scenario measures the mutation itself); server CPU per delivered event = user +
system time of the API processes (/proc/<pid>/stat) over the phase, including the drain,
divided by the events they delivered. Memory per open subscription = growth of the API
processes' resident memory from after a first wave of subscriptions (2 %, at least 20,
each having received an event: start-up costs excluded) to after all of them have
received one, divided by the subscriptions opened in between. Server stalls over the
phase (full collections and how long they held the loop, event-loop wake-ups more than
0.25 s late) are read from the API processes' /metrics (bench/realtime_stalls.py,
schema/stalls.py); `--collector default` runs the API processes without
`settle_collector()`, for before/after runs. `BENCH_API_PROFILE=<directory>` (environment)
makes each API process cProfile the `tenants` phase and write `api-<pid>.prof` there at exit
(a sampling profiler such as py-spy on the API pid distorts less; cProfile counts calls).

Scenarios: `tenants` (N subscriptions over the businesses, 3 of 5 staff streams and 2 of 5
filtered by customer where the kind filters, events at `--rate` spread at random over
every business's customers), `fanout` (one business, every subscriber on its stream,
`--fanout-events` single changes 2 s apart: time to the last receipt of each), `resume`
(clients on `--resume-businesses` businesses see the Redis restart, leave, `--resume-behind`
events per business are committed while Redis is down, then all reconnect at once with
`after: <their last cursor>`: time until every one has every missed event, none twice),
`http` (the kind's mutation over HTTP from 20 clients on 20 businesses, each business with
a subscriber: capacity in a closed loop, then an open loop at 70 % of it).
Results: bench/results/realtime.md.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import signal
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench.processes import (
    OwnRedis,
    clean_env,
    cpu_seconds,
    free_port,
    fresh_postgres,
    raise_open_files,
    rss_kib,
    server_process,
)
from bench.realtime_events import DEFAULT_KINDS, KINDS, Kind, Target, Tenants
from bench.realtime_stalls import METRICS_TOKEN

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / ".data"
RESULTS = ROOT / "bench" / "results" / "realtime.md"
SCENARIO_NAMES = ["tenants", "fanout", "resume", "http"]
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/khata_bench_realtime"


@dataclass
class Cluster:
    args: argparse.Namespace
    kind: Kind
    redis: OwnRedis
    namespace: str
    database_url: str
    tenants: Tenants
    targets: list[Target]  # the kind's targets, per_business consecutive per business
    api: list[tuple[str, int]] = field(default_factory=list)  # base URL, pid
    floor: list[tuple[str, int]] = field(default_factory=list)

    def by_business(self) -> dict[int, list[Target]]:
        out: dict[int, list[Target]] = {}
        for t in self.targets:
            out.setdefault(t.business, []).append(t)
        return out

    def pids(self, side: str) -> list[int]:
        return [pid for _, pid in (self.api if side == "api" else self.floor)]

    def cpu(self, side: str) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids(side))

    def rss(self, side: str) -> int:
        return sum(rss_kib(pid) for pid in self.pids(side))


def serve_api(args: argparse.Namespace) -> None:
    import uvicorn

    from domain.core.settings import Settings
    from khata.composition import create_app

    settings = Settings(
        env="development",
        database_url=args.database_url,
        redis_url=args.redis_url,
        redis_namespace=args.namespace,
        log_level="WARNING",
        db_pool_size=args.pool,
        graphiql=False,
        auto_migrate=False,
        # one owner holds every business of the benchmark (set-up speed); the per-user
        # cap is a guard against one runaway client, not part of the per-event path
        max_subscriptions_per_user=1_000_000,
        metrics_token=METRICS_TOKEN,  # the report's server-side stalls (bench/realtime_stalls.py)
    )
    app = create_app(settings)
    if args.collector == "settled":  # as `khata serve` does (schema/stalls.py)
        from schema.stalls import settle_collector

        settle_collector()
    # BENCH_API_PROFILE=<directory>: cProfile of this process over the measured phase (the
    # scenario sends SIGUSR1 as it starts and SIGUSR2 as it ends), written at exit
    profile = os.environ.get("BENCH_API_PROFILE")
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
        signal.signal(signal.SIGUSR2, lambda *_: profiler.disable())
        # uvicorn re-raises the SIGTERM it caught once it has shut down: let it return
        signal.signal(signal.SIGTERM, lambda *_: None)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        ws_per_message_deflate=False,
        backlog=4096,
        lifespan="on",
    )
    if profiler is not None and profile:
        profiler.dump_stats(Path(profile) / f"api-{os.getpid()}.prof")


async def prepare(args: argparse.Namespace) -> Tenants:
    """A fresh database with the tenants, or (`--reuse`) the one an earlier run with the
    same sizes left, if its tenants are all there."""
    from bench.processes import app_and_runtime
    from bench.realtime_events import set_up_tenants
    from domain.migrations.run import upgrade

    cache = DATA_DIR / f"realtime_owners_{args.businesses}x{args.customers}.json"
    if args.reuse and cache.exists():
        saved = orjson.loads(cache.read_bytes())
        tenants = Tenants([Target(**t) for t in saved["targets"]])
        if saved["database_url"] == args.database_url and await tenants_present(
            args.database_url, tenants
        ):
            await upgrade(args.database_url)  # the code may have new migrations since
            print(f"reusing the tenants of {cache.name}", flush=True)
            return tenants
    if args.database_url.startswith("postgresql"):
        await fresh_postgres(args.database_url)
    else:
        await upgrade(args.database_url)
    async with app_and_runtime(args.database_url, db_pool_size=args.pool) as (_, rt):
        tenants = await set_up_tenants(rt, args.businesses, args.customers)
    if not args.reuse:
        return tenants
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(
        orjson.dumps(
            {
                "database_url": args.database_url,
                "targets": [asdict(t) for t in tenants.targets],
            }
        )
    )
    return tenants


async def tenants_present(database_url: str, tenants: Tenants) -> bool:
    from sqlalchemy import func, select
    from sqlalchemy.ext.asyncio import create_async_engine

    from domain.invoicing.models import Invoice

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            ids = [t.obj for t in tenants.targets]
            found = await conn.scalar(select(func.count()).where(Invoice.id.in_(ids)))
    except Exception:  # no such database: set it up
        return False
    finally:
        await engine.dispose()
    return found == len(ids)


@contextmanager
def cluster(args: argparse.Namespace) -> Iterator[Cluster]:
    import time

    from bench.realtime_events import for_kind

    limit = raise_open_files(args.open_files)
    wanted = SCENARIO_NAMES if "all" in args.command else args.command
    sizes = {
        "tenants": args.subscriptions,
        "fanout": args.fanout_subscribers,
        "resume": args.resume_clients,
        "http": args.http_clients,
    }
    sockets = 2 * max(sizes[name] for name in wanted)
    if sockets + 256 > limit:  # every subscriber and its floor twin hold a socket here
        raise SystemExit(
            f"{sockets} client sockets need more than this process's open-file limit "
            f"({limit}; the hard limit may not be raisable here): use fewer subscriptions"
        )
    kind = KINDS[args.kind or DEFAULT_KINDS[wanted[0]]]
    with tempfile.TemporaryDirectory(prefix="khata-realtime-") as tmp, ExitStack() as stack:
        if not args.database_url:
            args.database_url = f"sqlite+aiosqlite:///{tmp}/realtime.db"
        started = time.perf_counter()
        tenants = asyncio.run(prepare(args))
        url = args.database_url
        print(
            f"set up {args.businesses} businesses x {args.customers} customers "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        redis = stack.enter_context(OwnRedis())
        namespace = f"rt{uuid.uuid4().hex[:8]}"
        c = Cluster(args, kind, redis, namespace, url, tenants, for_kind(tenants, kind))
        env = clean_env()
        for i in range(args.api_processes):
            port = free_port()
            argv = [sys.executable, "-m", "bench.realtime", "serve-api", "--port", str(port)]
            argv += ["--database-url", url, "--redis-url", redis.url, "--namespace", namespace]
            argv += ["--pool", str(args.pool), "--collector", args.collector]
            log = DATA_DIR / f"realtime_api{i}.log"
            c.api.append(stack.enter_context(server_process(argv, port, env, ROOT, log, "API")))
        for i in range(args.api_processes):
            port = free_port()
            argv = [sys.executable, "-m", "bench.realtime", "serve-floor", "--port", str(port)]
            argv += ["--redis-url", redis.url, "--namespace", namespace]
            log = DATA_DIR / f"realtime_floor{i}.log"
            c.floor.append(stack.enter_context(server_process(argv, port, env, ROOT, log, "floor")))
        yield c


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.realtime", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "command",
        nargs="+",
        choices=[
            "all",
            "tenants",
            "fanout",
            "resume",
            "http",
            "serve-api",
            "serve-floor",
            "writer",
        ],
    )
    parser.add_argument(
        "--kind", choices=sorted(KINDS), help="default: order for http, invoice for the rest"
    )
    parser.add_argument("--database-url", default=PG_URL, help="'' for a temporary SQLite file")
    parser.add_argument("--api-processes", type=int, default=2)
    parser.add_argument("--pool", type=int, default=3, help="database pool per process")
    parser.add_argument("--businesses", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=2, help="customers per business")
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument(
        "--per-socket",
        type=int,
        choices=[1, 2, 3],
        default=1,
        help="tenants: subscriptions per API socket, the measured one plus the business's "
        "other staff streams (a staff app multiplexes them); an additional memory figure",
    )
    parser.add_argument("--rate", type=float, default=200.0, help="events committed per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window (tenants)")
    parser.add_argument(
        "--settle", type=float, default=5.0, help="seconds between the last subscribe and events"
    )
    parser.add_argument("--fanout-subscribers", type=int, default=3000)
    parser.add_argument("--fanout-events", type=int, default=5)
    parser.add_argument("--resume-clients", type=int, default=1000)
    parser.add_argument("--resume-businesses", type=int, default=10)
    parser.add_argument("--resume-behind", type=int, default=200)
    parser.add_argument(
        "--resume-limit", type=float, default=300.0, help="seconds to wait for the catch-up"
    )
    parser.add_argument("--http-clients", type=int, default=20)
    parser.add_argument("--http-seconds", type=float, default=15.0)
    parser.add_argument(
        "--http-orders", type=int, default=100, help="PENDING orders made per http client"
    )
    parser.add_argument("--writer-pool", type=int, default=4)
    parser.add_argument("--open-files", type=int, default=65536)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of an earlier run, same sizes"
    )
    parser.add_argument(
        "--writer",
        choices=["emit", "service"],
        default="emit",
        help="emit: the event the service emits, for an unchanged invoice; service: the change",
    )
    parser.add_argument(
        "--collector",
        choices=["settled", "default"],
        default="settled",
        help="settled: the API processes settle the collector as `khata serve` does "
        "(schema/stalls.py); default: CPython's settings (before/after runs)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results")
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    parser.add_argument("--namespace", help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    parser.add_argument("--stamps", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Runs the scenarios the command names on one cluster; their results by name."""
    from bench import realtime_report, realtime_scenarios
    from bench.realtime_events import for_kind

    wanted = SCENARIO_NAMES if "all" in args.command else args.command
    results: dict[str, Any] = {}
    with cluster(args) as c:
        for name in wanted:
            c.kind = KINDS[args.kind or DEFAULT_KINDS[name]]
            c.targets = for_kind(c.tenants, c.kind)
            results[name] = asyncio.run(realtime_scenarios.SCENARIOS[name](c))
            results[name]["kind"] = c.kind.name
            print(realtime_report.section(name, results[name], args), flush=True)
    return results


def main(argv: list[str] | None = None) -> None:
    from bench import realtime_report

    args = parse(argv)
    if args.command == ["serve-api"]:
        serve_api(args)
        return
    if args.command == ["serve-floor"]:
        from bench.realtime_floor import serve_floor

        serve_floor(args.redis_url, args.namespace, args.port)
        return
    if args.command == ["writer"]:
        from bench.realtime_events import writer_main

        writer_main(args)
        return
    results = run(args)
    text = realtime_report.report(results, args)
    print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text)
        print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
