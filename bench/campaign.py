"""A 10,000-recipient SMS campaign against the fake Twilio server, on PostgreSQL + Redis:

    .venv/bin/python -m bench.campaign [--recipients 10000] [--rate 100] [--kill-at 3000]

Two real arq worker processes (`arq workers.arq_worker.WorkerSettings`) send through the
Twilio SDK to the fake Twilio (tests/fakes/twilio_server.py, served on loopback by this
process) with `KHATA_SMS_RATE_PER_SECOND` = `--rate` (the Redis token bucket shared by
both). The campaign is started through the API (`sendCampaign`), as an owner would.

Measured at the fake: the achieved rate between the 10th and 90th percentile message
(the bucket's initial burst excluded), the CPU the two worker processes spent per
recipient (utime + stime from /proc; a killed worker counts until its kill) and this
process's own (the API, the fake Twilio, the polling), and messages per phone (0 lost:
every recipient once; 0 duplicated: none twice). Run 1: both workers throughout. Run 2
(another business, so the daily marketing cap does not skip anyone): one worker is killed
(SIGKILL) when `--kill-at` messages have arrived. Results: bench/results/campaign.md."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import time as dt_time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from bench.processes import fresh_postgres
from domain.core.settings import Settings
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.customers import service as customers
from domain.customers.fields import CustomerInput
from domain.customers.models import Customer
from domain.notifications.template_models import NotificationPreference
from khata.composition import build_runtime, create_app
from schema.relay import expect_id
from tests.conftest import serving
from tests.fakes.twilio_server import FakeTwilio

DB = os.environ.get(
    "BENCH_CAMPAIGN_DB", "postgresql+asyncpg://postgres@127.0.0.1:5432/khata_bench_campaigns"
)
REDIS = os.environ.get("BENCH_CAMPAIGN_REDIS", "redis://127.0.0.1:6379/3")
RESULTS = Path(__file__).resolve().parent / "results" / "campaign.md"
SENDER = "+15005550006"
CREATE = """mutation($input: CreateCampaignInput!) { createCampaign(input: $input) {
  __typename ... on CampaignPayload { campaign { id } } ... on UserError { code message } } }"""
SEND = """mutation($id: ID!) { sendCampaign(input: {id: $id}) { __typename
  ... on CampaignPayload { campaign { status } } ... on UserError { code message } } }"""
STATUS = "query($id: ID!) { campaign(id: $id) { status recipientCount } }"


def cpu_seconds(proc: subprocess.Popen[bytes]) -> float:
    """User + system CPU of a live worker process so far (Linux /proc)."""
    fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workers_cpu(workers: list[subprocess.Popen[bytes]], seen: dict[int, float]) -> float:
    """Total CPU of the workers; a dead one counts with its last reading."""
    for w in workers:
        if w.poll() is None:
            seen[w.pid] = cpu_seconds(w)
    return sum(seen.values())


def worker(namespace: str, url: str, fake: FakeTwilio, rate: float) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "KHATA_ENV": "test",
        "KHATA_LOG_LEVEL": "WARNING",
        "DATABASE_URL": DB,
        "REDIS_URL": REDIS,
        "KHATA_REDIS_NAMESPACE": namespace,
        "KHATA_SMS_PROVIDER": "twilio",
        "KHATA_TWILIO_ACCOUNT_SID": fake.account_sid,
        "KHATA_TWILIO_AUTH_TOKEN": fake.auth_token,
        "KHATA_TWILIO_FROM": SENDER,
        "KHATA_TWILIO_API_BASE_URL": url,
        "KHATA_SMS_RATE_PER_SECOND": str(rate),
        "KHATA_PROVIDER_TIMEOUT_SECONDS": "5",
        "KHATA_CAMPAIGN_CLAIM_LEASE_SECONDS": "5",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "arq", "workers.arq_worker.WorkerSettings"], env=env
    )


async def add_customers(rt: Any, business_id: int, n: int, prefix: str) -> list[str]:
    viewer = Viewer.system_actor("bench", business_id=business_id)
    phones = [f"{prefix}{i:06d}" for i in range(n)]
    for start in range(0, n, 500):
        async with rt.db.unit_of_work() as session:
            tx = Tx(session, viewer, rt.clock)
            for phone in phones[start : start + 500]:
                await customers.create_customer(
                    tx, CustomerInput(name=f"Customer {phone[-6:]}", phone=phone),
                    allow_duplicate_phone=True,
                )  # fmt: skip
    await without_quiet_hours(rt, business_id)
    return phones


async def without_quiet_hours(rt: Any, business_id: int) -> None:
    """Every customer of the business accepts messages at any hour: the run must not
    depend on the time of day (from 21:00 in Nairobi a campaign waits for the morning)."""
    async with rt.db.unit_of_work() as session:
        ids = (
            await session.scalars(select(Customer.id).where(Customer.business_id == business_id))
        ).all()
        now, midnight = rt.clock.now(), dt_time(0)
        rows = [
            {"customer_id": i, "business_id": business_id, "quiet_start": midnight,
             "quiet_end": midnight, "updated_by": "bench", "source": "staff", "updated_at": now}
            for i in ids
        ]  # fmt: skip
        await session.execute(insert(NotificationPreference), rows)


SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) { __typename
  ... on SignUpPayload { auth { token } business { id } } ... on UserError { code message } } }"""


