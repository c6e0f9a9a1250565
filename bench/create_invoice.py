"""createInvoice (5 lines) under the loads that matter: many businesses writing at once, and
several staff of one business writing at once; against the real server on PostgreSQL.

    .venv/bin/python -m bench.create_invoice
    .venv/bin/python -m bench.create_invoice --app new=. --app old=/path/to/other/checkout

Each `--app LABEL=ROOT` is a checkout of this project with its own `.venv`; its server runs
from that checkout (`ROOT/.venv/bin/python`, this file as the script, the checkout on
PYTHONPATH) on a database of its own, `khata_bench_create_<label>`, created afresh through
a connection to `test` (whose contents are never touched) and migrated with the checkout's
alembic. With several apps, every scenario runs for each app in turn (paired, the same
host phase), all servers up at once (an idle one costs nothing).

Set-up, through GraphQL over HTTP: `--businesses` Indian businesses signed up, each with
`--customers` customers (createCustomer); one more business whose owner invites
`--staff - 1` staff (inviteStaff, acceptInvitation), with `--customers` customers per
staff member. Every request creates one invoice with 5 catalogue lines (GST rates 0-28 %,
some line discounts) for one of the client's own customers, so two requests never lock
the same customer row; clients of one business queue only on its gapless counter row.

Scenarios (one uvicorn process per app, uvloop + httptools, no Redis; the server counts
its SQL statements with a SQLAlchemy `before_cursor_execute` listener and reports its
own CPU time through /__bench/stats):
  capacity   one client per business, closed loop (each sends its next request as soon as
             the answer arrives) for `--capacity-seconds`: invoices/s = the process's
             capacity for this load;
  paced      open loop at `--load` (70 %) of that capacity: requests leave on a fixed
             schedule (arrival k at k / rate, business k mod N) whether or not earlier
             answers came back (a client opens another connection when all of its own are
             busy), and latency is measured from the scheduled time, so a stall shows
             as latency instead of slowing the arrivals down;
  staff      `--staff` staff of one business, closed loop, `--staff-requests` requests.
CPU per invoice = the server process's CPU time / invoices created in the phase.
Results: bench/results/create_invoice.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
RESULTS = ROOT / "bench" / "results" / "create_invoice.md"
DATA_DIR = ROOT / "bench" / ".data"
PG_HOST = "postgres@127.0.0.1:5432"
PG_ADMIN_DB = "test"  # only used for CREATE/DROP DATABASE; its contents are never touched
DB_PREFIX = "khata_bench_create_"
PASSWORD = "bench horse battery staple"
GOAL_P95_MS = 50.0

SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) { __typename
  ... on SignUpPayload { auth { token } business { id } } ... on UserError { code message } } }"""
CREATE_CUSTOMER = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  __typename ... on CustomerPayload { customer { id } } ... on UserError { code message } } }"""
INVITE = """mutation($input: InviteStaffInput!) { inviteStaff(input: $input) { __typename
  ... on InvitePayload { token } ... on UserError { code message } } }"""
ACCEPT = """mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) {
  __typename ... on AuthPayload { token } ... on UserError { code message } } }"""
CREATE_INVOICE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) {
  __typename ... on InvoicePayload { invoice { id number total { amount currency } } }
  ... on UserError { code message } } }"""


# --------------------------------------------------------------------------------------
# Server side: `--serve` runs the app of the checkout on PYTHONPATH, instrumented
# --------------------------------------------------------------------------------------
def run_server(database_url: str, port: int) -> None:
    import logging

    import orjson
    import uvicorn
    from sqlalchemy import event

    from domain.core.settings import Settings

    try:
        from khata.composition import create_app
    except ImportError:  # a checkout from before the composition root (paired runs)
        create_app = importlib.import_module("schema.app").create_app

    logging.basicConfig(level=logging.WARNING)
    settings = Settings(
        database_url=database_url,
        redis_url=None,
        log_level="WARNING",
        auto_migrate=False,
        public_url="http://127.0.0.1:8000",
    )
    app = create_app(settings)
    stats = {"requests": 0, "statements": 0, "gc_us": 0}
    gc_started = [0.0]

    def gc_timer(phase: str, _info: dict[str, Any]) -> None:  # CPU spent collecting cycles
        if phase == "start":
            gc_started[0] = time.process_time()
        else:
            stats["gc_us"] += int((time.process_time() - gc_started[0]) * 1e6)

    gc.callbacks.append(gc_timer)

    def count_statement(*_: Any) -> None:
        stats["statements"] += 1

    for engine in app.state.runtime.db.engines:
        event.listen(engine.sync_engine, "before_cursor_execute", count_statement)

    async def instrumented(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/__bench/stats":
            body = orjson.dumps(stats | {"cpu_us": int(time.process_time() * 1e6)})
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] == "http" and scope["path"] == "/graphql":
            stats["requests"] += 1
        await app(scope, receive, send)

    uvicorn.run(
        instrumented,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="on",
    )


