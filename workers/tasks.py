"""Task functions. The arq worker and the in-process runner execute these same functions;
each is idempotent because arq may run a job more than once."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from arq import Retry

from domain.campaigns import sending as campaign_sending
from domain.campaigns.sending import Sender
from domain.core.failures import (
    BUSY_RETRY_SECONDS,
    is_connection_lost,
    is_pool_exhausted,
    log_failure,
)
from domain.core.outbox import get_event
from domain.core.tx import Tx
from domain.customers import imports
from domain.invoicing import overdue
from domain.notifications import statement_mail
from domain.notifications.deferrals import release_due
from domain.notifications.pipeline import Pipeline
from domain.notifications.port import TemporaryFailure
from domain.purchases import rules

log = logging.getLogger("khata.jobs")

if TYPE_CHECKING:
    from khata.runtime import Runtime


def _runtime(ctx: dict[str, Any]) -> Runtime:
    return ctx["runtime"]  # type: ignore[no-any-return]


# seconds one try of a send may take: under arq's job_timeout (workers/arq_worker.py)
SEND_BUDGET = 25.0
SEND_TRIES = 8  # arq's tries of a send (func(..., max_tries)); the in-process runner's own


def backoff(job_try: int, retry_after: float | None) -> float:
    """Seconds before the next try: exponential from 2 s (capped at 5 minutes), never
    sooner than the provider's Retry-After, plus up to 20 % jitter so retries spread."""
    base = max(min(300.0, 2.0**job_try), retry_after or 0.0)
    return base * random.uniform(1.0, 1.2)


def delivery_pipeline(rt: Runtime) -> Pipeline:
    return Pipeline(
        rt.db,
        rt.clock,
        rt.providers,
        rt.limiter,
        rt.settings.provider_timeout_seconds + 5,
        rt.settings.public_url.rstrip("/"),
    )


def database_busy(exc: BaseException) -> bool:
    """This try found the database busy or gone (pool checkout timeout, a lost connection,
    SQLite's lock timeout): the step it was in rolled back whole, so the send retries like
    after a killed worker instead of failing for good (1,000 embedded sends at once: 28
    jobs failed so, 16 messages never sent; bench/results/notifications.md)."""
    return is_pool_exhausted(exc) or is_connection_lost(exc) or "database is locked" in str(exc)


async def send_notification(ctx: dict[str, Any], outbox_id: str) -> str:
    """Idempotent: every step is recorded on the ledger before and after the provider
    call (domain/notifications/pipeline.py); temporary failures retry through arq; a
    message in the customer's quiet hours is held on the ledger and the periodic sweep
    (relay_outbox, or the embedded sweeper) runs the job again when they end. On the last
    try a temporary failure settles the messages `failed` with the reason: the runner
    will not call the task again, so nothing else would.

    A try that runs past SEND_BUDGET (a lock or a connection waited on under load) is
    stopped here and retried like a temporary failure: arq's own job_timeout would end
    the job as failed, never to run again, and a message whose provider call went
    through before its outcome was committed would stay `sending` for good."""
    pipeline = delivery_pipeline(_runtime(ctx))
    try:
        try:
            async with asyncio.timeout(SEND_BUDGET):
                return await pipeline.deliver(outbox_id)
        except TimeoutError as late:
            raise TemporaryFailure(f"the try took over {SEND_BUDGET:.0f} s") from late
        except TemporaryFailure:
            raise
        except Exception as exc:
            if not database_busy(exc):
                raise
            raise TemporaryFailure("the database was busy", BUSY_RETRY_SECONDS) from exc
    except TemporaryFailure as exc:
        job_try = int(ctx.get("job_try") or 1)
        tries = int(ctx.get("max_tries") or SEND_TRIES)
        if job_try >= tries:
            await pipeline.give_up(outbox_id, exc, job_try)
            return "failed"
        raise Retry(defer=backoff(job_try, exc.retry_after)) from exc


async def relay_outbox(ctx: dict[str, Any]) -> int:
    """The periodic sweep: outbox rows a crash left behind, messages whose quiet hours
    ended, then expired idempotency keys."""
    rt = _runtime(ctx)
    relayed = await rt.relay.sweep(rt.settings.outbox_stale_seconds)
    await release_due(rt.db, rt.clock, rt.jobs)
    await rt.purge_idempotency_keys()
    return relayed


async def prune_stream(ctx: dict[str, Any]) -> int:
    """Daily: stream events older than the retention window go (idempotent)."""
    return await _runtime(ctx).prune_stream()


async def apply_customer_status(ctx: dict[str, Any]) -> dict[str, int]:
    """The daily customer status rules (lapsed, VIP), each business in its own time zone.
    Idempotent: rows already right are left alone, so any number of runs a day agree."""
    rt = _runtime(ctx)
    done = await rules.apply_status_rules(rt.db, rt.clock)
    return {
        "businesses": done.businesses,
        "activityChanged": done.activity_changed,
        "vipChanged": done.vip_changed,
    }


