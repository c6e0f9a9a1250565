"""The realtime benchmark's harness, end to end at a tiny size, so it cannot rot: every
event the writer commits reaches the API's subscribers and their floor twins exactly once
(a check of the harness and of delivery, not of speed: nothing here is timed)."""

from __future__ import annotations

import asyncio
from functools import partial

from bench import realtime
from bench.processes import free_port
from bench.realtime_clients import Sub, guarded, open_floor
from bench.realtime_scenarios import tally


def test_the_realtime_bench_delivers_every_event_to_api_and_floor_subscribers() -> None:
    argv = "tenants --api-processes 1 --businesses 2 --customers 2 --subscriptions 10"
    argv += " --rate 40 --seconds 0.5 --settle 0.5 --no-write"
    args = realtime.parse([*argv.split(), "--database-url", ""])
    result = realtime.run(args)["tenants"]
    assert result["events"] == 20
    assert result["filtered"] == 4  # slots 3 and 4 of both businesses filter by customer
    for side in (result["api"], result["floor"]):
        assert side.expected > 20  # the staff streams see every event of their business
        assert side.delivered == side.expected
        assert (side.lost, side.duplicated, side.errors, side.silent) == (0, 0, 0, 0)
        assert len(side.latencies_ms) == side.delivered


def test_a_client_whose_socket_never_opens_is_counted_failed_and_the_tally_carries_on() -> None:
    """On a loaded host some sockets are refused: the harness counts them apart instead
    of ending the run (here nothing listens on the port)."""
    refused = Sub("floor", 0, 1, None)
    opener = partial(open_floor, f"ws://127.0.0.1:{free_port()}", refused)
    assert asyncio.run(guarded(refused, opener)) is False
    assert refused.failed == "ConnectionRefusedError" and refused.client is None
    side = tally([refused], {(1, 1): (0, 0.0)})
    assert (side.failed, side.expected, side.lost, side.silent) == (1, 0, 0, 0)
