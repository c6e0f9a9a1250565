"""The embedded job runner runs at most `max_jobs` jobs at once, like an arq worker: a burst
of sends waits its turn instead of piling onto the database pool."""

from __future__ import annotations

import asyncio
from typing import Any

from workers.runner import InProcessRunner


async def test_a_burst_runs_at_most_max_jobs_at_once_and_all_finish() -> None:
    release = asyncio.Event()
    peak = 0
    started: list[int] = []

    async def job(ctx: dict[str, Any], n: int) -> int:
        nonlocal peak
        started.append(n)
        peak = max(peak, runner.busy)
        await release.wait()
        return n * 2

    runner = InProcessRunner({"job": job}, {}, max_jobs=3)
    for n in range(20):
        await runner.enqueue("job", job_id=f"j{n}", n=n)
    for _ in range(50):  # every chance for all 20 to start, had they not to wait
        await asyncio.sleep(0)
    assert len(started) == 3 and runner.busy == 3 and runner.running == 20
    release.set()
    await runner.drain()
    assert peak == 3
    assert sorted(started) == list(range(20))
    assert runner.results == {f"j{n}": n * 2 for n in range(20)}
    assert runner.busy == 0 and runner.running == 0


async def test_a_failing_job_frees_its_slot() -> None:
    async def boom(ctx: dict[str, Any]) -> None:
        raise ValueError("no")

    async def fine(ctx: dict[str, Any]) -> str:
        return "ok"

    runner = InProcessRunner({"boom": boom, "fine": fine}, {}, max_jobs=1)
    await runner.enqueue("boom", job_id="b")
    await runner.enqueue("fine", job_id="f")
    await runner.drain()
    assert runner.failed == 1 and runner.results == {"f": "ok"}
