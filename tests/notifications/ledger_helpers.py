"""Ledger test helpers: a runtime whose providers are the real SDKs pointed at the fakes,
outbox events to deliver, and reads of the ledger."""

from __future__ import annotations

from typing import Any

from arq import Retry
from sqlalchemy import select

from domain.core import outbox
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.notifications.models import NotificationAttempt, NotificationLog, NotificationStatus
from khata.runtime import Runtime
from workers import tasks


async def queue_message(rt: Runtime, business_id: int, **payload: Any) -> str:
    """An outbox event carrying a ready message (no job: the test runs the task itself)."""
    viewer = Viewer.system_actor("test", business_id=business_id)
    async with rt.db.unit_of_work() as session:
        row = outbox.emit(Tx(session, viewer, rt.clock), "test.message", payload)
    return row.id


async def run_send(rt: Runtime, outbox_id: str, job_try: int = 1) -> str | Retry:
    """The task function as a worker runs it: its answer, or the Retry it raised."""
    try:
        return await tasks.send_notification({"runtime": rt, "job_try": job_try}, outbox_id)
    except Retry as retry:
        return retry


async def ledger(rt: Runtime, outbox_id: str) -> list[NotificationLog]:
    async with rt.db.read() as session:
        rows = await session.scalars(
            select(NotificationLog)
            .where(NotificationLog.idempotency_key.startswith(outbox_id))
            .order_by(NotificationLog.id)
        )
        return list(rows.all())


async def attempts(rt: Runtime, row_id: int) -> list[NotificationAttempt]:
    async with rt.db.read() as session:
        rows = await session.scalars(
            select(NotificationAttempt)
            .where(NotificationAttempt.notification_id == row_id)
            .order_by(NotificationAttempt.started_at)
        )
        return list(rows.all())


async def history(rt: Runtime, row_id: int) -> list[str]:
    async with rt.db.read() as session:
        rows = await session.scalars(
            select(NotificationStatus.status)
            .where(NotificationStatus.notification_id == row_id)
            .order_by(NotificationStatus.id)
        )
        return list(rows.all())
