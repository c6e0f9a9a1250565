"""Transactional notification latency and a 1,000-send burst (issue 19 §7):

    .venv/bin/python -m bench.notify_latency [--singles 200] [--burst 1000] [--workers 2]
        [--rows arq,embedded]

Rows: `arq` is PostgreSQL (`--database`, default `khata_bench_notify`, dropped and created
through the `test` database, then migrated) + the bench's own redis-server, one `khata
serve` and `--workers` `khata worker` (arq) processes; `embedded` is `khata serve` on a
fresh SQLite file without Redis (jobs run in the API process). Providers are the real
Twilio and SendGrid SDKs against the fakes of tests/fakes, served in this process, which
stamp each send request's arrival (bench/notify_fakes.py).

Set-up goes through the API in this process (dev providers: nothing reaches the fakes):
a Kenyan business (+254 numbers need no DLT) with one customer per invoice, so a send is
counted at the fake by its recipient; each customer has no quiet hours (the bench runs at
any hour) and payment reminders are off (they would add messages of their own). Then,
against the server:

- singles: `sendInvoice` (SMS + email; the email carries the PDF, the API's default), one
  at a time, each awaited at both fakes before the next, while a background client
  creates a customer or an invoice in another business about 5 times a second. Commit ->
  provider call is bracketed: from the request leaving the client (upper bound: includes
  the mutation) and from its response arriving (lower bound: the commit came before);
- burst: `--burst` SMS `sendInvoice` requests at once (20 in flight): every message
  counted at the fake (lost, duplicated), time from the first request to the last arrival.

CPU ms per send: the job processes' CPU time (/proc) over the singles, divided by the sends
(arq: the workers only; embedded: the API process, which also runs the mutations and the
background load). Steadier than wall time on a shared host.

Results: bench/results/notifications.md. Rates are raised (1,000/s per provider) so the
limiter is not what the burst measures."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.notify_fakes import Arrivals, StampedSendGrid, StampedTwilio, serving
from bench.processes import (
    OwnRedis,
    app_client,
    clean_env,
    free_port,
    fresh_postgres,
    server_process,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "notifications.md"
DATA = ROOT / "bench" / ".data"
PG_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
TARGET_P95_MS = 100.0
CONNECTIONS = 20  # the burst's requests in flight; the rest wait in the client
PASSWORD = "notify horse battery"
SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) { __typename
  ... on SignUpPayload { auth { token } business { id } } ... on UserError { code message } } }"""
CUSTOMER = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  __typename ... on CustomerPayload { customer { id } } ... on UserError { code message } } }"""
INVOICE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { __typename
  ... on InvoicePayload { invoice { id number } } ... on UserError { code message } } }"""
SEND = """mutation($input: SendInvoiceInput!) { sendInvoice(input: $input) { __typename
  ... on SendInvoicePayload { requestId } ... on UserError { code message } } }"""
PREFERENCES = """mutation($input: UpdateNotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) { __typename } }"""
NO_REMINDERS = """mutation($input: UpdateReminderPolicyInput!) {
  updateReminderPolicy(input: $input) { __typename } }"""
LINE = {"description": "Maize flour 2kg", "quantity": "1", "unitPrice": "250", "taxRate": "0"}


@dataclass
class Target:
    invoice_id: str
    number: str
    phone: str
    email: str


@dataclass
class Business:
    headers: dict[str, str]
    targets: list[Target] = field(default_factory=list)


async def gql(client: httpx.AsyncClient, query: str, variables: dict[str, Any], **kw: Any) -> Any:
    response = await client.post("/graphql", json={"query": query, "variables": variables}, **kw)
    body = response.json()
    if "errors" in body:
        raise SystemExit(f"GraphQL errors: {body['errors']}")
    return next(iter(body["data"].values()))


async def sign_up(client: httpx.AsyncClient, tag: str) -> Business:
    email = f"{tag}-{time.time_ns()}@bench.example"
    business = {"name": f"Duka {tag}", "country": "KE"}
    fields = {"email": email, "password": PASSWORD, "name": "Owner", "business": business}
    variables = {"input": fields}
    made = await gql(client, SIGN_UP, variables)
    if made["__typename"] != "SignUpPayload":
        raise SystemExit(f"sign-up failed: {made}")
    headers = {
        "authorization": f"Bearer {made['auth']['token']}",
        "x-khata-business": made["business"]["id"],
    }
    return Business(headers)


