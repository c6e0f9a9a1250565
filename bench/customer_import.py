"""CSV import of customers on PostgreSQL: a 10,000-row file through `importCustomers`
(checked at once, then run as a job chunk by chunk), while another client of the same
business keeps calling createCustomer; and how fast an over-limit file is refused.

    .venv/bin/python -m bench.customer_import [--rows 10000] [--pg postgres@127.0.0.1:5432]

The app runs in this process (embedded job runner, no Redis) against a database of its
own, `khata_bench_import`, created afresh (through a connection to `postgres`) and
migrated. Requests go through the ASGI app (httpx ASGITransport), so the figures are the
server's work without network. Results: bench/results/customer_import.md.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from domain.core.settings import Settings
from domain.migrations.run import upgrade
from khata.composition import build_runtime, create_app
from workers.runner import InProcessRunner

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "customer_import.md"
DB = "khata_bench_import"

SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) { __typename
  ... on SignUpPayload { auth { token } business { id } } ... on UserError { code message } } }"""
IMPORT = """mutation($input: ImportCustomersInput!) { importCustomers(input: $input) {
  __typename ... on ImportPayload { customerImport { id status totalRows } }
  ... on ValidationError { fields { field code } } ... on UserError { code message } } }"""
STATUS = """query($id: ID!) { customerImport(id: $id) {
  status totalRows processedRows created failed startedAt finishedAt } }"""
CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  __typename ... on CustomerPayload { customer { number } } ... on UserError { code } } }"""


def csv_file(rows: int) -> str:
    """Indian customers with distinct mobiles; every 100th row has a bad phone."""
    lines = ["name,phone,email,tags,city,postal_code"]
    for i in range(rows):
        phone = "12345" if i % 100 == 99 else f"9{(800000000 + i):09d}"
        lines.append(f"Customer {i},{phone},c{i}@example.com,bench;wholesale,Pune,411001")
    return "\n".join(lines) + "\n"


async def fresh_database(pg: str) -> str:
    admin = create_async_engine(f"postgresql+asyncpg://{pg}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{DB}"'))
        await conn.execute(text(f'CREATE DATABASE "{DB}"'))
        version = str(await conn.scalar(text("SHOW server_version")))
    await admin.dispose()
    url = f"postgresql+asyncpg://{pg}/{DB}"
    await upgrade(url)
    return version


async def gql(client: httpx.AsyncClient, query: str, variables: dict[str, Any], **kw: Any) -> Any:
    response = await client.post("/graphql", json={"query": query, "variables": variables}, **kw)
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def run(rows: int, pg: str) -> str:
    version = await fresh_database(pg)
    settings = Settings(
        env="test",
        database_url=f"postgresql+asyncpg://{pg}/{DB}",
        redis_url=None,
        log_level="WARNING",
    )
    rt = build_runtime(settings)
    await rt.start(sweep=False)
    assert isinstance(rt.jobs, InProcessRunner)
    app = create_app(settings, runtime=rt)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as c:
        signed = (
            await gql(
                c,
                SIGN_UP,
                {
                    "input": {
                        "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
                        "password": "bench horse battery staple",
                        "name": "Bench",
                        "business": {"name": "Import Bench", "country": "IN"},
                    }
                },
            )
        )["signUp"]
        headers = {
            "authorization": f"Bearer {signed['auth']['token']}",
            "x-khata-business": signed["business"]["id"],
        }
        # an over-limit file is refused before any write (a short-rowed one: a 100,000-row
        # file of full rows is over the request body cap and never reaches the app)
        big = "name\n" + "".join(f"C{i}\n" for i in range(100_000))
        t = time.perf_counter()
        refused = (await gql(c, IMPORT, {"input": {"csv": big}}, headers=headers))[
            "importCustomers"
        ]
        refuse_ms = (time.perf_counter() - t) * 1000
        assert refused["__typename"] == "ValidationError", refused

        text_csv = csv_file(rows)
        latencies: list[float] = []
        stop = asyncio.Event()

        async def counter_client() -> None:
            """Another staff member at the counter meanwhile: a new customer every 0.2 s
            (human speed; a closed loop would only compete for this process's CPU)."""
            i = 0
            while not stop.is_set():
                await asyncio.sleep(0.2)
                t0 = time.perf_counter()
                made = (await gql(c, CREATE, {"input": {"name": f"Walk-in {i}"}}, headers=headers))[
                    "createCustomer"
                ]
                latencies.append((time.perf_counter() - t0) * 1000)
                assert made["__typename"] == "CustomerPayload", made
                i += 1

        t0 = time.perf_counter()
        started = (await gql(c, IMPORT, {"input": {"csv": text_csv}}, headers=headers))[
            "importCustomers"
        ]
        answer_ms = (time.perf_counter() - t0) * 1000
        assert started["__typename"] == "ImportPayload", started
        other = asyncio.create_task(counter_client())
        await rt.jobs.drain()
        total_s = time.perf_counter() - t0
        stop.set()
        await other
        status = (await gql(c, STATUS, {"id": started["customerImport"]["id"]}, headers=headers))[
            "customerImport"
        ]
        numbers = (await gql(c, "{ customers(first: 1) { totalCount } }", {}, headers=headers))[
            "customers"
        ]["totalCount"]
    await rt.stop()
    assert status["status"] == "COMPLETED", status
    lat = sorted(latencies)
    p95 = lat[int(len(lat) * 0.95) - 1] if len(lat) >= 20 else max(lat)
    return "\n".join(
        [
            "# CSV import of customers (PostgreSQL)",
            "",
            f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, "
            f"Python {platform.python_version()}, PostgreSQL {version}; shared 2-core host",
            f"- `python -m bench.customer_import --rows {rows}`: app in-process (ASGI), "
            "embedded job runner, chunks of 250 rows per unit of work (numbers taken at "
            "the end of each chunk)",
            "",
            "| measure | value |",
            "|---|---:|",
            f"| rows in the file | {status['totalRows']} |",
            f"| created / refused rows | {status['created']} / {status['failed']} |",
            f"| importCustomers answered (queued) | {answer_ms:.0f} ms |",
            f"| import finished (from the request) | {total_s:.1f} s |",
            f"| rows/s | {status['totalRows'] / total_s:.0f} |",
            f"| createCustomer calls during the import (one per 0.2 s) | {len(lat)} |",
            f"| their latency p50 / p95 / max | {statistics.median(lat):.0f} / {p95:.0f} / "
            f"{lat[-1]:.0f} ms |",
            f"| customers after (import + calls meanwhile) | {numbers} |",
            f"| 100,000-row file refused (TOO_MANY_ROWS) in | {refuse_ms:.0f} ms |",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--pg", default="postgres@127.0.0.1:5432")
    args = parser.parse_args()
    report = asyncio.run(run(args.rows, args.pg))
    RESULTS.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
