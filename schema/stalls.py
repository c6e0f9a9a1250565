"""Event-loop stalls, for /metrics: the cyclic collector's pauses and the loop's lag.

Why: one API process serves thousands of WebSocket subscribers on one event loop, and
anything that holds the loop holds every delivery. Issue 18 §4 (bench/realtime.py,
`tenants`): the p99 of commit → receipt was 100x the floor's with the CPU far from
saturated; the stalls were the collector's full (generation 2) passes over the process's
heap of long-lived subscription objects, 0.2-0.6 s of CPU each at 1,500 subscriptions per
process (seconds of wall time on a busy host), every 10-20 s. These two series show it on
a live deployment without a profiler:

- `khata_gc_pause_seconds{generation}`: a histogram of each collection's duration
  (`gc.callbacks`, process-wide: every app of the process reads the same counts).
- `khata_event_loop_lag_seconds`: a histogram of how late a task that sleeps
  `LAG_INTERVAL` wakes up (started with the app's lifespan); a stall of the loop, from the
  collector or from anything else that runs without awaiting, shows here.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import gc
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import HistogramMetricFamily, Metric

PAUSE_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
LAG_INTERVAL = 0.1  # seconds between the lag probe's wake-ups (10 per second: negligible)


class Durations:
    """A histogram's raw counts: how many observations fell in each bucket, and their sum."""

    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(PAUSE_BUCKETS) + 1)  # the last one is +Inf
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(PAUSE_BUCKETS, seconds)] += 1
        self.sum += seconds

    def buckets(self) -> list[tuple[str, float]]:
        """Cumulative, as Prometheus wants them."""
        out, running = [], 0
        for bound, count in zip((*PAUSE_BUCKETS, float("inf")), self.counts, strict=True):
            running += count
            out.append(("+Inf" if bound == float("inf") else repr(bound), float(running)))
        return out


class GcPauses:
    """Each collection's duration per generation, from `gc.callbacks` (one per process)."""

    def __init__(self) -> None:
        self.by_generation = [Durations() for _ in range(3)]
        self._started: float | None = None

    def callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            self.by_generation[info["generation"]].observe(time.perf_counter() - self._started)
            self._started = None


_pauses: GcPauses | None = None


def gc_pauses() -> GcPauses:
    """The process's recorder, registered with `gc.callbacks` on first use."""
    global _pauses
    if _pauses is None:
        _pauses = GcPauses()
        gc.callbacks.append(_pauses.callback)
    return _pauses


class LoopLag:
    """A task that sleeps `interval` and observes how much later than asked it woke up."""

    def __init__(self, interval: float = LAG_INTERVAL) -> None:
        self.interval = interval
        self.lag = Durations()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._probe())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _probe(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.lag.observe(max(0.0, time.perf_counter() - asked - self.interval))


def families(pauses: GcPauses, lag: LoopLag) -> Iterator[Metric]:
    """The two histograms, read at scrape time."""
    gc_family = HistogramMetricFamily(
        "khata_gc_pause_seconds",
        "Cyclic garbage collections by generation (the loop stands still meanwhile)",
        labels=["generation"],
    )
    for generation, durations in enumerate(pauses.by_generation):
        gc_family.add_metric([str(generation)], durations.buckets(), durations.sum)
    yield gc_family
    yield HistogramMetricFamily(
        "khata_event_loop_lag_seconds",
        f"How late a task sleeping {LAG_INTERVAL} s wakes up",
        buckets=lag.lag.buckets(),
        sum_value=lag.lag.sum,
    )


FULL_EVERY = 100  # young (generation 1) collections between two full ones, at least


def settle_collector() -> None:
    """Fewer and shorter full collections for a long-running server process; called once by
    the serve entry point after start-up has built the app (imports, schema, tables).

    Measured (issue 18 §4, bench/results/realtime.md): at 1,500 subscriptions per process a
    full pass cost 0.2-0.6 s of CPU (seconds of wall time on a busy host) and ran every
    10-20 s, because CPython runs one whenever the objects promoted to the oldest
    generation since the last pass exceed a quarter of it, and a busy server promotes
    tens of thousands of short-lived ones (in flight across a young collection) per
    minute. Two documented remedies (the `gc` module's reference):

    - `gc.freeze()`: start-up's ~250,000 objects (modules, the GraphQL schema, the
      tables) live as long as the process; frozen, no pass walks them again.
    - `gc.set_threshold(t0, t1, FULL_EVERY)`: a full pass at most once per FULL_EVERY
      generation-1 passes instead of 10 (the quarter rule still applies on top).

    Trade-offs: a frozen object is never collected (start-up's objects are not garbage, so
    nothing is lost); cyclic garbage that reaches the oldest generation waits longer for a
    full pass, so memory holds more of it between passes (about one pass's worth: tens of
    thousands of objects, a few MB per process at the measured rates). Each full pass
    still walks every live subscription's objects: fewer objects per subscription is what
    makes the remaining passes short.
    """
    gc.collect()  # what start-up already dropped is not frozen
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_EVERY)