# --------------------------------------------------------------------------------------
# Apps (checkouts), their databases and servers
# --------------------------------------------------------------------------------------
@dataclass
class App:
    label: str
    root: Path
    base: str = ""
    pid: int = 0

    @property
    def python(self) -> str:
        return str(self.root / ".venv" / "bin" / "python")

    @property
    def database(self) -> str:
        return DB_PREFIX + "".join(c if c.isalnum() else "_" for c in self.label.lower())

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://{PG_HOST}/{self.database}"

    def commit(self) -> str:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=self.root,
            capture_output=True,
            text=True,
            check=False,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=self.root,
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")

    def env(self) -> dict[str, str]:
        from bench.processes import clean_env

        return clean_env(PYTHONPATH=str(self.root))

    def stats(self) -> dict[str, int]:
        import httpx

        return httpx.get(f"{self.base}/__bench/stats", timeout=10).json()  # type: ignore[no-any-return]


async def drop_and_create(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"postgresql://{PG_HOST}/{PG_ADMIN_DB}")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def fresh_database(app: App) -> None:
    """Drops and creates the app's database and migrates it with the app's own alembic."""
    assert app.database.startswith(DB_PREFIX)
    asyncio.run(drop_and_create(app.database))
    code = (
        "import asyncio\nfrom domain.migrations.run import upgrade\n"
        f"asyncio.run(upgrade({app.url!r}))\n"
    )
    subprocess.run([app.python, "-c", code], cwd=app.root, env=app.env(), check=True)  # noqa: S603


@contextmanager
def serve(app: App) -> Iterator[App]:
    from bench.processes import free_port, server_process

    port = free_port()
    argv = [app.python, str(HERE), "--serve", "--database-url", app.url, "--port", str(port)]
    log_path = DATA_DIR / f"create_invoice_{app.database}.log"
    with server_process(argv, port, app.env(), app.root, log_path, f"{app.label} server") as (
        base,
        pid,
    ):
        app.base, app.pid = base, pid
        yield app


# --------------------------------------------------------------------------------------
# Set-up through the API
# --------------------------------------------------------------------------------------
@dataclass
class Client:
    """One writer: its headers and the createInvoice bodies it cycles through."""

    headers: dict[str, str]
    bodies: list[bytes]


@dataclass
class Tenants:
    spread: list[Client] = field(default_factory=list)  # one per business
    staff: list[Client] = field(default_factory=list)  # staff of one business


async def gql(client: Any, query: str, variables: dict[str, Any], headers: Any = None) -> Any:
    resp = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body = resp.json()
    if body.get("errors"):
        raise SystemExit(f"GraphQL errors: {body['errors'][:2]}")
    (result,) = body["data"].values()
    if "code" in result:
        raise SystemExit(f"{query.split('(')[0]} failed: {result}")
    return result


def invoice_bodies(rng: random.Random, customer_ids: list[str], count: int) -> list[bytes]:
    import orjson

    from bench.invoicing import CATALOGUE

    bodies = []
    for i in range(count):
        lines = []
        for desc, unit, lo, hi, rate, fractional in rng.sample(CATALOGUE, 5):
            quantity = round(rng.uniform(0.5, 20), 1) if fractional else rng.randint(1, 12)
            lines.append(
                {
                    "description": desc,
                    "quantity": str(quantity),
                    "unitPrice": str(round(rng.uniform(lo, hi), 2)),
                    "unit": unit,
                    "taxRate": rate,
                    **({"discountPercent": "5"} if rng.random() < 0.2 else {}),
                }
            )
        variables = {
            "input": {
                "customerId": customer_ids[i % len(customer_ids)],
                "lines": lines,
                "notes": "Thank you for your business",
            }
        }
        bodies.append(orjson.dumps({"query": CREATE_INVOICE, "variables": variables}))
    return bodies


