"""Wires the process: database, realtime hub, job queue, outbox relay, providers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from domain.core.clock import Clock, SystemClock
from domain.core.db import Database
from domain.core.events import EventHub
from domain.core.outbox import OutboxRelay
from domain.core.settings import Settings
from domain.notifications.providers.dev import DevSink
from domain.notifications.service import Providers
from workers.runner import ArqQueue, InProcessRunner
from workers.tasks import TASKS

log = logging.getLogger("khata.runtime")


def build_providers(settings: Settings) -> Providers:
    sink = DevSink()
    return Providers(sms=sink, email=sink)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    hub: EventHub
    jobs: Any
    relay: OutboxRelay
    providers: Providers
    clock: Clock
    draft_parser: Any = None
    _sweeper: asyncio.Task[None] | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        providers: Providers | None = None,
        queue: Any = None,
    ) -> Runtime:
        clock = clock or SystemClock()
        db = Database(settings.database_url, echo=settings.db_echo, pool_size=settings.db_pool_size)
        hub = EventHub(settings.broadcast_url, namespace=settings.redis_namespace)
        providers = providers or build_providers(settings)
        rt = cls(settings, db, hub, None, None, providers, clock)  # type: ignore[arg-type]
        if queue is not None:
            rt.jobs = queue
        elif settings.uses_arq:
            rt.jobs = ArqQueue(settings.redis_url or "", settings.arq_queue_name)
        else:
            rt.jobs = InProcessRunner(TASKS, {"runtime": rt})
        rt.relay = OutboxRelay(db, rt.jobs, hub, clock)
        if settings.llm_base_url:
            from domain.invoicing.drafting import OpenAICompatibleParser

            rt.draft_parser = OpenAICompatibleParser(
                settings.llm_base_url,
                settings.llm_api_key or "",
                settings.llm_model,
                settings.llm_timeout_seconds,
            )
        db.after_commit = rt.relay.relay
        return rt

    async def start(self, *, sweep: bool = True) -> None:
        await self.hub.connect()
        if isinstance(self.jobs, ArqQueue):
            await self.jobs.connect()
        if sweep and isinstance(self.jobs, InProcessRunner):
            self._sweeper = asyncio.create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.outbox_sweep_seconds)
            try:
                await self.relay.sweep(self.settings.outbox_stale_seconds)
            except Exception:
                log.exception("outbox sweep failed")

    async def stop(self) -> None:
        if self._sweeper:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if isinstance(self.jobs, InProcessRunner):
            await self.jobs.drain()
        await self.relay.flush()
        if isinstance(self.jobs, ArqQueue):
            await self.jobs.close()
        await self.hub.disconnect()
        await self.db.dispose()
