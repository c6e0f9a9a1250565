"""The provider rate limit: the in-process token bucket on a controlled clock, and the
Redis bucket shared by worker processes (Redis db 15, a namespaced key), counted per
window without sleeping."""

from __future__ import annotations

import time
import uuid

from redis.asyncio import Redis

from domain.notifications.ratelimit import BUCKET_SCRIPT, LocalBuckets, RedisBuckets
from tests.conftest import NAMESPACE, REDIS_URL


class VirtualTime:
    """A monotonic clock that only moves when the limiter sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_the_local_bucket_takes_the_expected_refills() -> None:
    t = VirtualTime()
    buckets = LocalBuckets({"sms": 4.0}, monotonic=t.monotonic, sleep=t.sleep)
    start = t.now
    for _ in range(24):
        await buckets.acquire("sms:twilio")
    # a full bucket holds 4 (one second's worth); the other 20 wait for 20 refills at 4/s
    assert abs((t.now - start) - 5.0) < 1e-6
    assert len(t.sleeps) == 20 and all(abs(s - 0.25) < 1e-6 for s in t.sleeps)
    # per virtual second, never more than the rate after the first (burst) second
    granted_at: list[float] = []
    for _ in range(10):
        await buckets.acquire("sms:twilio")
        granted_at.append(t.now)
    assert granted_at[-1] - granted_at[0] >= (10 - 1) / 4.0 - 1e-6


async def test_accounts_have_their_own_buckets_and_rates() -> None:
    t = VirtualTime()
    buckets = LocalBuckets({"sms": 2.0, "email": 50.0}, monotonic=t.monotonic, sleep=t.sleep)
    for _ in range(2):
        await buckets.acquire("sms:twilio")
    for _ in range(50):
        await buckets.acquire("email:sendgrid")  # another account: its own full bucket
    assert t.sleeps == []
    await buckets.acquire("sms:twilio")
    assert t.sleeps == [0.5]


async def test_the_redis_bucket_grants_no_more_than_capacity_plus_refills() -> None:
    """Two clients (two worker processes) draw from one key: whatever each is granted,
    the total over the window is the burst plus what the elapsed time refilled."""
    rate, calls = 10.0, 60
    key = f"{NAMESPACE}:ratelimit:test-{uuid.uuid4().hex[:8]}"
    a, b = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    try:
        scripts = [a.register_script(BUCKET_SCRIPT), b.register_script(BUCKET_SCRIPT)]
        started = time.monotonic()
        waits = [int(await scripts[i % 2](keys=[key], args=[rate, rate])) for i in range(calls)]
        elapsed = time.monotonic() - started
        granted = sum(1 for w in waits if w <= 0)
        assert rate <= granted <= rate + elapsed * rate + 1
        assert waits[: int(rate)] == [0] * int(rate)  # the burst
        refused = [w for w in waits if w > 0]
        assert refused and all(0 < w <= 1000 / rate for w in refused)  # wait for one refill
        assert 0 < await a.pttl(key) <= (1 + 1) * 1000  # the key expires once refilled
    finally:
        await a.delete(key)
        await a.aclose()
        await b.aclose()


async def test_redis_buckets_acquire_waits_for_refills() -> None:
    """N acquisitions past the burst take at least (N - burst) / rate seconds of Redis's
    own clock: measured, not slept for."""
    account = f"sms:test-{uuid.uuid4().hex[:8]}"
    buckets = RedisBuckets(REDIS_URL, NAMESPACE, {"sms": 20.0})
    try:
        started = time.monotonic()
        for _ in range(20 + 6):
            await buckets.acquire(account)
        assert time.monotonic() - started >= 6 / 20.0 - 0.01
    finally:
        redis = Redis.from_url(REDIS_URL)
        await redis.delete(f"{NAMESPACE}:ratelimit:{account}")
        await redis.aclose()
        await buckets.close()
