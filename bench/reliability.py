"""Reliability under lost database connections, on PostgreSQL:

    .venv/bin/python -m bench.reliability [--duration 30] [--clients 10] [--cuts 2]

A real `khata serve` process (its own database `khata_bench_reliability`, or
$BENCH_RELIABILITY_DB, created fresh through the `postgres` maintenance database and
migrated) takes writes from `--clients` concurrent clients for `--duration` seconds: each
alternates createCustomer and createInvoice (2 lines, for one of the customers it made),
over two businesses so clients contend for the same invoice and customer counters. At
even intervals the server's own PostgreSQL connections are terminated
(`pg_terminate_backend`): only backends of the bench's database whose client port is a
TCP socket held by the server's process (read from /proc), never anyone else's.

Counted: requests that failed (transport error, HTTP >= 500, GraphQL `errors`), typed
refusals (a UserError such as "retry"), successes. Then the database is checked: every
business's invoice and customer numbers are contiguous from 1 and match their counters,
every acknowledged invoice and customer exists, every invoice has its lines and its total
is their sum, every customer's stored summary equals the one summed from its invoices.
Results: bench/results/reliability.md."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.processes import app_client, clean_env, free_port, server_process, sign_up_owner

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "reliability.md"
LOG = ROOT / "bench" / ".data" / "reliability_server.log"
PG_HOST = "postgres@127.0.0.1:5432"
DB_NAME = os.environ.get("BENCH_RELIABILITY_DB", "khata_bench_reliability")
PG_URL = f"postgresql+asyncpg://{PG_HOST}/{DB_NAME}"
PASSWORD = "reliability horse battery"
PG_PORT = 5432

CREATE_CUSTOMER = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  __typename ... on CustomerPayload { customer { id number } } ... on UserError { code message }
} }"""
CREATE_INVOICE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) {
  __typename ... on InvoicePayload { invoice { id number } } ... on UserError { code message }
} }"""
LOGIN = """mutation($input: LoginInput!) { login(input: $input) {
  __typename ... on AuthPayload { token } } }"""


# ------------------------------------------------------------------------------ set-up
async def fresh_database() -> None:
    assert DB_NAME.startswith("khata_bench_"), DB_NAME
    admin = create_async_engine(
        make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    await admin.dispose()
    from domain.migrations.run import upgrade

    await upgrade(PG_URL)


@dataclass
class Owner:
    email: str
    business: str
    token: str = ""


async def sign_up_owners(count: int) -> list[Owner]:
    owners = []
    async with app_client(PG_URL) as client:
        for i in range(count):
            email = f"owner{i}@reliability.example"
            business = await sign_up_owner(
                client, email, PASSWORD, f"Owner {i}", {"name": f"Shop {i}", "country": "IN"}
            )
            owners.append(Owner(email, business))
    return owners


# ------------------------------------------------------------------------- connection cuts
def server_pg_ports(pid: int) -> set[int]:
    """Local ports of the TCP connections to PostgreSQL held by process `pid`."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            local, remote, inode = cols[1], cols[2], cols[9]
            if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == PG_PORT:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


async def cut_connections(server_pid: int) -> int:
    """Terminate the server's backends on the bench database; how many were cut."""
    ports = sorted(server_pg_ports(server_pid))
    if not ports:
        return 0
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :db AND client_port = ANY(:ports) "
                    "AND pid <> pg_backend_pid()"
                ),
                {"db": DB_NAME, "ports": ports},
            )
            return sum(1 for (ok,) in rows if ok)
    finally:
        await engine.dispose()


# ---------------------------------------------------------------------------------- load
@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    customers: list[tuple[str, str]] = field(default_factory=list)  # (business, number)
    invoices: list[tuple[str, str]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


async def call(
    client: httpx.AsyncClient,
    owner: Owner,
    query: str,
    variables: dict[str, Any],
    tally: Tally,
    op: str,
) -> dict[str, Any] | None:
    started = time.perf_counter()
    try:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {owner.token}"},
        )
    except httpx.HTTPError as exc:
        tally.outcomes[f"{op} failed"] += 1
        tally.failures[f"transport {type(exc).__name__}"] += 1
        return None
    finally:
        tally.latencies.append(time.perf_counter() - started)
    if response.status_code >= 500:
        tally.outcomes[f"{op} failed"] += 1
        tally.failures[f"HTTP {response.status_code}"] += 1
        return None
    body = response.json()
    if body.get("errors"):
        tally.outcomes[f"{op} failed"] += 1
        code = (body["errors"][0].get("extensions") or {}).get("code", "?")
        tally.failures[f"GraphQL error {code}"] += 1
        return None
    result: dict[str, Any] = next(iter(body["data"].values()))
    if result["__typename"] in ("CustomerPayload", "InvoicePayload"):
        tally.outcomes[f"{op} ok"] += 1
        return result
    tally.outcomes[f"{op} refused"] += 1
    tally.failures[f"refused {result.get('code')}: {result.get('message')}"] += 1
    return None