async def set_up(app: App, args: argparse.Namespace) -> Tenants:
    import httpx

    rng = random.Random(args.seed)
    tenants = Tenants()
    async with httpx.AsyncClient(base_url=app.base, timeout=60) as client:

        async def business(n: int) -> tuple[str, dict[str, str]]:
            signed = await gql(
                client,
                SIGN_UP,
                {
                    "input": {
                        "email": f"owner{n}@create-bench.example.com",
                        "password": PASSWORD,
                        "name": f"Owner {n}",
                        "business": {"name": f"Bench Traders {n}", "country": "IN"},
                    }
                },
            )
            gid = signed["business"]["id"]
            token = signed["auth"]["token"]
            return gid, {"authorization": f"Bearer {token}", "x-khata-business": gid}

        async def customers(headers: dict[str, str], n: int, count: int) -> list[str]:
            ids = []
            for j in range(count):
                made = await gql(
                    client,
                    CREATE_CUSTOMER,
                    {"input": {"name": f"Customer {n}-{j}", "email": f"c{n}-{j}@example.com"}},
                    headers,
                )
                ids.append(made["customer"]["id"])
            return ids

        async def spread_client(n: int) -> Client:
            _, headers = await business(n)
            ids = await customers(headers, n, args.customers)
            return Client(headers, invoice_bodies(rng, ids, 64))

        for start in range(0, args.businesses, 5):  # a few at a time: sign-up hashes passwords
            stop = min(start + 5, args.businesses)
            tenants.spread += await asyncio.gather(*(spread_client(n) for n in range(start, stop)))

        gid, owner = await business(args.businesses)
        staff_headers = [owner]
        for s in range(1, args.staff):
            email = f"staff{s}@create-bench.example.com"
            invited = await gql(client, INVITE, {"input": {"email": email, "role": "STAFF"}}, owner)
            accepted = await gql(
                client,
                ACCEPT,
                {"input": {"token": invited["token"], "name": f"Staff {s}", "password": PASSWORD}},
            )
            staff_headers.append(
                {"authorization": f"Bearer {accepted['token']}", "x-khata-business": gid}
            )
        for s, headers in enumerate(staff_headers):
            ids = await customers(owner, 1000 + s, args.customers)
            tenants.staff.append(Client(headers, invoice_bodies(rng, ids, 64)))
    return tenants


