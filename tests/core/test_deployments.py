"""Two deployments sharing one Redis (one database number, different KHATA_REDIS_NAMESPACE)
never see each other's events, jobs or cron runs. Each has its own database (PostgreSQL:
the suite's and a second one beside it; SQLite: two files), its own runtime with arq on
Redis, and the same business ids, so only the namespace keeps them apart."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url

from domain.core.settings import Settings
from domain.customers.service import channel_for
from domain.migrations.run import upgrade
from khata.composition import build_runtime, create_app
from khata.runtime import Runtime
from schema.relay import parse_global_id
from tests.conftest import BACKEND, REDIS_URL, TEST_IP, _fresh_postgres, run_jobs, sign_up


async def _deployment(settings: Settings, database_url: str) -> Runtime:
    namespace = f"khata_test_{uuid.uuid4().hex[:8]}"
    own = settings.model_copy(
        update={"database_url": database_url, "redis_url": REDIS_URL, "redis_namespace": namespace}
    )
    if BACKEND == "postgres":
        await _fresh_postgres(database_url)
    await upgrade(database_url)
    rt = build_runtime(own)
    await rt.start(sweep=False)
    return rt


@pytest.fixture
async def deployments(settings: Settings, tmp_path: Any) -> AsyncIterator[tuple[Runtime, Runtime]]:
    if BACKEND == "postgres":
        base = make_url(settings.database_url)
        urls = [
            base.set(database=f"{base.database}_a").render_as_string(hide_password=False),
            base.set(database=f"{base.database}_b").render_as_string(hide_password=False),
        ]
    else:
        urls = [f"sqlite+aiosqlite:///{tmp_path}/a.db", f"sqlite+aiosqlite:///{tmp_path}/b.db"]
    a = await _deployment(settings, urls[0])
    b = await _deployment(settings, urls[1])
    try:
        yield a, b
    finally:
        await a.stop()
        await b.stop()


def _client(rt: Runtime) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(rt.settings, runtime=rt), client=(TEST_IP, 5555))
    return httpx.AsyncClient(transport=transport, base_url="http://khata.test")


async def _queued(rt: Runtime) -> list[str]:
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        return list(await redis.zrange(rt.settings.arq_queue_name, 0, -1))
    finally:
        await redis.aclose()


INVITE = """mutation($input: InviteStaffInput!) { inviteStaff(input: $input) { __typename } }"""


async def test_two_deployments_on_one_redis_stay_apart(
    deployments: tuple[Runtime, Runtime],
) -> None:
    a, b = deployments
    async with _client(a) as http_a, _client(b) as http_b:
        owner_a = await sign_up(http_a, "IN")
        owner_b = await sign_up(http_b, "KE")
        business = parse_global_id(owner_a.business_id)[1]
        assert parse_global_id(owner_b.business_id)[1] == business  # same ids, same channels
        channel = channel_for(business)
        async with a.hub.subscribe(channel) as events_a, b.hub.subscribe(channel) as events_b:
            for i in range(3):  # interleaved
                await owner_a.gql(
                    f'mutation {{ createCustomer(input: {{name: "A{i}"}}) {{ __typename }} }}'
                )
                await owner_b.gql(
                    f'mutation {{ createCustomer(input: {{name: "B{i}"}}) {{ __typename }} }}'
                )
            got_a = [(await asyncio.wait_for(events_a.__anext__(), 10)) for _ in range(3)]
            got_b = [(await asyncio.wait_for(events_b.__anext__(), 10)) for _ in range(3)]
            # a marker after the real events: nothing of the other deployment came in between
            await a.hub.publish(channel, {"id": "end", "topic": "end", "payload": {}})
            await b.hub.publish(channel, {"id": "end", "topic": "end", "payload": {}})
            assert (await asyncio.wait_for(events_a.__anext__(), 10))["id"] == "end"
            assert (await asyncio.wait_for(events_b.__anext__(), 10))["id"] == "end"
        assert [e["payload"]["name"] for e in got_a] == ["A0", "A1", "A2"]
        assert [e["payload"]["name"] for e in got_b] == ["B0", "B1", "B2"]

        # jobs: each deployment's queue holds its own outbox ids, and its worker runs only them
        await owner_a.gql(INVITE, {"input": {"email": "staff-a@example.com"}})
        await owner_b.gql(INVITE, {"input": {"email": "staff-b@example.com"}})
        queued_a, queued_b = await _queued(a), await _queued(b)
        assert len(queued_a) == 1 and len(queued_b) == 1 and queued_a != queued_b
        await run_jobs(a)
        assert await _queued(b) == queued_b  # A's worker left B's job alone
        assert [to for _, to, _ in a.providers.email.sent] == ["staff-a@example.com"]  # type: ignore[attr-defined]
        await run_jobs(b)
        assert [to for _, to, _ in b.providers.email.sent] == ["staff-b@example.com"]  # type: ignore[attr-defined]


async def test_cron_runs_of_two_deployments_do_not_swallow_each_other(
    deployments: tuple[Runtime, Runtime],
) -> None:
    """Both workers schedule their outbox sweep for the same second: each deployment's
    queue gets its own run (arq dedups runs by name and time across the Redis database)."""
    from arq.connections import RedisSettings, create_pool
    from arq.worker import Worker

    from workers.arq_worker import WorkerSettings, deployment_cron_jobs

    at = datetime.now(UTC).replace(microsecond=0)
    workers = [
        Worker(
            functions=WorkerSettings.functions,
            cron_jobs=deployment_cron_jobs(rt.settings),
            redis_pool=await create_pool(RedisSettings.from_dsn(REDIS_URL)),
            queue_name=rt.settings.arq_queue_name,
            ctx={"runtime": rt},
            handle_signals=False,
        )
        for rt in deployments
    ]
    try:
        for worker in workers:
            await worker.run_cron(at, 0.5)  # the same scheduled time for both
        for rt in deployments:
            queued = await _queued(rt)
            # one run of each cron job that runs at start-up, all in the deployment's name
            # (the daily prune may share the scheduled second: only the start-up jobs count)
            names = sorted(q.rsplit(":", 1)[0] for q in queued if ":prune_stream:" not in q)
            ns = rt.settings.redis_namespace
            assert names == [
                f"cron:{ns}:customer_status",
                f"cron:{ns}:invoice_overdue",
                f"cron:{ns}:monthly_statements",
                f"cron:{ns}:payment_reminders",
                f"cron:{ns}:recurring_invoices",
                f"cron:{ns}:relay_outbox",
                f"cron:{ns}:scan_campaigns",
                f"cron:{ns}:scheduled_sends",
            ], queued
    finally:
        for worker, rt in zip(workers, deployments, strict=True):
            for job_id in await _queued(rt):  # only the runs this test queued
                await worker.pool.delete(f"arq:job:{job_id}")
            await worker.pool.delete(rt.settings.arq_queue_name)
            await worker.close()