async def client_loop(base: str, owner: Owner, seed: int, deadline: float, tally: Tally) -> None:
    rng = random.Random(seed)
    mine: list[str] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while time.monotonic() < deadline:
            if not mine or rng.random() < 0.4:
                made = await call(
                    client,
                    owner,
                    CREATE_CUSTOMER,
                    {"input": {"name": f"Customer {seed}-{len(mine)} {rng.randrange(10**6)}"}},
                    tally,
                    "createCustomer",
                )
                if made:
                    mine.append(made["customer"]["id"])
                    tally.customers.append((owner.business, made["customer"]["number"]))
                continue
            lines = [
                {"description": "Rice 5kg", "quantity": "2", "unitPrice": "310.50"},
                {"description": "Dal 1kg", "quantity": str(rng.randint(1, 5)), "unitPrice": "142"},
            ]
            made = await call(
                client,
                owner,
                CREATE_INVOICE,
                {"input": {"customerId": rng.choice(mine), "lines": lines}},
                tally,
                "createInvoice",
            )
            if made:
                tally.invoices.append((owner.business, made["invoice"]["number"]))


async def run_load(
    base: str, server_pid: int, owners: list[Owner], clients: int, duration: float, cuts: int
) -> tuple[Tally, list[tuple[float, int]]]:
    async with httpx.AsyncClient(base_url=base) as client:
        for owner in owners:
            body = (
                await client.post(
                    "/graphql",
                    json={
                        "query": LOGIN,
                        "variables": {"input": {"email": owner.email, "password": PASSWORD}},
                    },
                )
            ).json()
            owner.token = body["data"]["login"]["token"]
    tally = Tally()
    started = time.monotonic()
    deadline = started + duration
    tasks = [
        asyncio.create_task(client_loop(base, owners[i % len(owners)], i, deadline, tally))
        for i in range(clients)
    ]
    cut_log = []
    for k in range(1, cuts + 1):
        await asyncio.sleep(max(0.0, started + duration * k / (cuts + 1) - time.monotonic()))
        cut_log.append((time.monotonic() - started, await cut_connections(server_pid)))
    await asyncio.gather(*tasks)
    return tally, cut_log


# --------------------------------------------------------------------------- consistency
async def check(tally: Tally) -> dict[str, Any]:
    from domain.core.settings import Settings
    from domain.core.tx import Tx
    from domain.core.viewer import STAFF_SCOPES, Role, Viewer, ViewerKind
    from khata.composition import build_runtime
    from tests.conftest import summaries_off_their_rows

    engine = create_async_engine(PG_URL)
    problems: list[str] = []
    figures: dict[str, Any] = {}
    async with engine.connect() as conn:
        for kind, table, acked in (
            ("invoice", "invoices", tally.invoices),
            ("customer", "customers", tally.customers),
        ):
            rows = (await conn.execute(text(f"SELECT business_id, number FROM {table}"))).all()
            counters: dict[int, int] = dict(
                (
                    await conn.execute(
                        text("SELECT business_id, last_value FROM counters WHERE kind = :k"),
                        {"k": kind},
                    )
                ).all()
            )
            by_business: dict[int, list[int]] = {}
            for business_id, number in rows:
                by_business.setdefault(business_id, []).append(int(number.rsplit("-", 1)[1]))
            for business_id, numbers in by_business.items():
                if sorted(numbers) != list(range(1, len(numbers) + 1)):
                    problems.append(f"{table} of business {business_id} are not contiguous")
                if counters.get(business_id) != len(numbers):
                    problems.append(
                        f"{kind} counter of business {business_id} is {counters.get(business_id)}"
                        f", rows {len(numbers)}"
                    )
            stored = {number for _, number in rows}
            missing = [n for _, n in acked if n not in stored]
            if missing:
                problems.append(f"{len(missing)} acknowledged {table} are missing")
            figures[table] = len(rows)
        half = (
            await conn.execute(
                text(
                    "SELECT i.number FROM invoices i LEFT JOIN invoice_lines l "
                    "ON l.invoice_id = i.id GROUP BY i.id, i.number, i.total "
                    "HAVING count(l.id) = 0 OR sum(l.total) <> i.total"
                )
            )
        ).all()
        if half:
            problems.append(f"{len(half)} invoices without lines or whose total != their lines")
        pending = await conn.scalar(
            text("SELECT count(*) FROM outbox_events WHERE relayed_at IS NULL")
        )
        figures["outbox_pending_after"] = pending
        businesses = (await conn.execute(text("SELECT id FROM businesses"))).scalars().all()
        owner_of: dict[int, int] = dict(
            (await conn.execute(text("SELECT business_id, user_id FROM memberships"))).all()
        )
        customers_of: dict[int, list[int]] = {}
        for business_id, customer_id in (
            await conn.execute(text("SELECT business_id, id FROM customers"))
        ).all():
            customers_of.setdefault(business_id, []).append(customer_id)
    await engine.dispose()

    settings = Settings(database_url=PG_URL, redis_url=None, log_level="WARNING")
    rt = build_runtime(settings)
    await rt.start(sweep=False)
    try:
        off = 0
        for business_id in businesses:
            viewer = Viewer(
                ViewerKind.STAFF,
                user_id=owner_of[business_id],
                business_id=business_id,
                role=Role.OWNER,
                scopes=STAFF_SCOPES,
            )
            async with rt.db.read() as session:
                off += len(
                    await summaries_off_their_rows(
                        Tx(session, viewer, rt.clock), customers_of.get(business_id, [])
                    )
                )
        if off:
            problems.append(f"{off} customer summaries differ from their invoices' sums")
    finally:
        await rt.stop()
    figures["problems"] = problems
    return figures