# --------------------------------------------------------------------------------------
# Load
# --------------------------------------------------------------------------------------
@dataclass
class Phase:
    latencies_ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    requests: int = 0
    statements: int = 0
    cpu_us: int = 0
    gc_us: int = 0  # of cpu_us: the garbage collector's
    rate: float | None = None  # open loop: the arrival rate asked for
    max_connections: int = 0  # open loop: most connections one client had open

    def add(self, other: Phase) -> None:
        self.latencies_ms += other.latencies_ms
        self.wall_s += other.wall_s
        self.requests += other.requests
        self.statements += other.statements
        self.cpu_us += other.cpu_us
        self.gc_us += other.gc_us
        self.rate = other.rate if self.rate is None else self.rate
        self.max_connections = max(self.max_connections, other.max_connections)

    @property
    def invoices_per_s(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s else 0.0

    def pct(self, p: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        k = min(len(data) - 1, max(0, round(p / 100 * len(data) + 0.5) - 1))
        return data[k]

    @property
    def cpu_ms_per_invoice(self) -> float:
        return self.cpu_us / 1000 / len(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def gc_ms_per_invoice(self) -> float:
        return self.gc_us / 1000 / len(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def statements_per_invoice(self) -> float:
        return self.statements / len(self.latencies_ms) if self.latencies_ms else float("nan")


def check(answer: bytes) -> None:
    if b'"InvoicePayload"' not in answer:
        raise SystemExit(f"createInvoice failed: {answer[:400]!r}")


def measured(app: App, drive: Callable[[], Any]) -> Phase:
    """Runs the load `drive` builds (a coroutine returning a Phase) and adds the server's
    statements and CPU time over it."""
    import uvloop

    before = app.stats()
    phase: Phase = uvloop.run(drive())
    after = app.stats()
    phase.requests = after["requests"] - before["requests"]
    phase.statements = after["statements"] - before["statements"]
    phase.cpu_us = after["cpu_us"] - before["cpu_us"]
    phase.gc_us = after.get("gc_us", 0) - before.get("gc_us", 0)
    return phase


@dataclass
class Driven:
    """A client of `app` in the shape the shared load drivers take."""

    base: str
    headers: dict[str, str]
    bodies: list[bytes]

    def body(self, n: int) -> bytes:
        return self.bodies[n % len(self.bodies)]


def _driven(app: App, clients: list[Client]) -> list[Driven]:
    json_type = {"content-type": "application/json"}
    return [Driven(app.base, c.headers | json_type, c.bodies) for c in clients]


def _check(status: int, answer: bytes) -> None:
    if status != 200:
        raise SystemExit(f"HTTP {status}: {answer[:300]!r}")
    check(answer)


def closed_loop(
    app: App, clients: list[Client], *, seconds: float | None = None, total: int | None = None
) -> Phase:
    """Each client on one keep-alive connection sends its next request as soon as the
    previous answer arrived, for `seconds` or until `total` requests were sent."""
    from bench import http_client

    async def drive() -> Phase:
        load = await http_client.closed_loop(
            _driven(app, clients), _check, seconds=seconds, total=total
        )
        return Phase(latencies_ms=load.latencies_ms, wall_s=load.wall_s)

    return measured(app, drive)


def open_loop(app: App, clients: list[Client], rate: float, seconds: float) -> Phase:
    """Arrival k leaves at start + k / rate (bench.http_client.open_loop); its latency
    counts from the scheduled time."""
    from bench import http_client

    async def drive() -> Phase:
        load = await http_client.open_loop(_driven(app, clients), _check, rate, seconds)
        return Phase(
            latencies_ms=load.latencies_ms,
            wall_s=load.wall_s,
            rate=rate,
            max_connections=load.max_connections,
        )

    return measured(app, drive)


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------
def load_average() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def versions(app: App) -> str:
    code = (
        "import importlib.metadata as m, platform\n"
        "print(f'Python {platform.python_version()}; ' + ', '.join("
        "f'{p} {m.version(p)}' for p in ('strawberry-graphql', 'graphql-core', "
        "'SQLAlchemy', 'asyncpg', 'uvicorn')))\n"
    )
    out = subprocess.run(  # noqa: S603
        [app.python, "-c", code], capture_output=True, text=True, check=False, cwd=app.root
    )
    return out.stdout.strip()


def pg_version() -> str:
    import asyncpg

    async def get() -> str:
        conn = await asyncpg.connect(f"postgresql://{PG_HOST}/{PG_ADMIN_DB}")
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    return asyncio.run(get()).split(" ")[0]


@dataclass
class AppResult:
    app: App
    commit: str
    capacity: Phase = field(default_factory=Phase)
    paced: Phase = field(default_factory=Phase)
    staff: Phase = field(default_factory=Phase)


def verdict(phase: Phase) -> str:
    return "met" if phase.pct(95) < GOAL_P95_MS else "**missed**"


def report(results: list[AppResult], args: argparse.Namespace, loads: list[str]) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# createInvoice benchmark (PostgreSQL)",
        "",
        f"- {now}; {os.cpu_count()} CPU cores ({platform.machine()}), PostgreSQL "
        f"{pg_version()}; " + "; ".join(f"{r.app.label}: {versions(r.app)}" for r in results),
        "- commits: " + ", ".join(f"{r.app.label} = {r.commit}" for r in results),
        f"- 1-min load average: {', '.join(loads)} (at the start, between rounds and at the end); "
        "the client, the servers and PostgreSQL share these cores with other work",
        f"- `python -m bench.create_invoice {' '.join(args.argv)}`".rstrip() + "",
        f"- set-up through GraphQL: {args.businesses} Indian businesses with {args.customers} "
        f"customers each; one more business with {args.staff} staff (owner + "
        f"{args.staff - 1} invited) and {args.customers} customers per staff member. Each "
        "request: createInvoice with 5 lines for one of the client's own customers.",
        "- server: uvicorn, one process, uvloop + httptools, no Redis (in-process event hub and "
        "job runner), 127.0.0.1; client: keep-alive connections (bench/http_client.py) from one "
        "asyncio process; CPU/invoice = server process CPU time / invoices; statements "
        "counted in the server",
        f"- {args.rounds} round(s); each scenario runs for every app in turn"
        if len(results) > 1
        else f"- {args.rounds} round(s)",
        "",
        "| App | Load | Invoices | invoices/s | p50 ms | p95 ms | p99 ms | server CPU ms/invoice "
        "| of which GC ms | SQL statements/invoice | p95 goal < 50 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        rows = [
            (
                f"capacity: {args.businesses} clients over {args.businesses} businesses, closed "
                "loop",
                r.capacity,
                "",
            ),
            (
                f"(i) {args.businesses} clients over {args.businesses} businesses, open loop at "
                f"{r.paced.rate or 0:.0f}/s ({100 * args.load:.0f} % of capacity)",
                r.paced,
                verdict(r.paced),
            ),
            (
                f"(ii) {args.staff} staff of one business, closed loop",
                r.staff,
                verdict(r.staff),
            ),
        ]
        for label, ph, goal in rows:
            out.append(
                f"| {r.app.label} | {label} | {len(ph.latencies_ms)} | {ph.invoices_per_s:.0f} | "
                f"{ph.pct(50):.1f} | {ph.pct(95):.1f} | {ph.pct(99):.1f} | "
                f"{ph.cpu_ms_per_invoice:.2f} | {ph.gc_ms_per_invoice:.2f} | "
                f"{ph.statements_per_invoice:.1f} | {goal} |"
            )
    out.append("")
    for r in results:
        out.append(
            f"- {r.app.label}: open loop asked {r.paced.rate or 0:.1f}/s and got "
            f"{r.paced.invoices_per_s:.1f}/s; at most {r.paced.max_connections} connection(s) "
            "open per client (more than one: a request was still running when the client's "
            "next one was due)."
        )
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--app",
        action="append",
        default=[],
        help="LABEL=ROOT: a checkout with its own .venv (repeat to compare; default: this one)",
    )
    parser.add_argument("--businesses", type=int, default=20)
    parser.add_argument("--customers", type=int, default=20, help="per business / staff member")
    parser.add_argument("--staff", type=int, default=5)
    parser.add_argument("--capacity-seconds", type=float, default=15)
    parser.add_argument("--paced-seconds", type=float, default=30)
    parser.add_argument("--load", type=float, default=0.7, help="open loop: share of capacity")
    parser.add_argument("--staff-requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=300, help="requests before measuring")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--no-write", action="store_true", help="print, do not write results")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        run_server(args.database_url, args.port)
        return
    args.argv = sys.argv[1:] if argv is None else argv
    apps = []
    for spec in args.app or [f"this={ROOT}"]:
        label, _, root = spec.partition("=")
        apps.append(App(label, Path(root or ".").resolve()))
    loads = [load_average()]
    results = [AppResult(app, app.commit()) for app in apps]
    with ExitStack() as stack:
        tenants = {}
        for app in apps:
            print(f"{app.label}: fresh {app.database}, migrating, starting the server")
            fresh_database(app)
            stack.enter_context(serve(app))
            t0 = time.perf_counter()
            tenants[app.label] = asyncio.run(set_up(app, args))
            print(f"{app.label}: set up in {time.perf_counter() - t0:.0f} s")
            closed_loop(app, tenants[app.label].spread, total=args.warmup)
            closed_loop(app, tenants[app.label].staff, total=args.warmup // 3)
        for r in range(args.rounds):
            if r:
                loads.append(load_average())
            for res in results:
                t = tenants[res.app.label]
                cap = closed_loop(res.app, t.spread, seconds=args.capacity_seconds)
                res.capacity.add(cap)
                print(
                    f"  {res.app.label} capacity {cap.invoices_per_s:.0f}/s, p95 {cap.pct(95):.1f} "
                    f"ms, {cap.cpu_ms_per_invoice:.2f} ms CPU/invoice"
                )
            for res in results:
                t = tenants[res.app.label]
                rate = args.load * res.capacity.invoices_per_s
                paced = open_loop(res.app, t.spread, rate, args.paced_seconds)
                res.paced.add(paced)
                print(
                    f"  {res.app.label} open loop {rate:.0f}/s: p50 {paced.pct(50):.1f} p95 "
                    f"{paced.pct(95):.1f} p99 {paced.pct(99):.1f} ms, "
                    f"{paced.cpu_ms_per_invoice:.2f} ms CPU/invoice, "
                    f"max {paced.max_connections} connections/client"
                )
            for res in results:
                t = tenants[res.app.label]
                staff = closed_loop(res.app, t.staff, total=args.staff_requests)
                res.staff.add(staff)
                print(
                    f"  {res.app.label} {len(t.staff)} staff: {staff.invoices_per_s:.0f}/s p50 "
                    f"{staff.pct(50):.1f} p95 {staff.pct(95):.1f} p99 {staff.pct(99):.1f} ms, "
                    f"{staff.cpu_ms_per_invoice:.2f} ms CPU/invoice"
                )
    loads.append(load_average())
    text = report(results, args, loads)
    print(text)
    if not args.no_write:
        RESULTS.write_text(text)
        print(f"written to {RESULTS.relative_to(ROOT)}")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    (DATA_DIR / "create_invoice.json").write_text(
        json.dumps(
            {
                r.app.label: {k: getattr(r, k).latencies_ms for k in ("capacity", "paced", "staff")}
                for r in results
            }
        )
    )


if __name__ == "__main__":
    main()