async def gql(client: httpx.AsyncClient, headers: dict[str, str], query: str, **v: Any) -> Any:
    body = (
        await client.post("/graphql", json={"query": query, "variables": v}, headers=headers)
    ).json()
    assert "errors" not in body, body
    return body["data"]


async def owner(client: httpx.AsyncClient, label: str) -> tuple[dict[str, str], int]:
    body = await gql(client, {}, SIGN_UP, input={
        "email": f"{uuid.uuid4().hex[:8]}@example.com", "password": "bench horse battery staple",
        "name": "Owner", "business": {"name": f"Campaign bench {label}", "country": "KE"},
    })  # fmt: skip
    made = body["signUp"]
    assert made["__typename"] == "SignUpPayload", made
    business = made["business"]["id"]
    headers = {"authorization": f"Bearer {made['auth']['token']}", "x-khata-business": business}
    return headers, expect_id(business, "Business")


async def one_campaign(
    client: httpx.AsyncClient, rt: Any, fake: FakeTwilio, workers: list[subprocess.Popen[bytes]],
    args: argparse.Namespace, label: str, prefix: str, kill_at: int | None,
) -> dict[str, Any]:  # fmt: skip
    headers, business_id = await owner(client, label)
    t0 = time.monotonic()
    phones = await add_customers(rt, business_id, args.recipients, prefix)
    print(f"{label}: {len(phones)} customers in {time.monotonic() - t0:.0f} s", flush=True)
    made = (await gql(client, headers, CREATE, input={
        "name": label, "body": "Hi {{name}}! 20% off this week at {{business}}.",
        "audience": {"kind": "ALL_ACTIVE"},
    }))["createCampaign"]  # fmt: skip
    cid = made["campaign"]["id"]
    before = len(fake.messages)
    wanted = set(phones)
    cpu: dict[int, float] = {}
    cpu_before = workers_cpu(workers, cpu)
    own_before = time.process_time()
    load_before = os.getloadavg()
    started = time.monotonic()
    assert (await gql(client, headers, SEND, id=cid))["sendCampaign"]["campaign"]
    samples: list[tuple[float, int]] = []
    killed = None
    deadline = started + args.recipients / args.rate * 3 + 120
    while time.monotonic() < deadline:
        got = len(fake.messages) - before
        samples.append((time.monotonic(), got))
        workers_cpu(workers, cpu)
        if kill_at is not None and killed is None and got >= kill_at:
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(10)
            killed = got
            print(f"{label}: killed worker pid {workers[0].pid} at {got} messages", flush=True)
        status = (await gql(client, headers, STATUS, id=cid))["campaign"]["status"]
        if status == "SENT" and got >= len(phones):
            break
        await asyncio.sleep(0.25)
    elapsed = time.monotonic() - started
    worker_cpu = workers_cpu(workers, cpu) - cpu_before
    own_cpu = time.process_time() - own_before
    per_phone = Counter(m["to"] for m in fake.messages[before:] if m["to"] in wanted)
    lost = sum(1 for p in phones if per_phone[p] == 0)
    duplicated = sum(1 for p in phones if per_phone[p] > 1)

    def at(count: int) -> float:
        return next(t for t, n in samples if n >= count)

    lo, hi = int(len(phones) * 0.1), int(len(phones) * 0.9)
    rate = (hi - lo) / (at(hi) - at(lo)) if samples[-1][1] >= hi else float("nan")
    return {
        "label": label, "recipients": len(phones), "messages": sum(per_phone.values()),
        "lost": lost, "duplicated": duplicated, "rate": rate, "elapsed": elapsed,
        "status": status, "killed_at": killed,
        "worker_cpu_ms": worker_cpu * 1000 / max(1, len(phones)),
        "bench_cpu_ms": own_cpu * 1000 / max(1, len(phones)),
        "load": (load_before, os.getloadavg()),
    }  # fmt: skip


