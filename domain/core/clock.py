"""A clock seam so time-dependent rules (expiry, rate windows) are testable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep_until(self, when: datetime) -> None:
        """Returns once `now()` has reached `when` (something due at a time: an expiry)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime) -> None:
        left = (when - self.now()).total_seconds()
        if left > 0:
            await asyncio.sleep(left)


class FrozenClock:
    """Time moves only when a test calls `advance`; `sleep_until` wakes on that move."""

    def __init__(self, at: datetime) -> None:
        self._at = at
        self._moved: asyncio.Event | None = None

    def now(self) -> datetime:
        return self._at

    def advance(self, **kwargs: float) -> None:
        self._at += timedelta(**kwargs)
        if self._moved is not None:
            self._moved.set()
            self._moved = None

    async def sleep_until(self, when: datetime) -> None:
        while self._at < when:
            if self._moved is None:
                self._moved = asyncio.Event()
            await self._moved.wait()


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
