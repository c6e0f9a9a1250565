"""The reminder job and the scheduled-send scan over many invoices, in process on SQLite:

    .venv/bin/python -m bench.reminders --businesses 20 --invoices 50

Set-up through GraphQL (ASGI, no server): `--businesses` Indian businesses, each with one
customer (email only, dev sink) and `--invoices` invoices due 3 days after the clock's
date, so every invoice has its first reminder due; half of them also get a send scheduled
an hour ahead. Then, with a frozen clock: the reminder job (all due), the same job again
(nothing due: the cost of the hourly no-op run), the scan an hour later (all sends
start), and the scan again (nothing due). The jobs' outbox events are delivered by the
in-process runner to the dev sink meanwhile, as in embedded mode. Results:
bench/results/reminders.md."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from domain.core.clock import FrozenClock
from domain.core.settings import Settings
from domain.invoicing.sending import start_due_sends
from domain.migrations.run import upgrade
from domain.notifications.reminders import send_due_reminders
from khata.composition import build_runtime, create_app
from tests.conftest import sign_up


class CountingQueue:
    """Takes the send jobs and runs none of them."""

    def __init__(self) -> None:
        self.enqueued = 0

    async def enqueue(self, task: str, *, job_id: str, **kwargs: object) -> None:
        self.enqueued += 1


RESULTS = Path(__file__).resolve().parent / "results" / "reminders.md"
CUSTOMER = """mutation { createCustomer(input: {name: "Asha", email: "asha@example.com"}) {
  ... on CustomerPayload { customer { id } } } }"""
INVOICE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) {
  ... on InvoicePayload { invoice { id } } } }"""
SEND = """mutation($input: SendInvoiceInput!) { sendInvoice(input: $input) { __typename } }"""


async def run(businesses: int, invoices: int) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            env="test", database_url=f"sqlite+aiosqlite:///{tmp}/b.db", log_level="WARNING"
        )
        await upgrade(settings.database_url)
        clock = FrozenClock(datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0))
        queue = CountingQueue()
        rt = build_runtime(settings, clock=clock, queue=queue)
        await rt.start(sweep=False)
        transport = httpx.ASGITransport(app=create_app(settings, runtime=rt))
        due = (clock.now() + timedelta(days=3, hours=5, minutes=30)).date().isoformat()
        at = (clock.now() + timedelta(hours=1)).isoformat()
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://b.test") as c:
                for _ in range(businesses):
                    owner = await sign_up(c, "IN")
                    cid = (await owner.gql(CUSTOMER))["data"]["createCustomer"]["customer"]["id"]
                    for n in range(invoices):
                        line = {"description": "Seeds", "quantity": "1", "unitPrice": "100"}
                        made = await owner.gql(
                            INVOICE,
                            {"input": {"customerId": cid, "lines": [line], "dueDate": due}},
                        )
                        if n % 2 == 0:
                            inv = made["data"]["createInvoice"]["invoice"]["id"]
                            send = {"invoiceId": inv, "channels": ["email"], "scheduledAt": at}
                            await owner.gql(SEND, {"input": send})
            lines = []
            for label, work in (
                ("reminder job, all due", lambda: send_due_reminders(rt.db, clock, "")),
                ("reminder job again, nothing due", lambda: send_due_reminders(rt.db, clock, "")),
            ):
                start = time.perf_counter()
                done = await work()
                lines.append(f"| {label} | {done.reminded} | {time.perf_counter() - start:.3f} |")
            clock.advance(hours=1)
            for label in ("send scan, all due", "send scan again, nothing due"):
                start = time.perf_counter()
                started = await start_due_sends(rt.db, clock)
                lines.append(f"| {label} | {started} | {time.perf_counter() - start:.3f} |")
            lines.append(f"| send jobs enqueued after commit | {queue.enqueued} | |")
            return lines
        finally:
            await rt.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--businesses", type=int, default=20)
    parser.add_argument("--invoices", type=int, default=50)
    args = parser.parse_args()
    lines = asyncio.run(run(args.businesses, args.invoices))
    header = [
        "# Reminder job and scheduled-send scan (SQLite, in process)",
        "",
        f"{args.businesses} businesses x {args.invoices} invoices; host {platform.node()}, "
        f"{os.cpu_count()} cores shared with other work; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "| run | rows | seconds |",
        "|---|---|---|",
    ]
    text = "\n".join([*header, *lines, ""])
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
