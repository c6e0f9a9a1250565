"""The recurring invoice due scan: how fast due occurrences are issued, and that two
scanners at once (two worker processes' database pools) issue each exactly once.

    .venv/bin/python -m bench.recurring_scan                  # PostgreSQL and SQLite
    .venv/bin/python -m bench.recurring_scan --backend sqlite --businesses 5

Set-up through GraphQL (the app in-process over ASGI): `--businesses` Indian businesses,
each with `--schedules` customers and one monthly schedule per customer (3 lines, GST),
all starting on the same day. PostgreSQL uses a fresh database `khata_bench_recurring`
(created through a connection to `postgres`); SQLite a temporary file. The clock is a
frozen one moved to the start day, then:
  one      one scanner issues every due occurrence (a month's worth: one per schedule);
  two      next month, two scanners at once, each with its own Database (own pool), as two
           arq workers would run the cron at the same second;
  rerun    a third scan the same day (must issue nothing).
Counted afterwards in the database: invoices vs occurrence rows vs schedules (any
duplicate would show as more invoices than schedules x months).
Results: bench/results/recurring_scan.md (appended).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from domain.core.clock import FrozenClock
from domain.core.db import Database
from domain.core.settings import Settings
from domain.invoicing.models import Invoice
from domain.invoicing.recurring.models import RecurringOccurrence, RecurringSchedule
from domain.invoicing.recurring.scan import issue_due
from domain.migrations.run import upgrade
from khata.composition import build_runtime, create_app

RESULTS = Path(__file__).resolve().parent / "results" / "recurring_scan.md"
PG_DB = "khata_bench_recurring"
PG = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DB}"
SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) { __typename
  ... on SignUpPayload { auth { token } business { id } } } }"""
CUSTOMER = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  ... on CustomerPayload { customer { id } } } }"""
SCHEDULE = """mutation($input: CreateRecurringScheduleInput!) {
  createRecurringSchedule(input: $input) { __typename } }"""
LINES = [
    {"description": "Maintenance", "quantity": "1", "unitPrice": "2500", "taxRate": "18"},
    {"description": "Spare parts", "quantity": "3", "unitPrice": "120.50", "taxRate": "12"},
    {"description": "Visit", "quantity": "1", "unitPrice": "300", "taxRate": "0"},
]
START = datetime(2030, 1, 1, 6, tzinfo=UTC)  # the frozen clock's first day (11:30 in India)


async def _fresh_pg() -> None:
    admin = create_async_engine(
        "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}"'))
        await conn.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    await admin.dispose()


async def _gql(c: httpx.AsyncClient, query: str, variables: dict[str, Any], **h: str) -> Any:
    r = await c.post("/graphql", json={"query": query, "variables": variables}, headers=h)
    body = r.json()
    assert "errors" not in body, body
    return body["data"]


async def _set_up(settings: Settings, clock: FrozenClock, businesses: int, per: int) -> None:
    rt = build_runtime(settings, clock=clock)
    await rt.start(sweep=False)
    transport = httpx.ASGITransport(app=create_app(settings, runtime=rt))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
            for b in range(businesses):
                signed = (
                    await _gql(
                        c,
                        SIGN_UP,
                        {
                            "input": {
                                "email": f"bench-{uuid.uuid4().hex[:10]}@example.com",
                                "password": "bench horse battery staple",
                                "name": "Owner",
                                "business": {"name": f"Bench {b}", "country": "IN"},
                            }
                        },
                    )
                )["signUp"]
                headers = {
                    "authorization": f"Bearer {signed['auth']['token']}",
                    "x-khata-business": signed["business"]["id"],
                }
                for i in range(per):
                    cid = (
                        await _gql(c, CUSTOMER, {"input": {"name": f"Customer {i}"}}, **headers)
                    )["createCustomer"]["customer"]["id"]
                    made = await _gql(
                        c,
                        SCHEDULE,
                        {
                            "input": {
                                "customerId": cid,
                                "frequency": "MONTHLY",
                                "startDate": "2030-01-02",
                                "lines": LINES,
                            }
                        },
                        **headers,
                    )
                    assert made["createRecurringSchedule"]["__typename"] == (
                        "RecurringSchedulePayload"
                    ), made
    finally:
        await rt.stop()


async def _counts(db: Database) -> tuple[int, int, int]:
    async with db.read() as s:
        schedules = await s.scalar(select(func.count()).select_from(RecurringSchedule))
        occurrences = await s.scalar(select(func.count()).select_from(RecurringOccurrence))
        invoices = await s.scalar(select(func.count()).select_from(Invoice))
    return int(schedules or 0), int(occurrences or 0), int(invoices or 0)


async def run(backend: str, businesses: int, per: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db" if backend == "sqlite" else PG
        if backend == "postgres":
            await _fresh_pg()
        await upgrade(url)
        settings = Settings(env="test", database_url=url, redis_url=None, log_level="WARNING")
        clock = FrozenClock(START)
        await _set_up(settings, clock, businesses, per)
        db = Database(url)
        second = Database(url)
        try:
            clock.advance(days=1)  # Jan 2: every schedule is due
            t0, c0 = time.perf_counter(), time.process_time()
            await issue_due(db, clock, settings.public_url)
            one, cpu = time.perf_counter() - t0, time.process_time() - c0
            clock.advance(days=31)  # Feb 2: due again, two scanners at once
            t0 = time.perf_counter()
            a, b = await asyncio.gather(
                issue_due(db, clock, settings.public_url),
                issue_due(second, clock, settings.public_url),
            )
            two = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = await issue_due(db, clock, settings.public_url)
            rerun = time.perf_counter() - t0
            schedules, occurrences, invoices = await _counts(db)
        finally:
            await db.dispose()
            await second.dispose()
    n = businesses * per
    return (
        f"| {backend} | {businesses} x {per} | {n} | {one:.2f} s ({n / one:.0f}/s, "
        f"{one / n * 1000:.1f} ms each; scanner CPU {cpu / n * 1000:.1f} ms each) | "
        f"{two:.2f} s ({n / two:.0f}/s; "
        f"{a.issued} + {b.issued} issued) | {again.issued} issued, {rerun:.2f} s | "
        f"{schedules} / {occurrences} / {invoices} (expected {n} / {2 * n} / {2 * n}) |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--businesses", type=int, default=20)
    parser.add_argument("--schedules", type=int, default=25)
    args = parser.parse_args()
    backends = ["postgres", "sqlite"] if args.backend == "both" else [args.backend]
    load = os.getloadavg()[0]
    rows = [await run(b, args.businesses, args.schedules) for b in backends]
    header = (
        f"\n## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPU cores "
        f"({platform.machine()}), Python {platform.python_version()}; 1-min load average "
        f"{load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (shared host)\n\n"
        f"`python -m bench.recurring_scan --backend {args.backend} --businesses "
        f"{args.businesses} --schedules {args.schedules}`\n\n"
        "| Backend | businesses x schedules | occurrences a month | one scanner | "
        "two scanners at once (next month) | rerun same day | schedules / occurrence rows "
        "/ invoices |\n|---|---|---:|---|---|---|---|\n"
    )
    text_out = header + "\n".join(rows) + "\n"
    if not RESULTS.exists():
        RESULTS.write_text("# Recurring invoice due scan\n")
    with RESULTS.open("a") as f:
        f.write(text_out)
    print(text_out)


if __name__ == "__main__":
    asyncio.run(main())
