"""What arq's `poll_delay` costs an idle worker (workers/arq_worker.py):

    .venv/bin/python -m bench.arq_poll_cost [--seconds 10] [--delays 0.05,0.01]

For each delay, an arq Worker with nothing queued runs for `--seconds` against the
bench's own redis-server: Redis commands per second (INFO's total_commands_processed,
the worker's own) and the worker's CPU (this process's, ms per second). An idle worker
polls the queue with one ZRANGEBYSCORE per `poll_delay`; a job waits on average half
of it before it starts."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time

from arq.connections import RedisSettings, create_pool
from arq.worker import Worker

from bench.processes import OwnRedis


async def noop(ctx: dict) -> None:  # the worker needs one function
    return None


async def measure(url: str, delay: float, seconds: float) -> tuple[float, float]:
    settings = RedisSettings.from_dsn(url)
    probe = await create_pool(settings)
    worker = Worker(
        functions=[noop], redis_settings=settings, poll_delay=delay, handle_signals=False
    )
    task = asyncio.create_task(worker.async_run())
    await asyncio.sleep(1.0)  # started
    before = int((await probe.info("stats"))["total_commands_processed"])
    cpu0, t0 = time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    cpu1, t1 = time.process_time(), time.monotonic()
    after = int((await probe.info("stats"))["total_commands_processed"])
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await worker.close()
    await probe.aclose()
    span = t1 - t0
    return (after - before - 1) / span, (cpu1 - cpu0) * 1000 / span  # -1: the probe's INFO


async def main(args: argparse.Namespace) -> None:
    with OwnRedis() as redis:
        for delay in (float(d) for d in args.delays.split(",")):
            commands, cpu = await measure(redis.url, delay, args.seconds)
            print(f"poll_delay {delay:.3f} s: {commands:.1f} Redis commands/s, {cpu:.2f} ms CPU/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--delays", default="0.5,0.05,0.02,0.01")
    asyncio.run(main(parser.parse_args()))