async def prepare(database_url: str, count: int) -> tuple[Business, Business]:
    """The measured business with `count` invoices, one customer each, and the background
    load's business."""
    async with app_client(database_url) as client:
        shop, background = await sign_up(client, "shop"), await sign_up(client, "load")
        for business in (shop, background):  # invoices due today would get reminders
            off = {"input": {"enabled": False}}
            await gql(client, NO_REMINDERS, off, headers=business.headers)
        for i in range(count):
            phone, email = f"+2547{i:08d}", f"customer{i}@bench.example"
            customer = {"name": f"Customer {i}", "phone": phone, "email": email}
            made = await gql(client, CUSTOMER, {"input": customer}, headers=shop.headers)
            cid = made["customer"]["id"]
            always = {"customerId": cid, "quietHours": {"start": "00:00", "end": "00:00"}}
            await gql(client, PREFERENCES, {"input": always}, headers=shop.headers)
            line = {"customerId": cid, "lines": [LINE]}
            invoice = (await gql(client, INVOICE, {"input": line}, headers=shop.headers))["invoice"]
            shop.targets.append(Target(invoice["id"], invoice["number"], phone, email))
    return shop, background


def server_env(database_url: str, redis_url: str | None, twilio: Any, sendgrid: Any) -> dict:
    env = clean_env(
        DATABASE_URL=database_url,
        KHATA_LOG_LEVEL="WARNING",
        KHATA_PUBLIC_URL="http://127.0.0.1:9",
        KHATA_SMS_PROVIDER="twilio",
        KHATA_TWILIO_ACCOUNT_SID=twilio[0].account_sid,
        KHATA_TWILIO_AUTH_TOKEN=twilio[0].auth_token,
        KHATA_TWILIO_FROM="+254700000000",
        KHATA_TWILIO_API_BASE_URL=twilio[1],
        KHATA_EMAIL_PROVIDER="sendgrid",
        KHATA_SENDGRID_API_KEY=sendgrid[0].api_key,
        KHATA_SENDGRID_FROM_EMAIL="billing@bench.example",
        KHATA_SENDGRID_API_BASE_URL=sendgrid[1],
        KHATA_SMS_RATE_PER_SECOND="1000",
        KHATA_EMAIL_RATE_PER_SECOND="1000",
    )
    if redis_url:
        env |= {"REDIS_URL": redis_url, "KHATA_REDIS_NAMESPACE": f"bench_notify_{os.getpid()}"}
    return env


@contextlib.asynccontextmanager
async def deployment(
    row: str, database_url: str, redis_url: str | None, workers: int, env: dict[str, str]
) -> AsyncIterator[tuple[str, list[int]]]:
    """`khata serve` (and arq workers): the API's base URL and the job processes' pids."""
    khata = str(Path(sys.executable).with_name("khata"))
    with contextlib.ExitStack() as stack:
        port = free_port()
        log = DATA / f"notify_{row}_api.log"
        argv = [khata, "serve", "--port", str(port)]
        base, pid = stack.enter_context(server_process(argv, port, env, ROOT, log, "khata serve"))
        jobs = [pid]  # the processes that run the jobs: the API itself when embedded
        if redis_url:
            jobs = [
                stack.enter_context(
                    worker_process(khata, env, DATA / f"notify_{row}_worker{i}.log")
                ).pid
                for i in range(workers)
            ]
        yield base, jobs


