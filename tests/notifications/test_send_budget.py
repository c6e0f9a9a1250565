"""A try of a send that runs past its budget (a lock or a pool waited on under load)
ends as an arq Retry, not as arq's job_timeout: a timed-out arq job is never run again,
and a message whose provider call had gone through would stay `sending` for good."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from arq import Retry
from sqlalchemy.exc import OperationalError

from domain.notifications.pipeline import Pipeline
from khata.runtime import Runtime
from workers import tasks


async def test_a_try_past_its_budget_is_retried(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    never = asyncio.Event()

    async def stuck(self: Pipeline, outbox_id: str) -> str:
        await never.wait()
        return "sent"

    monkeypatch.setattr(Pipeline, "deliver", stuck)
    monkeypatch.setattr(tasks, "SEND_BUDGET", 0.05)
    ctx = {"runtime": runtime, "job_try": 1, "max_tries": tasks.SEND_TRIES}
    with pytest.raises(Retry):
        # bounded here too: without the budget the task would wait forever
        await asyncio.wait_for(tasks.send_notification(ctx, "no-such-event"), 10)


async def test_a_busy_database_is_retried_not_failed(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's lock timeout (1,000 embedded sends at once) or a pool timeout: the step
    rolled back, so the send retries instead of ending failed with its message unsent."""

    async def locked(self: Pipeline, outbox_id: str) -> str:
        orig = sqlite3.OperationalError("database is locked")
        raise OperationalError("BEGIN IMMEDIATE", {}, orig)

    monkeypatch.setattr(Pipeline, "deliver", locked)
    ctx = {"runtime": runtime, "job_try": 1, "max_tries": tasks.SEND_TRIES}
    with pytest.raises(Retry):
        await tasks.send_notification(ctx, "no-such-event")


async def test_other_errors_still_fail(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(self: Pipeline, outbox_id: str) -> str:
        raise ValueError("a bug")

    monkeypatch.setattr(Pipeline, "deliver", broken)
    ctx = {"runtime": runtime, "job_try": 1, "max_tries": tasks.SEND_TRIES}
    with pytest.raises(ValueError):
        await tasks.send_notification(ctx, "no-such-event")
