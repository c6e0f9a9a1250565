"""The process's services: database, realtime hub, job queue, outbox relay, providers,
clock; started and stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
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
from domain.invoicing import overdue
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
    _sweeper: asyncio.Task[None] | None = field(default=None, repr=False)
    _status_timer: asyncio.Task[None] | None = field(default=None, repr=False)
    _overdue_timer: asyncio.Task[None] | None = field(default=None, repr=False)

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
            self._sweeper = asyncio.create_task(self._sweep_forever())
            self._status_timer = asyncio.create_task(self._customer_status_forever())
            self._overdue_timer = asyncio.create_task(self._invoice_overdue_forever())

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

    async def _customer_status_forever(self) -> None:
        """The embedded timer of the daily customer status rules (arq's cron in
        production): once at start, then every `customer_status_seconds`."""
        while True:
            try:
                await rules.apply_status_rules(self.db, self.clock)
            except Exception:
                log.exception("customer status rules failed")
            await asyncio.sleep(self.settings.customer_status_seconds)

    async def _invoice_overdue_forever(self) -> None:
        """The embedded timer of the daily `invoice.overdue` announcement (arq's cron in
        production): once at start, then every `invoice_overdue_seconds`."""
        while True:
            try:
                await overdue.announce_overdue(self.db, self.clock)
            except Exception:
                log.exception("invoice overdue announcement failed")
            await asyncio.sleep(self.settings.invoice_overdue_seconds)

    async def purge_idempotency_keys(self) -> int:
        """Idempotency keys past their retention go with the periodic sweep."""
        retention = timedelta(hours=self.settings.idempotency_retention_hours)
        return await idempotency.purge_expired(self.db, self.clock, retention)

    async def stop(self) -> None:
        for task in (self._sweeper, self._status_timer, self._overdue_timer):
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
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
