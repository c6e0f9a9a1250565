"""The process's services: database, realtime hub, job queue, outbox relay, providers,
clock; started and stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from domain.campaigns import sending as campaigns
from domain.core import idempotency, stream
from domain.core.clock import Clock
from domain.core.db import Database
from domain.core.events import EventHub
from domain.core.live import LiveConnections
from domain.core.outbox import OutboxRelay
from domain.core.settings import Settings
from domain.invoicing import overdue, sending
from domain.invoicing.recurring import scan as recurring
from domain.notifications import reminders, statement_mail
from domain.notifications.deferrals import release_due
from domain.notifications.service import Providers
from domain.purchases import rules
from workers.runner import ArqQueue, InProcessRunner

log = logging.getLogger("khata.runtime")
PRUNE_EVERY_SECONDS = 3600.0


@dataclass
class Runtime:
    """The services one process shares: built by khata.composition, used by the app's
    resolvers (through the request context) and by the task functions."""

    settings: Settings
    db: Database
    hub: EventHub
    jobs: Any
    relay: OutboxRelay
    providers: Providers
    clock: Clock
    draft_parser: Any = None
    limiter: Any = None  # messages per second per provider account (notifications)
    live: LiveConnections | None = None  # open WebSockets by credentials (API processes)
    slots: stream.Slots = field(init=False)  # open stream subscriptions per user or key
    _timers: list[asyncio.Task[None]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.slots = stream.Slots(self.settings.max_subscriptions_per_user)

    async def start(self, *, sweep: bool = True, live: bool = True) -> None:
        """`live`: listen for revocations (an API process holding WebSockets; a worker
        holds none)."""
        await self.hub.connect()
        if live and self.live is not None:
            await self.live.start()
        if isinstance(self.jobs, ArqQueue):
            await self.jobs.connect()
        if sweep and isinstance(self.jobs, InProcessRunner):
            self._timers = [asyncio.create_task(self._sweep_forever())] + [
                asyncio.create_task(self._every(seconds, work))
                for seconds, work in self.periodic_jobs()
            ]

    def periodic_jobs(self) -> list[tuple[float, Callable[[], Awaitable[Any]]]]:
        """The embedded stand-ins for arq's cron jobs (workers/arq_worker.py): each runs
        once at start, then every so many seconds; each is idempotent per occurrence."""
        s = self.settings
        return [
            (s.customer_status_seconds, self.apply_status_rules),
            (s.invoice_overdue_seconds, self.announce_overdue),
            (s.monthly_statements_seconds, self.send_monthly_statements),
            (s.recurring_invoices_seconds, self.issue_recurring_invoices),
            (s.payment_reminder_seconds, self.send_reminders),
            (s.scheduled_send_seconds, self.start_due_sends),
        ]

    async def _sweep_forever(self) -> None:
        loop = asyncio.get_running_loop()
        next_prune = loop.time() + PRUNE_EVERY_SECONDS
        while True:
            await asyncio.sleep(self.settings.outbox_sweep_seconds)
            try:
                await self.relay.sweep(self.settings.outbox_stale_seconds)
                await release_due(self.db, self.clock, self.jobs)
                lease = self.settings.campaign_claim_lease_seconds
                await campaigns.scan(self.db, self.clock, self.jobs, lease)  # arq: scan_campaigns
                await self.purge_idempotency_keys()
                if loop.time() >= next_prune:  # the embedded mode's stand-in for the cron
                    next_prune = loop.time() + PRUNE_EVERY_SECONDS
                    await self.prune_stream()
            except Exception:
                log.exception("outbox sweep failed")

    async def prune_stream(self) -> int:
        """Stream events past the retention window go (arq cron daily, else hourly here)."""
        retention = timedelta(days=self.settings.stream_retention_days)
        return await stream.prune(self.db, self.clock, retention)

    async def apply_status_rules(self) -> Any:
        """The daily customer status rules, each business in its own time zone."""
        return await rules.apply_status_rules(self.db, self.clock)

    async def announce_overdue(self) -> Any:
        """`invoice.overdue` the day after the due date, each business in its time zone."""
        return await overdue.announce_overdue(self.db, self.clock)

    async def send_monthly_statements(self) -> Any:
        """Last month's statement emails on the 1st, each business in its time zone."""
        return await statement_mail.send_monthly(self.db, self.clock)

    async def issue_recurring_invoices(self) -> recurring.ScanResult:
        """Every due occurrence of every recurring schedule, once."""
        return await recurring.issue_due(self.db, self.clock, self.settings.public_url)

    async def _every(self, seconds: float, work: Any) -> None:
        """An embedded timer (arq's cron in production): `work` once at start, then every
        `seconds`; a failure is logged and the next round runs."""
        while True:
            try:
                await work()
            except Exception:
                log.exception("%s failed", getattr(work, "__name__", "timer"))
            await asyncio.sleep(seconds)

    async def send_reminders(self) -> reminders.ReminderRun:
        """Today's payment reminders, each business in its own time zone."""
        return await reminders.send_due_reminders(
            self.db, self.clock, self.settings.public_url.rstrip("/")
        )

    async def start_due_sends(self) -> int:
        """Scheduled invoice sends whose time came."""
        return await sending.start_due_sends(self.db, self.clock)

    async def purge_idempotency_keys(self) -> int:
        """Idempotency keys past their retention go with the periodic sweep."""
        retention = timedelta(hours=self.settings.idempotency_retention_hours)
        return await idempotency.purge_expired(self.db, self.clock, retention)

    async def stop(self) -> None:
        for task in self._timers:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._timers = []
        if isinstance(self.jobs, InProcessRunner):
            await self.jobs.drain()
        await self.relay.flush()
        if self.live is not None:
            await self.live.stop()
        if isinstance(self.jobs, ArqQueue):
            await self.jobs.close()
        if hasattr(self.limiter, "close"):
            await self.limiter.close()
        for provider in {id(p): p for p in (self.providers.sms, self.providers.email)}.values():
            if hasattr(provider, "close"):
                await provider.close()
        await self.hub.disconnect()
        await self.db.dispose()
