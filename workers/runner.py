"""In-process job runner for embedded mode: runs the same task functions as arq, with
arq's semantics that matter (dedupe by job id, Retry with defer, bounded tries, at most
`max_jobs` running at once)."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from arq import Retry

from domain.core.failures import log_failure

log = logging.getLogger("khata.jobs")
Task = Callable[..., Awaitable[Any]]


class InProcessRunner:
    def __init__(
        self,
        tasks: Mapping[str, Task],
        ctx: dict[str, Any],
        max_tries: int = 5,
        max_jobs: int = 10,
    ) -> None:
        """`max_jobs` plays arq's part of the same name: a burst of 1,000 sends runs ten at
        a time instead of 1,000 jobs queueing on the database pool (and on SQLite's one
        writer) until their tries time out; the others wait their turn, in order."""
        self.tasks = tasks
        self.ctx = ctx
        self.max_tries = max_tries
        self._slots = asyncio.Semaphore(max_jobs)
        self.busy = 0  # jobs running now (the others in `running` wait for a slot)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._running: set[asyncio.Task[Any]] = set()
        self.results: dict[str, Any] = {}
        self.failed = 0  # jobs that raised or gave up (metrics)

    async def enqueue(self, task: str, *, job_id: str, **kwargs: Any) -> None:
        if task not in self.tasks:
            raise LookupError(f"unknown task {task}")
        if job_id in self._seen:
            return
        self._seen[job_id] = None
        while len(self._seen) > 10_000:
            self._seen.popitem(last=False)
        self._spawn(task, job_id, kwargs, 1)

    def _spawn(self, task: str, job_id: str, kwargs: dict[str, Any], attempt: int) -> None:
        job = asyncio.create_task(self._run(task, job_id, kwargs, attempt))
        self._running.add(job)
        job.add_done_callback(self._running.discard)

    async def _run(self, task: str, job_id: str, kwargs: dict[str, Any], attempt: int) -> None:
        ctx = {**self.ctx, "job_id": job_id, "job_try": attempt, "max_tries": self.max_tries}
        try:
            async with self._slots:
                self.busy += 1
                try:
                    self.results[job_id] = await self.tasks[task](ctx, **kwargs)
                finally:
                    self.busy -= 1
        except Retry as retry:
            if attempt >= self.max_tries:
                log.error("job %s gave up after %s tries", job_id, attempt)
                self.failed += 1
                return
            delay = (retry.defer_score or 0) / 1000
            loop = asyncio.get_running_loop()
            loop.call_later(delay, self._spawn, task, job_id, kwargs, attempt + 1)
        except Exception as exc:
            log_failure(log, "job %s (%s) failed", exc, job_id, task)
            self.failed += 1

    @property
    def running(self) -> int:
        """Jobs started and not finished, including those waiting for a slot."""
        return len(self._running)

    async def drain(self) -> None:
        """Wait for every job started so far (and the ones they start)."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)


class ArqQueue:
    """Production queue: arq on Redis; the outbox id is the job id so a re-relay of the same
    row cannot enqueue a second job while the first one's key lives."""

    def __init__(self, redis_url: str, queue_name: str) -> None:
        self.redis_url = redis_url
        self.queue_name = queue_name
        self.pool: Any = None

    async def connect(self) -> None:
        from arq import create_pool
        from arq.connections import RedisSettings

        self.pool = await create_pool(
            RedisSettings.from_dsn(self.redis_url), default_queue_name=self.queue_name
        )

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.aclose()

    async def queued(self) -> int:
        """Jobs waiting in the arq queue (one Redis call)."""
        if self.pool is None:
            await self.connect()
        return int(await self.pool.zcard(self.queue_name))

    async def enqueue(self, task: str, *, job_id: str, **kwargs: Any) -> None:
        if self.pool is None:
            await self.connect()
        await self.pool.enqueue_job(task, _job_id=job_id, **kwargs)
