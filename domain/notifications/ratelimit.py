"""Messages per second per provider account, shared by every worker: a token bucket in
Redis (one Lua script, Redis's own clock) in production, in process otherwise."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

# KEYS[1] bucket; ARGV rate/s, capacity. Returns 0 (token taken) or ms to wait.
BUCKET_SCRIPT = """
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000 + math.floor(tonumber(now_t[2]) / 1000)
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + (now - at) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate) + 1000)
return wait
"""


class Limiter(Protocol):
    async def acquire(self, account: str) -> None: ...


class LocalBuckets:
    """One bucket per account in this process (embedded mode: one process sends)."""

    def __init__(self, rates: dict[str, float]) -> None:
        self.rates = rates
        self.state: dict[str, tuple[float, float]] = {}
        self.lock = asyncio.Lock()

    async def acquire(self, account: str) -> None:
        rate = self.rates.get(account.split(":", 1)[0], 10.0)
        capacity = max(1.0, rate)
        while True:
            async with self.lock:
                now = time.monotonic()
                tokens, at = self.state.get(account, (capacity, now))
                tokens = min(capacity, tokens + (now - at) * rate)
                if tokens >= 1:
                    self.state[account] = (tokens - 1, now)
                    return
                self.state[account] = (tokens, now)
                wait = (1 - tokens) / rate
            await asyncio.sleep(wait)


class RedisBuckets:
    """The bucket lives in Redis, so every worker process draws from the same tokens."""

    def __init__(self, redis_url: str, namespace: str, rates: dict[str, float]) -> None:
        self.redis_url = redis_url
        self.namespace = namespace
        self.rates = rates
        self.redis: Any = None
        self.script: Any = None

    async def acquire(self, account: str) -> None:
        if self.redis is None:
            from redis.asyncio import Redis

            self.redis = Redis.from_url(self.redis_url)
            self.script = self.redis.register_script(BUCKET_SCRIPT)
        rate = self.rates.get(account.split(":", 1)[0], 10.0)
        key = f"{self.namespace}:ratelimit:{account}"
        while True:
            wait = int(await self.script(keys=[key], args=[rate, max(1.0, rate)]))
            if wait <= 0:
                return
            await asyncio.sleep(wait / 1000)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
            self.redis = None
