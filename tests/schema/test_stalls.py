"""/metrics shows event-loop stalls: the collector's pauses per generation and the lag of
a task that sleeps (schema/stalls.py)."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import time

import httpx

from khata.runtime import Runtime
from schema.stalls import FULL_EVERY, PAUSE_BUCKETS, Durations, LoopLag
from tests.conftest import TEST_IP
from tests.schema.test_metrics import metrics_app, scrape


def scrape_client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(TEST_IP, 5555))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://khata.test")


async def test_a_full_collection_is_counted_in_its_generation(runtime: Runtime) -> None:
    async with scrape_client(metrics_app(runtime)) as c:
        before = await scrape(c)
        gc.collect(2)
        gc.collect(2)
        after = await scrape(c)
    full = ("khata_gc_pause_seconds_count", (("generation", "2"),))
    assert after[full] >= before[full] + 2
    total = ("khata_gc_pause_seconds_sum", (("generation", "2"),))
    assert after[total] > before[total]
    inf = ("khata_gc_pause_seconds_bucket", (("generation", "2"), ("le", "+Inf")))
    assert after[inf] == after[full]


async def test_a_blocked_loop_shows_as_lag(runtime: Runtime) -> None:
    app = metrics_app(runtime)
    lag: LoopLag = app.state.metrics.loop_lag
    lag.start()  # the lifespan does this in a server; the test client runs none
    try:
        await asyncio.sleep(0)  # the probe's first step: it is asleep now
        busy_until = time.perf_counter() + 0.5
        while time.perf_counter() < busy_until:  # what a long collection does: nothing
            pass  # else runs meanwhile
        # the probe's timer expired during the block, before this one is set: it wakes first
        await asyncio.sleep(lag.interval)
        async with scrape_client(app) as c:
            got = await scrape(c)
    finally:
        await lag.stop()
    late = got[("khata_event_loop_lag_seconds_count", ())]
    assert late - got[("khata_event_loop_lag_seconds_bucket", (("le", "0.25"),))] == 1
    assert got[("khata_event_loop_lag_seconds_sum", ())] >= 0.35


def test_buckets_are_cumulative() -> None:
    d = Durations()
    for seconds in (0.0005, 0.003, 0.003, 7.0):
        d.observe(seconds)
    buckets = dict(d.buckets())
    assert buckets[repr(PAUSE_BUCKETS[0])] == 1
    assert buckets["0.005"] == 3
    assert buckets["5.0"] == 3
    assert buckets["+Inf"] == 4
    assert abs(d.sum - 7.0065) < 1e-9


def test_settle_collector_freezes_start_up_and_spaces_full_passes() -> None:
    # process-wide collector settings: in a process of its own, not the suite's
    code = (
        "import gc, json\n"
        "from schema.stalls import settle_collector\n"
        "import khata.composition\n"
        "before = gc.get_freeze_count()\n"
        "settle_collector()\n"
        "print(json.dumps([before, gc.get_freeze_count(), gc.get_threshold()]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    before, frozen, threshold = json.loads(out.stdout)
    assert before == 0
    assert frozen > 10_000  # the imported modules, at least
    assert threshold[2] == FULL_EVERY
    assert threshold[:2] == list(gc.get_threshold()[:2])  # the young generations as they were
