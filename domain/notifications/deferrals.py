"""Messages held by quiet hours. The job that found a message in the customer's quiet
hours records when they end (`due_at` on the ledger row) and finishes; the periodic sweep
(arq's relay cron, the embedded sweeper) runs the job again once that time has come.
A long arq deferral would do the same in one step, but a job deferred for hours would sit
in the queue (burst workers and drains wait for it, and it outlives arq's job expiry when
quiet hours are long); a row in the ledger waits for free and survives anything."""

from __future__ import annotations

from domain.core.clock import Clock, as_utc
from domain.core.db import Database
from domain.core.outbox import JobQueue
from domain.notifications.repository import NotificationRepository
from domain.notifications.service import JOB


async def release_due(db: Database, clock: Clock, jobs: JobQueue, limit: int = 500) -> int:
    """Enqueue the job of every held message now due; a job id per outbox event and due
    time, so sweeps that overlap enqueue it once."""
    async with db.read() as session:
        due = await NotificationRepository(session, JOB).due(clock.now(), limit)
    released: set[str] = set()
    for key, at in due:
        outbox_id = key.split(":", 1)[0]
        job_id = f"{outbox_id}:due:{int(as_utc(at).timestamp())}"
        if job_id in released:
            continue
        released.add(job_id)
        await jobs.enqueue("send_notification", job_id=job_id, outbox_id=outbox_id)
    return len(released)