async def main(args: argparse.Namespace) -> None:
    await fresh_postgres(DB, admin_db="postgres")
    namespace = f"bench{uuid.uuid4().hex[:6]}"
    settings = Settings(
        database_url=DB, redis_url=REDIS, redis_namespace=namespace, log_level="WARNING"
    )
    fake = FakeTwilio()
    results = []
    # A lane's group of calls opens its connections at once (a 16-deep backlog dropped
    # some) and reuses them after a pause between batches: with uvicorn's 5 s keep-alive
    # a whole group met connections the fake was closing. Either way the sends failed
    # uncertain, so were never resent: lost. Twilio keeps connections open far longer.
    async with serving(fake.app, backlog=1024, keep_alive=120) as address:
        url = f"http://{address}"
        rt = build_runtime(settings)
        await rt.start(sweep=False, live=False)
        transport = httpx.ASGITransport(app=create_app(settings, runtime=rt))
        workers = [worker(namespace, url, fake, args.rate) for _ in range(2)]
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                results.append(await one_campaign(
                    client, rt, fake, workers, args, "two workers", "+254710", None
                ))  # fmt: skip
                print(results[-1], flush=True)
                results.append(await one_campaign(
                    client, rt, fake, workers, args, "one killed", "+254720", args.kill_at
                ))  # fmt: skip
                print(results[-1], flush=True)
        finally:
            for w in workers:
                if w.poll() is None:
                    w.terminate()
                    w.wait(20)
            await rt.stop()
            fake.control.closing.set()
    write(results, args)


def write(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    lines = [
        "# SMS campaign: 10,000 recipients, fake Twilio, two arq workers",
        "",
        f"`python -m bench.campaign --recipients {args.recipients} --rate {args.rate:g} "
        f"--kill-at {args.kill_at}` on {platform.node()} ({os.cpu_count()} cores shared with "
        "other sessions' test runs), PostgreSQL and Redis on loopback, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "Rate: messages per second arriving at the fake Twilio between the 10th and 90th "
        f"percentile message (target {args.rate:g}/s, within 2 %). Lost: recipients with no "
        "message at the fake; duplicated: recipients with more than one. CPU: the two "
        "worker processes' user + system time per recipient; the bench process (API, fake "
        "Twilio) separately.",
        "",
        "| run | recipients | messages at the fake | lost | duplicated | rate (msg/s) | "
        "vs target | wall time (s) | final status | worker CPU ms/msg | bench process CPU "
        "ms/msg | load (1 min) before / after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        label = r["label"] + (f" (SIGKILL at {r['killed_at']})" if r["killed_at"] else "")
        lines.append(
            f"| {label} | {r['recipients']} | {r['messages']} | {r['lost']} | "
            f"{r['duplicated']} | {r['rate']:.1f} | {(r['rate'] / args.rate - 1) * 100:+.1f} % | "
            f"{r['elapsed']:.0f} | {r['status']} | {r['worker_cpu_ms']:.2f} | "
            f"{r['bench_cpu_ms']:.2f} | {r['load'][0][0]:.1f} / {r['load'][1][0]:.1f} |"
        )
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--kill-at", type=int, default=3000)
    parser.add_argument("--out", default=str(RESULTS), help="the results table's file")
    asyncio.run(main(parser.parse_args()))
