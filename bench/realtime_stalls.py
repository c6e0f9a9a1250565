"""Server-side stalls over a phase, read from the API processes' /metrics (schema/stalls.py):
how many full (generation 2) collections ran and how long they held the loop, and how many
times the event loop woke up more than LATE s late. Issue 18 §4: the many-tenants tail
follows these, not the CPU per event."""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

METRICS_TOKEN = "bench-realtime-metrics"  # serve-api sets it; nothing else is exposed
LATE = "0.25"  # a bucket bound of schema.stalls.PAUSE_BUCKETS


async def read(bases: list[str]) -> dict[str, float]:
    """The stall counters summed over the API processes."""
    out: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=60) as http:
        for base in bases:
            response = await http.get(
                f"{base}/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"}
            )
            response.raise_for_status()
            for family in text_string_to_metric_families(response.text):
                for s in family.samples:
                    key = None
                    generation = s.labels.get("generation")
                    if s.name == "khata_gc_pause_seconds_count":
                        key = f"gc{generation}_count"
                    elif s.name == "khata_gc_pause_seconds_sum":
                        key = f"gc{generation}_s"
                    elif s.name == "khata_gc_pause_seconds_bucket" and generation == "2":
                        key = f"gc2_le_{s.labels['le']}"
                    elif s.name == "khata_event_loop_lag_seconds_count":
                        key = "lag_count"
                    elif s.name == "khata_event_loop_lag_seconds_sum":
                        key = "lag_s"
                    elif s.name == "khata_event_loop_lag_seconds_bucket" and s.labels["le"] == LATE:
                        key = "lag_on_time"
                    if key is not None:
                        out[key] = out.get(key, 0.0) + s.value
    return out


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before.get(k, 0.0) for k in after}


def line(d: dict[str, Any]) -> str:
    """One report line from `delta` of two `read`s around the phase."""
    full = int(d.get("gc2_count", 0))
    bounds = sorted(
        (float(k.removeprefix("gc2_le_")), v)
        for k, v in d.items()
        if k.startswith("gc2_le_") and k != "gc2_le_+Inf"
    )
    full_text = "no full collection"
    if full:
        longest = next((b for b, v in bounds if v >= full), None)
        within = f"≤ {longest:g} s" if longest is not None else f"> {bounds[-1][0]:g} s"
        full_text = (
            f"{full} full collections holding the loop {d.get('gc2_s', 0.0):.2f} s "
            f"(longest {within})"
        )
    young = d.get("gc0_s", 0.0) + d.get("gc1_s", 0.0)
    late = int(d.get("lag_count", 0) - d.get("lag_on_time", 0))
    return (
        f"- server stalls over the phase (API processes together): {full_text}, young "
        f"collections {young:.2f} s; event-loop wake-ups more than {LATE} s late: {late} "
        f"(lag {d.get('lag_s', 0.0):.1f} s in all)"
    )