# ---------------------------------------------------------------------------------- main
def report(
    args: argparse.Namespace, tally: Tally, cuts: list[tuple[float, int]], checked: dict[str, Any]
) -> str:
    total = sum(tally.outcomes.values())
    failed = sum(v for k, v in tally.outcomes.items() if k.endswith("failed"))
    refused = sum(v for k, v in tally.outcomes.items() if k.endswith("refused"))
    lat = sorted(tally.latencies)
    p = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000) if lat else (lambda q: 0.0)
    out = [
        "# Reliability: writes while the server's database connections are cut",
        "",
        f"`python -m bench.reliability --duration {args.duration:g} --clients {args.clients}"
        f" --cuts {args.cuts}` on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} cores, Python {platform.python_version()}), PostgreSQL, one "
        "`khata serve` process (pool 10 + 10 overflow), no Redis; 2 businesses.",
        "",
        "| | count |",
        "| --- | ---: |",
        f"| requests | {total} |",
        *(f"| {k} | {v} |" for k, v in sorted(tally.outcomes.items())),
        f"| **failed** | **{failed}** ({failed / total:.2%}) |" if total else "| failed | 0 |",
        f"| refused with a typed error | {refused} |",
        f"| latency p50 / p99 / max | {p(0.5):.0f} / {p(0.99):.0f} / {p(1.0):.0f} ms |",
        "",
        "Connection cuts (seconds into the run, server backends terminated): "
        + ", ".join(f"{t:.1f} s: {n}" for t, n in cuts),
        "",
        "Failures by kind: "
        + (", ".join(f"{k}: {v}" for k, v in tally.failures.most_common()) or "none"),
        "",
        f"After the run: {checked['invoices']} invoices, {checked['customers']} customers, "
        f"{checked['outbox_pending_after']} outbox rows not yet relayed.",
        "",
        "Consistency: "
        + (
            "; ".join(checked["problems"])
            if checked["problems"]
            else "invoice and customer numbers contiguous per business and equal to their "
            "counters; every acknowledged write present; every invoice has lines summing to "
            "its total; every customer summary equals its invoices' sums."
        ),
        "",
    ]
    return "\n".join(out)


async def main(args: argparse.Namespace) -> int:
    await fresh_database()
    owners = await sign_up_owners(2)
    port = free_port()
    env = clean_env(DATABASE_URL=PG_URL, KHATA_AUTO_MIGRATE="false", KHATA_LOG_LEVEL="WARNING")
    argv = [sys.executable, "-m", "khata_cli", "serve", "--port", str(port)]
    with server_process(argv, port, env, ROOT, LOG, "khata serve") as (base, pid):
        tally, cuts = await run_load(base, pid, owners, args.clients, args.duration, args.cuts)
    checked = await check(tally)
    text_out = report(args, tally, cuts, checked)
    RESULTS.write_text(text_out)
    print(text_out)
    return 1 if checked["problems"] else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--cuts", type=int, default=2)
    sys.exit(asyncio.run(main(parser.parse_args())))
