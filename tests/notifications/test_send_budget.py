"""A try of a send that runs past its budget (a lock or a pool waited on under load)
ends as an arq Retry, not as arq's job_timeout: a timed-out arq job is never run again,
and a message whose provider call had gone through would stay `sending` for good."""

from __future__ import annotations

import asyncio

import pytest
from arq import Retry

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
