"""Expiring sessions end their connections at their own expiry through one timer for the
process (domain/core/live.py), not a sleeping task per connection."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from domain.core.clock import FrozenClock
from domain.core.events import EventHub
from domain.core.live import LiveConnections


def _expirers(live: LiveConnections) -> int:
    """The expiry timers of `live` (other runtimes of the suite have their own)."""
    count = 0
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        frame = getattr(coro, "cr_frame", None)
        if (
            getattr(coro, "__qualname__", "") == "LiveConnections._expire"
            and frame is not None
            and frame.f_locals.get("self") is live
            and not task.cancelling()
        ):
            count += 1
    return count


async def test_one_timer_ends_each_connection_at_its_own_expiry() -> None:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    clock = FrozenClock(start)
    live = LiveConnections(EventHub("memory://"), clock)
    closed: list[str] = []
    reached: dict[str, asyncio.Event] = {}

    def closer(name: str):  # type: ignore[no-untyped-def]
        reached[name] = asyncio.Event()

        async def close(code: str, reason: str) -> None:
            closed.append(f"{name} {code} {reason}")
            reached[name].set()

        return close

    late = live.open([("token", 1)], closer("late"), expires_at=start + timedelta(minutes=10))
    early = live.open([("token", 2)], closer("early"), expires_at=start + timedelta(minutes=5))
    gone = live.open([("token", 3)], closer("gone"), expires_at=start + timedelta(minutes=1))
    live.forget(gone)  # closed by its peer: its expiry must not close anything
    assert _expirers(live) == 1

    clock.advance(minutes=5)
    await asyncio.wait_for(reached["early"].wait(), 10)
    assert closed == ["early UNAUTHENTICATED session expired; sign in again"]
    assert early.ended is not None and late.ended is None and gone.ended is None

    clock.advance(minutes=5)
    await asyncio.wait_for(reached["late"].wait(), 10)
    assert closed[1:] == ["late UNAUTHENTICATED session expired; sign in again"]
    assert gone.ended is None
    await live.stop()
    assert _expirers(live) == 0
