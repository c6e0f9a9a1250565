"""The composition root: settings -> database, event hub, job queue, providers -> the
runtime, then the ASGI app (`khata serve`) or the arq worker's context (`khata worker`).
Tests and benchmarks build their processes here too."""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.applications import Starlette

from domain.accounts import revocation
from domain.core.clock import Clock, SystemClock
from domain.core.db import Database
from domain.core.events import EventHub
from domain.core.live import Ending, Key, LiveConnections
from domain.core.outbox import OutboxRelay
from domain.core.settings import Settings, get_settings
from domain.core.tx import Tx
from domain.core.viewer import SYSTEM
from domain.notifications.port import EmailSender, SmsSender
from domain.notifications.providers.dev import DevSink
from domain.notifications.ratelimit import LocalBuckets, RedisBuckets
from domain.notifications.service import Providers
from khata.runtime import Runtime
from schema.app import build_app
from workers.runner import ArqQueue, InProcessRunner
from workers.tasks import TASKS


def build_providers(settings: Settings) -> Providers:
    """The dev sink unless the settings name a real provider (with its credentials)."""
    sink = DevSink()
    sms: SmsSender = sink
    email: EmailSender = sink
    if settings.sms_provider == "twilio":
        from domain.notifications.providers.twilio_sms import TwilioSms

        sms = TwilioSms(
            settings.twilio_account_sid or "",
            settings.twilio_auth_token or "",
            settings.twilio_from or "",
            settings.public_url,
            api_base_url=settings.twilio_api_base_url,
            timeout=settings.provider_timeout_seconds,
        )
    if settings.email_provider == "sendgrid":
        from domain.notifications.providers.sendgrid_email import SendGridEmail

        email = SendGridEmail(
            settings.sendgrid_api_key or "",
            settings.sendgrid_from_email or "",
            host=settings.sendgrid_api_base_url,
            timeout=settings.provider_timeout_seconds,
        )
    return Providers(sms=sms, email=email)


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    providers: Providers | None = None,
    queue: Any = None,
    hub: EventHub | None = None,
) -> Runtime:
    """One process's services. `queue` replaces the job queue the settings choose (arq on
    Redis, else the in-process runner executing the same task functions); `hub` the
    realtime hub (Redis when REDIS_URL is set, else in memory)."""
    clock = clock or SystemClock()
    db = Database(
        settings.database_url,
        echo=settings.db_echo,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout,
    )
    hub = hub or EventHub(
        settings.broadcast_url,
        queue_size=settings.stream_queue_size,
        namespace=settings.redis_namespace,
    )
    providers = providers or build_providers(settings)
    rt = Runtime(settings, db, hub, None, None, providers, clock)  # type: ignore[arg-type]
    if queue is not None:
        rt.jobs = queue
    elif settings.uses_arq:
        rt.jobs = ArqQueue(settings.redis_url or "", settings.arq_queue_name)
    else:
        # as many jobs at once as an arq worker runs (WorkerSettings.max_jobs)
        rt.jobs = InProcessRunner(TASKS, {"runtime": rt}, max_jobs=settings.db_pool_size)
    rt.relay = OutboxRelay(db, rt.jobs, hub, clock)
    rates = {"sms": settings.sms_rate_per_second, "email": settings.email_rate_per_second}
    rt.limiter = (
        RedisBuckets(settings.redis_url, settings.redis_namespace, rates)
        if settings.redis_url
        else LocalBuckets(rates)
    )
    if settings.llm_base_url:
        from domain.invoicing.drafting import OpenAICompatibleParser

        rt.draft_parser = OpenAICompatibleParser(
            settings.llm_base_url,
            settings.llm_api_key or "",
            settings.llm_model,
            settings.llm_timeout_seconds,
        )
    db.after_commit = rt.relay.relay

    async def recheck(keys: set[Key]) -> dict[Key, Ending]:
        async with db.read() as session:
            return await revocation.lapsed(Tx(session, SYSTEM, clock), keys)

    rt.live = LiveConnections(hub, clock, recheck)
    return rt


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Starlette:
    """The ASGI app. Without `runtime` the app builds its own and owns it: migrates (when
    the settings say so), starts and stops it in its lifespan; a given runtime is only
    started, its owner stops it."""
    if runtime is not None:
        if settings is not None and settings is not runtime.settings:
            # the app's own settings (limits, GraphiQL, CORS) over the shared runtime
            runtime = dataclasses.replace(runtime, settings=settings)
        return build_app(runtime, owns_runtime=False)
    settings = settings or get_settings()
    return build_app(build_runtime(settings), owns_runtime=True)


async def start_worker_runtime(settings: Settings | None = None) -> Runtime:
    """The arq worker's runtime: no outbox sweeper of its own (a cron job sweeps)."""
    runtime = build_runtime(settings or get_settings())
    await runtime.start(sweep=False, live=False)
    return runtime
