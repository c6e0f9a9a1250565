"""arq WorkerSettings: `khata worker` (or `arq workers.arq_worker.WorkerSettings`)."""

from __future__ import annotations

from typing import Any

from arq import cron, func
from arq.connections import RedisSettings

from domain.core.settings import Settings, get_settings
from khata.composition import start_worker_runtime
from workers.tasks import (
    SEND_TRIES,
    announce_overdue_invoices,
    apply_customer_status,
    import_customers,
    issue_recurring_invoices,
    prune_stream,
    relay_outbox,
    scan_campaigns,
    send_campaign,
    send_campaign_lane,
    send_monthly_statements,
    send_notification,
    send_payment_reminders,
    start_scheduled_sends,
)


async def startup(ctx: dict[str, Any]) -> None:
    ctx["runtime"] = await start_worker_runtime(get_settings())


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["runtime"].stop()


def deployment_cron_jobs(settings: Settings) -> list[Any]:
    """Cron runs are named per deployment: arq dedups a run by `<name>:<time>` across the
    whole Redis database, so without the namespace one deployment's run would swallow
    another's at the same second."""
    return [
        cron(
            relay_outbox,
            name=f"cron:{settings.redis_namespace}:relay_outbox",
            second={0, 15, 30, 45},
            run_at_startup=True,
            timeout=60,
        ),
        cron(
            prune_stream,
            name=f"cron:{settings.redis_namespace}:prune_stream",
            hour={3},
            minute={17},
            timeout=600,
        ),
        # scheduled campaigns start, stuck ones resume (offset from the relay's seconds)
        cron(
            scan_campaigns,
            name=f"cron:{settings.redis_namespace}:scan_campaigns",
            second={7, 22, 37, 52},
            run_at_startup=True,
            timeout=60,
        ),
        # a daily rule per business time zone: hourly, so each flips soon after its midnight
        cron(
            apply_customer_status,
            name=f"cron:{settings.redis_namespace}:customer_status",
            minute=5,
            second=0,
            run_at_startup=True,
            timeout=600,
        ),
        # `invoice.overdue` the day after the due date in each business's time zone
        cron(
            announce_overdue_invoices,
            name=f"cron:{settings.redis_namespace}:invoice_overdue",
            minute=7,
            second=0,
            run_at_startup=True,
            timeout=600,
        ),
        # last month's statement emails on the 1st in each business's time zone
        cron(
            send_monthly_statements,
            name=f"cron:{settings.redis_namespace}:monthly_statements",
            minute=11,
            second=0,
            run_at_startup=True,
            timeout=600,
        ),
        # payment reminders on their day in each business's time zone
        cron(
            send_payment_reminders,
            name=f"cron:{settings.redis_namespace}:payment_reminders",
            minute=9,
            second=0,
            run_at_startup=True,
            timeout=600,
        ),
        # recurring invoices: each occurrence soon after its date begins in the business's
        # time zone (zones differ by quarter hours), exactly once however many workers
        cron(
            issue_recurring_invoices,
            name=f"cron:{settings.redis_namespace}:recurring_invoices",
            minute={2, 17, 32, 47},
            second=0,
            run_at_startup=True,
            timeout=600,
        ),
        # scheduled invoice sends, every minute
        cron(
            start_scheduled_sends,
            name=f"cron:{settings.redis_namespace}:scheduled_sends",
            second=20,
            run_at_startup=True,
            timeout=60,
        ),
    ]


class WorkerSettings:
    # an import commits chunk by chunk and resumes where it stopped; it needs more than
    # the 30 s a send gets
    # a send knows its last try (SEND_TRIES) and settles its messages failed there;
    # a campaign lane sends until its campaign's list is done (hours at a low rate)
    functions: list[Any] = [
        func(send_notification, max_tries=SEND_TRIES),
        func(import_customers, timeout=900),
        send_campaign,
        func(send_campaign_lane, timeout=6 * 3600),
    ]
    cron_jobs = deployment_cron_jobs(get_settings())
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = RedisSettings.from_dsn(get_settings().redis_url or "redis://127.0.0.1:6379")
    queue_name = get_settings().arq_queue_name
    # A job waits half of poll_delay on average before it starts (arq's 0.5 s default:
    # ~250 ms). 0.02 s: 10 ms on average, 20 at most. What an idle worker pays for it
    # (`python -m bench.arq_poll_cost`, 2026-12-07 on the shared 2-core host, load ~10):
    # one ZRANGEBYSCORE per poll, 44 Redis commands/s and 21 ms CPU/s (2 % of a core)
    # per worker; 0.05 s was 19/s and 9 ms/s, 0.01 s would be 82/s and 37 ms/s.
    poll_delay = 0.02
    # at most one job per pooled connection: a job holds one connection at a time (a
    # campaign lane up to three: a group's attempts, another's outcomes and its claim
    # renewal, served by the pool's overflow), so jobs never queue
    # on the pool past arq's job_timeout (200 jobs on 10 connections did: 79 sends
    # cancelled mid-attempt, bench/results/notifications.md)
    max_jobs = get_settings().db_pool_size
    # a killed worker's send is retried after this, not after 300 s; a send stops its own
    # try earlier (SEND_BUDGET) and retries, since a timed-out arq job never runs again
    job_timeout = 30
    max_tries = 8
    keep_result = 3600