async def announce_overdue_invoices(ctx: dict[str, Any]) -> dict[str, int]:
    """The daily `invoice.overdue` events, each business in its own time zone.
    Idempotent: an invoice is announced once however many runs a day."""
    rt = _runtime(ctx)
    done = await overdue.announce_overdue(rt.db, rt.clock)
    return {"businesses": done.businesses, "announced": done.announced}


async def send_monthly_statements(ctx: dict[str, Any]) -> dict[str, int]:
    """Hourly: each opted-in business whose own today is the 1st queues last month's
    statement emails. Idempotent: one per customer and month (a unique occurrence key)."""
    rt = _runtime(ctx)
    done = await statement_mail.send_monthly(rt.db, rt.clock)
    return {"businesses": done.businesses, "sent": done.sent}


async def issue_recurring_invoices(ctx: dict[str, Any]) -> dict[str, int]:
    """Recurring invoice schedules: each due occurrence issued (and sent when asked),
    each business in its own time zone. Idempotent: an occurrence is issued once however
    many runs or workers (domain/invoicing/recurring/scan.py)."""
    done = await _runtime(ctx).issue_recurring_invoices()
    return {"schedules": done.schedules, "issued": done.issued, "paused": done.paused}


async def send_payment_reminders(ctx: dict[str, Any]) -> dict[str, int]:
    """Today's payment reminders, each business in its own time zone. Idempotent: a
    reminder is recorded once per (invoice, date), however many runs or workers."""
    done = await _runtime(ctx).send_reminders()
    return {"businesses": done.businesses, "reminded": done.reminded}


async def start_scheduled_sends(ctx: dict[str, Any]) -> int:
    """Scheduled invoice sends whose time came; each is claimed by one run only."""
    return await _runtime(ctx).start_due_sends()


IMPORT_CHUNK_ROWS = 250


async def import_customers(ctx: dict[str, Any], outbox_id: str) -> str:
    """A CSV import, one unit of work per chunk of rows: the customer counter is held for
    one chunk at a time, and each chunk records how far it got, so a rerun (arq may run a
    job twice) resumes after the last committed chunk."""
    rt = _runtime(ctx)
    event = await get_event(rt.db, outbox_id)
    if event is None or event.business_id is None:
        return "missing"
    import_id = int(event.payload["importId"])
    viewer = imports.import_viewer(event.business_id, import_id)
    try:
        async with rt.db.read() as session:
            rows = await imports.pending_rows(Tx(session, viewer, rt.clock), import_id)
        if rows is None:
            return "done"
        done = False
        while not done:
            async with rt.db.unit_of_work() as session:
                done = await imports.import_chunk(
                    Tx(session, viewer, rt.clock), import_id, rows, IMPORT_CHUNK_ROWS
                )
    except Exception as exc:
        log_failure(log, "customer import %s failed", exc, import_id)
        async with rt.db.unit_of_work() as session:
            await imports.fail_import(
                Tx(session, viewer, rt.clock),
                import_id,
                "the import stopped on an unexpected error",
            )
        return "failed"
    return "completed"


def campaign_sender(rt: Runtime) -> Sender:
    """A lane's batch is at most what the SMS rate sends in a third of the claim lease,
    so a batch waiting its turn in the limiter never outlives its claims."""
    s = rt.settings
    lease = s.campaign_claim_lease_seconds
    batch = min(s.campaign_batch_size, max(1, int(s.sms_rate_per_second * lease / 3)))
    return Sender(rt.db, rt.clock, delivery_pipeline(rt), rt.jobs, lease_seconds=lease, batch=batch)


async def send_campaign(ctx: dict[str, Any], outbox_id: str) -> str:
    """A campaign's start (its `campaign.started` outbox event): the recipient list is
    frozen once, then the lanes are enqueued (domain/campaigns/sending.py)."""
    return await campaign_sender(_runtime(ctx)).begin(outbox_id)


async def send_campaign_lane(ctx: dict[str, Any], campaign_id: int) -> str:
    """One lane of a campaign: claims recipients and sends until none is left; any
    number of lanes (and reruns) share the list without sending anything twice."""
    return await campaign_sender(_runtime(ctx)).lane(campaign_id)


async def scan_campaigns(ctx: dict[str, Any]) -> int:
    """Due scheduled campaigns start (once each); stuck ones resume."""
    rt = _runtime(ctx)
    lease = rt.settings.campaign_claim_lease_seconds
    return await campaign_sending.scan(rt.db, rt.clock, rt.jobs, lease)


TASKS: dict[str, Callable[..., Awaitable[Any]]] = {
    "send_notification": send_notification,
    "import_customers": import_customers,
    "send_campaign": send_campaign,
    "send_campaign_lane": send_campaign_lane,
}