def cpu_ms(pids: list[int]) -> float:
    """User + system CPU time of the processes so far (Linux /proc), ms."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total * 1000 / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def worker_process(khata: str, env: dict[str, str], log_path: Path) -> Any:
    import subprocess

    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        proc = subprocess.Popen(  # noqa: S603 - our own entry point
            [khata, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield proc
        finally:
            proc.terminate()  # its own pid
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def background_load(base: str, business: Business, stop: asyncio.Event) -> int:
    """A customer or an invoice in another business about every 200 ms."""
    done = 0
    async with httpx.AsyncClient(base_url=base, headers=business.headers, timeout=30) as c:
        cid = None
        while not stop.is_set():
            started = time.monotonic()
            if cid is None or done % 2 == 0:
                made = await gql(c, CUSTOMER, {"input": {"name": f"Walk-in {done}"}})
                cid = made["customer"]["id"]
            else:
                await gql(c, INVOICE, {"input": {"customerId": cid, "lines": [LINE]}})
            done += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, 0.2 - (time.monotonic() - started)))
    return done


async def send(c: httpx.AsyncClient, target: Target, channels: list[str]) -> None:
    made = await gql(c, SEND, {"input": {"invoiceId": target.invoice_id, "channels": channels}})
    if made["__typename"] != "SendInvoicePayload":
        raise SystemExit(f"sendInvoice refused: {made}")


async def try_send(c: httpx.AsyncClient, target: Target, failed: list[str]) -> None:
    """A burst request; a refusal or an error is counted (its message is then owed)."""
    try:
        await send(c, target, ["SMS"])
    except (SystemExit, httpx.HTTPError) as exc:
        failed.append(f"{target.number}: {exc}"[:300])


async def singles(
    base: str, shop: Business, targets: list[Target], arrivals: Arrivals, warm: int
) -> dict[str, list[float]]:
    """Upper ('_req') and lower ('_resp') bounds of commit -> provider call, per channel, ms."""
    out: dict[str, list[float]] = {
        k: [] for k in ("sms_req", "sms_resp", "email_req", "email_resp")
    }
    async with httpx.AsyncClient(base_url=base, headers=shop.headers, timeout=60) as c:
        for n, target in enumerate(targets):
            keys = [("sms", target.phone), ("email", target.email)]
            t0 = time.time()
            await send(c, target, ["SMS", "EMAIL"])
            t1 = time.time()
            arrived = await arrivals.wait(lambda k=keys: all(x in arrivals.by_to for x in k), 120)
            if not arrived:
                raise SystemExit(f"send {n} was not delivered in 120 s")
            if n < warm:  # the workers' first jobs (imports, connections) are not counted
                continue
            for channel, to in keys:
                at = arrivals.by_to[(channel, to)][0][0]
                out[f"{channel}_req"].append((at - t0) * 1000)
                out[f"{channel}_resp"].append((at - t1) * 1000)
    return out


async def burst(base: str, shop: Business, targets: list[Target], arrivals: Arrivals) -> dict:
    limits = httpx.Limits(max_connections=CONNECTIONS)
    failed: list[str] = []
    async with httpx.AsyncClient(
        base_url=base, headers=shop.headers, timeout=300, limits=limits
    ) as c:
        before = arrivals.count
        started = time.time()
        await asyncio.gather(*(try_send(c, t, failed) for t in targets))
        answered = time.time()
    failed_numbers = {f.split(":", 1)[0] for f in failed}
    want = {("sms", t.phone): t.number for t in targets if t.number not in failed_numbers}
    complete = await arrivals.wait(lambda: all(k in arrivals.by_to for k in want), 1500)
    await asyncio.sleep(3)  # a late duplicate would land here: counted, not timed
    got = {k: arrivals.by_to.get(k, []) for k in want}
    last = max((v[0][0] for v in got.values() if v), default=answered)
    return {
        "sent": len(targets),
        "failed": len(failed),
        "failures": failed[:3],
        "delivered": sum(1 for k, v in got.items() if any(want[k] in b for _, b in v)),
        "lost": sum(1 for v in got.values() if not v),
        "duplicated": sum(len(v) - 1 for v in got.values() if len(v) > 1),
        "other": arrivals.count - before - sum(len(v) for v in got.values()),
        "complete": complete,
        "answered_s": answered - started,
        "last_s": last - started,
    }


async def run_row(row: str, args: argparse.Namespace) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        if row == "arq":
            database_url = f"{PG_SERVER}/{args.database}"
            await fresh_postgres(database_url)
            redis_url: str | None = stack.enter_context(OwnRedis()).url
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            database_url, redis_url = f"sqlite+aiosqlite:///{folder}/bench.db", None
            from domain.migrations.run import upgrade

            await upgrade(database_url)
        print(f"[{row}] set-up: {args.warm + args.singles + args.burst} invoices", flush=True)
        shop, background = await prepare(database_url, args.warm + args.singles + args.burst)
        twilio, sendgrid = StampedTwilio(), StampedSendGrid()
        sendgrid.arrivals = twilio.arrivals
        async with serving(twilio.app) as twilio_url, serving(sendgrid.app) as sendgrid_url:
            env = server_env(
                database_url, redis_url, (twilio, twilio_url), (sendgrid, sendgrid_url)
            )
            deployed = deployment(row, database_url, redis_url, args.workers, env)
            async with deployed as (base, pids):
                print(f"[{row}] singles", flush=True)
                stop = asyncio.Event()
                load = asyncio.create_task(background_load(base, background, stop))
                first = args.warm + args.singles
                warm = await singles(base, shop, shop.targets[: args.warm], twilio.arrivals, 0)
                del warm  # the workers' first jobs (imports, connections) are not counted
                cpu0 = cpu_ms(pids)
                lat = await singles(base, shop, shop.targets[args.warm : first], twilio.arrivals, 0)
                cpu = (cpu_ms(pids) - cpu0) / max(1, args.singles)
                stop.set()
                loaded = await load
                partial = {
                    "row": row,
                    "latency": lat,
                    "background_ops": loaded,
                    "burst": None,
                    "cpu_ms": cpu,
                    "spans": await breakdown(database_url, redis_url, args.warm),
                }
                args.on_singles(partial)  # written before the burst, which may not finish
                print(f"[{row}] burst of {args.burst}", flush=True)
                big = await burst(base, shop, shop.targets[first:], twilio.arrivals)
    return {**partial, "burst": big}


async def breakdown(database_url: str, redis_url: str | None, warm: int) -> dict[str, Any]:
    """From the database, per counted single send (SMS + email events, oldest `warm`
    left out), ms from the `invoice.send_requested` row's `created_at` (inside the
    mutation's transaction, so a little before its commit): to the ledger rows (`job`:
    made by sendInvoice itself since 2026-12-07 23:40, by the job before) and to each channel's
    first attempt (recorded just before the provider call)."""
    from sqlalchemy import func, select
    from sqlalchemy.ext.asyncio import create_async_engine

    from domain.core.outbox import OutboxEvent
    from domain.notifications.models import NotificationAttempt, NotificationLog

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            found = await conn.execute(
                select(
                    OutboxEvent.id,
                    OutboxEvent.created_at,
                    NotificationLog.channel,
                    NotificationLog.created_at,
                    func.min(NotificationAttempt.started_at),
                )
                .join(
                    NotificationLog,
                    NotificationLog.idempotency_key
                    == OutboxEvent.id + ":" + NotificationLog.channel,
                )
                .join(
                    NotificationAttempt, NotificationAttempt.notification_id == NotificationLog.id
                )
                .where(OutboxEvent.topic == "invoice.send_requested")
                .group_by(OutboxEvent.id, NotificationLog.id)
            )
            rows = list(found.all())
    finally:
        await engine.dispose()
    spans = _spans(rows, warm)
    events = spans.pop("events")
    if redis_url:
        spans |= await _queue_spans(redis_url, events)
    return spans


async def _queue_spans(redis_url: str, events: list[dict[str, Any]]) -> dict[str, list[float]]:
    """arq keeps each job's result with its enqueue and start times (the job id is the
    outbox id), ms: the event row -> the relay's enqueue (the rest of the mutation, its
    commit, the relay), the enqueue -> the job's start (arq's poll), the job's start ->
    the SMS attempt (the job's steps before the provider call)."""
    from arq import create_pool
    from arq.connections import RedisSettings
    from arq.jobs import Job

    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    out: dict[str, list[float]] = {"relay": [], "queue": [], "start_sms": []}
    try:
        for e in events:
            info = await Job(e["id"], pool).result_info()
            if info is None:
                continue
            out["relay"].append((_aware(info.enqueue_time) - e["at"]).total_seconds() * 1000)
            out["queue"].append((info.start_time - info.enqueue_time).total_seconds() * 1000)
            out["start_sms"].append((e["sms"] - _aware(info.start_time)).total_seconds() * 1000)
    finally:
        await pool.aclose()
    return out


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _spans(rows: list[Any], warm: int) -> dict[str, Any]:
    events: dict[str, dict[str, Any]] = {}
    for event_id, created, channel, made, attempt in rows:
        e = events.setdefault(event_id, {"at": _aware(created), "id": event_id})
        e["made"] = min(e.get("made", _aware(made)), _aware(made))
        e[channel] = _aware(attempt)
    singles = sorted(
        (e for e in events.values() if "sms" in e and "email" in e), key=lambda e: e["at"]
    )
    out: dict[str, Any] = {"job": [], "sms": [], "email": [], "events": []}
    for e in singles[warm:]:
        out["events"].append(e)
        out["job"].append((e["made"] - e["at"]).total_seconds() * 1000)
        out["sms"].append((e["sms"] - e["at"]).total_seconds() * 1000)
        out["email"].append((e["email"] - e["at"]).total_seconds() * 1000)
    return out


def load_avg() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def report(args: argparse.Namespace, rows: list[dict[str, Any]], loads: list[str]) -> str:
    from bench.notify_report import render

    return render(args, rows, loads, TARGET_P95_MS)


async def main(args: argparse.Namespace) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    loads = [f"start {load_avg()}"]
    rows: list[dict[str, Any]] = []

    def on_singles(partial: dict[str, Any]) -> None:
        RESULTS.write_text(report(args, [*rows, partial], loads))

    args.on_singles = on_singles
    for row in args.rows.split(","):
        rows.append(await run_row(row, args))
        loads.append(f"after {row} {load_avg()}")
        text = report(args, rows, loads)
        RESULTS.write_text(text)  # after each row: a partial run keeps what it measured
    print(text)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--singles", type=int, default=200)
    parser.add_argument("--warm", type=int, default=10, help="first sends, not counted")
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rows", default="arq,embedded")
    parser.add_argument(
        "--database",
        default="khata_bench_notify",
        help="the arq row's PostgreSQL database (dropped and created afresh)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
