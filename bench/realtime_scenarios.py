"""The realtime benchmark's scenarios (see bench/realtime.py for the method): each opens
its subscribers (API and floor twins), has the writer process commit events, and reads
what arrived once the phase is over."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson

from bench import realtime_stalls
from bench.http_client import closed_loop, open_loop, percentile
from bench.realtime_clients import (
    NotAcknowledged,
    Sub,
    close_all,
    failed,
    guarded,
    in_waves,
    open_api,
    open_floor,
    settle,
)
from bench.realtime_events import KINDS, Target, order_pools, plan_json

if TYPE_CHECKING:
    from bench.realtime import Cluster

Stamps = dict[tuple[int, int], tuple[int, float]]  # (business, position) -> customer, time


async def write(
    c: Cluster, targets: Sequence[Target], order: Sequence[int], rate: float
) -> tuple[Stamps, float]:
    """Runs the writer process; the commit stamps of its events and its wall time."""
    from bench.realtime import DATA_DIR

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    plan, out = DATA_DIR / f"realtime_plan_{tag}.json", DATA_DIR / f"realtime_stamps_{tag}.json"
    plan.write_bytes(
        plan_json(
            c.database_url,
            c.redis.url,
            c.namespace,
            c.kind,
            targets,
            order,
            rate,
            c.args.writer_pool,
            c.args.writer,
        )
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.realtime", "writer", "--plan", str(plan), "--stamps", str(out)
    )
    if await proc.wait() != 0:
        raise SystemExit("the writer failed")
    result = orjson.loads(out.read_bytes())
    plan.unlink()
    out.unlink()
    stamps = {(b, p): (customer, t) for b, p, customer, t in result["stamps"]}
    return stamps, float(result["wall"])


@dataclass
class Side:
    """What one side (API or floor) delivered of a set of events."""

    expected: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    errors: int = 0
    silent: int = 0  # subscribers that were due events and received none
    failed: int = 0  # subscribers whose socket never opened (their events not expected)
    closed: int = 0  # subscribers whose socket the server closed during the phase
    latencies_ms: list[float] = field(default_factory=list)
    last_ms: dict[tuple[int, int], float] = field(default_factory=dict)  # per event
    commits: list[float] = field(default_factory=list)  # commit time of each latency

    def pct(self, p: float) -> float:
        return percentile(self.latencies_ms, p)

    def pct_by_part(self, p: float, parts: int = 5) -> list[float]:
        """The percentile of the deliveries of events committed in each equal part of the
        phase: shows whether a tail is spread over the phase or gathered in one part."""
        if not self.commits:
            return []
        start, end = min(self.commits), max(self.commits)
        width = (end - start) / parts or 1.0
        buckets: list[list[float]] = [[] for _ in range(parts)]
        for t, ms in zip(self.commits, self.latencies_ms, strict=True):
            buckets[min(parts - 1, int((t - start) / width))].append(ms)
        return [percentile(b, p) if b else float("nan") for b in buckets]


def tally(subs: Sequence[Sub], stamps: Stamps) -> Side:
    side = Side()
    by_business: dict[int, list[tuple[int, int, int]]] = {}
    for (b, p), (customer, _) in stamps.items():
        by_business.setdefault(b, []).append((b, p, customer))
    for sub in subs:
        if sub.failed is not None:  # never opened: counted apart, its events not expected
            side.failed += 1
            continue
        got: Counter[tuple[int, int]] = Counter()
        for b, p, t in sub.received():
            if (b, p) not in stamps:
                continue
            got[(b, p)] += 1
            if got[(b, p)] == 1:
                ms = (t - stamps[(b, p)][1]) * 1000
                side.latencies_ms.append(ms)
                side.commits.append(stamps[(b, p)][1])
                side.last_ms[(b, p)] = max(side.last_ms.get((b, p), ms), ms)
        side.errors += len(sub.errors)
        side.closed += sub.client is not None and sub.client.closed
        due = 0
        for b, p, customer in by_business.get(sub.business, []):
            if sub.customer is None or sub.customer == customer:
                due += 1
                if not got[(b, p)]:
                    side.lost += 1
        side.expected += due
        side.silent += due > 0 and not got
        side.delivered += sum(got.values())
        side.duplicated += sum(n - 1 for n in got.values() if n > 1)
    return side


def twins(c: Cluster, plan: Sequence[tuple[int, int | None]]) -> tuple[list[Sub], list[Sub]]:
    """API subscribers and their floor twins for (business, customer filter) pairs, the
    i-th on process i mod the process count."""
    n = len(c.api)
    api = [Sub("api", i % n, b, cust) for i, (b, cust) in enumerate(plan)]
    floor = [Sub("floor", i % n, b, cust) for i, (b, cust) in enumerate(plan)]
    return api, floor


def openers(
    c: Cluster, subs: Sequence[Sub], extra: Sequence[str] = ()
) -> list[Callable[[], Awaitable[bool]]]:
    gid = {t.business: t.business_gid for t in c.targets}
    token = {t.business: t.token for t in c.targets}
    customer_gid = {t.customer: t.customer_gid for t in c.targets}
    jobs: list[Callable[[], Awaitable[bool]]] = []
    for sub in subs:
        if sub.side == "api":
            base = c.api[sub.proc][0]
            cgid = customer_gid.get(sub.customer) if sub.customer is not None else None
            opener = partial(
                open_api, base, token[sub.business], gid[sub.business], c.kind, sub, cgid
            )
            opener = partial(opener, extra=extra) if extra else opener
        else:
            opener = partial(open_floor, c.floor[sub.proc][0], sub)
        jobs.append(partial(guarded, sub, opener))
    return jobs


async def warm(c: Cluster, subs: Sequence[Sub], targets: Sequence[Target]) -> int:
    """Commits one event per target (at the scenario's rate) until every subscriber has
    received one: then every subscription is live. The subscribers that never did."""
    for _ in range(3):
        await write(c, targets, list(range(len(targets))), c.args.rate)
        await settle(subs, 0, quiet=1.0, limit=5.0)
        cold = [s for s in subs if s.client is not None and len(s.client.messages) <= s.first]
        if not cold:
            return 0
        await asyncio.sleep(1.0)
    return len(cold)


def reset(subs: Sequence[Sub]) -> None:
    """Forget what arrived so far (the warm-up)."""
    for s in subs:
        if s.client is not None:
            s.first = len(s.client.messages)


def profile(c: Cluster, sig: signal.Signals) -> None:
    """With BENCH_API_PROFILE set, starts (SIGUSR1) or stops (SIGUSR2) the API processes'
    profilers (bench/realtime.py serve_api): the measured phase only."""
    if os.environ.get("BENCH_API_PROFILE"):
        for pid in c.pids("api"):
            os.kill(pid, sig)


# ---- scenarios ------------------------------------------------------------------------------
async def tenants(c: Cluster) -> dict[str, Any]:
    args = c.args
    per = c.by_business()
    businesses = sorted(per)
    plan: list[tuple[int, int | None]] = []
    for i in range(args.subscriptions):
        b = businesses[i % len(businesses)]
        slot = i // len(businesses)
        filtered = c.kind.filters_customer and slot % 5 >= 3
        plan.append((b, per[b][slot % len(per[b])].customer if filtered else None))
    api, floor = twins(c, plan)
    # `--per-socket`: each API socket also carries the business's other staff streams
    extra = [k.document for k in KINDS.values() if k is not c.kind][: args.per_socket - 1]
    first = max(1, min(len(plan) // 2, max(20, len(plan) // 50)))
    t0 = time.perf_counter()
    await in_waves(openers(c, api[:first], extra) + openers(c, floor[:first]))
    first_businesses = {b for b, _ in plan[:first]}
    await warm(
        c, api[:first] + floor[:first], [t for t in c.targets if t.business in first_businesses]
    )
    rss0 = {"api": c.rss("api"), "floor": c.rss("floor")}
    await in_waves(openers(c, api[first:], extra) + openers(c, floor[first:]))
    opened_s = time.perf_counter() - t0
    await asyncio.sleep(args.settle)  # the last subscribe messages are being handled
    rss_open = {"api": c.rss("api"), "floor": c.rss("floor")}
    reset(api + floor)
    rng = random.Random(18)
    count = int(args.rate * args.seconds)
    order = [rng.randrange(len(c.targets)) for _ in range(count)]
    stalls0 = await realtime_stalls.read([base for base, _ in c.api])
    profile(c, signal.SIGUSR1)
    cpu0 = {"api": c.cpu("api"), "floor": c.cpu("floor")}
    stamps, wall = await write(c, c.targets, order, args.rate)
    api_side = tally(api, stamps)
    await settle(api + floor, 2 * api_side.expected, quiet=2.0, limit=120)
    cpu1 = {"api": c.cpu("api"), "floor": c.cpu("floor")}
    profile(c, signal.SIGUSR2)
    rss1 = {"api": c.rss("api"), "floor": c.rss("floor")}
    stalls = realtime_stalls.delta(stalls0, await realtime_stalls.read([b for b, _ in c.api]))
    api_side, floor_side = tally(api, stamps), tally(floor, stamps)
    result = {
        "subscriptions": len(plan),
        "filtered": sum(1 for _, cust in plan if cust is not None),
        "businesses": len(businesses),
        "processes": len(c.api),
        "opened_s": opened_s,
        "events": len(stamps),
        "rate": len(stamps) / wall if wall else 0.0,
        "api": api_side,
        "floor": floor_side,
        "cpu_s": {k: cpu1[k] - cpu0[k] for k in cpu0},
        "rss_kib": {k: rss1[k] - rss0[k] for k in rss0},
        "rss_open_kib": {k: rss_open[k] - rss0[k] for k in rss0},
        "measured_subs": len(plan) - first,
        "per_socket": 1 + len(extra),
        "other_frames": sum(getattr(s.client, "others", 0) for s in api),
        "stalls": stalls,
    }
    close_all(api + floor)
    return result


async def fanout(c: Cluster) -> dict[str, Any]:
    args = c.args
    target = c.targets[0]
    plan: list[tuple[int, int | None]] = [(target.business, None)] * args.fanout_subscribers
    api, floor = twins(c, plan)
    await in_waves(openers(c, api + floor))
    cold = await warm(c, api + floor, [target])
    reset(api + floor)
    stamps: Stamps = {}
    for _ in range(args.fanout_events):
        got, _wall = await write(c, [target], [0], 0)
        stamps |= got
        await settle(api + floor, 0, quiet=0.5, limit=2.0)
        await asyncio.sleep(1.0)
    await settle(api + floor, 2 * len(stamps) * len(plan), quiet=2.0, limit=60)
    result = {
        "subscribers": len(plan),
        "processes": len(c.api),
        "cold": cold,
        "events": len(stamps),
        "api": tally(api, stamps),
        "floor": tally(floor, stamps),
    }
    close_all(api + floor)
    return result


async def resume(c: Cluster) -> dict[str, Any]:
    args = c.args
    per = c.by_business()
    chosen = sorted(per)[: args.resume_businesses]
    plan: list[tuple[int, int | None]] = [
        (chosen[i % len(chosen)], None) for i in range(args.resume_clients)
    ]
    api, _ = twins(c, plan)
    firsts = [per[b][0] for b in chosen]
    await in_waves(openers(c, api))
    cold = await warm(c, api, firsts)
    cursors = {id(s): s.last_cursor() for s in api}
    last_seen = {id(s): max((p for _, p, _ in s.received()), default=0) for s in api}
    c.redis.kill()  # the benchmark's own redis-server, by its pid
    told = await told_to_resubscribe(api)
    close_all(api)
    await asyncio.to_thread(c.redis.start)
    await asyncio.sleep(1.0)  # the API processes' pub/sub links come back (backoff ≤ 0.4 s)
    order = [i for _ in range(args.resume_behind) for i in range(len(firsts))]
    stamps, _ = await write(c, firsts, order, 0)  # while the clients are away
    opened = [s for s in api if s.failed is None]  # the ones that never opened stay out
    again = [Sub("api", s.proc, s.business, None) for s in opened]
    gid = {t.business: t.business_gid for t in c.targets}
    token = {t.business: t.token for t in c.targets}
    t0 = time.perf_counter()

    retries = 0

    async def back(old: Sub, new: Sub) -> None:
        """Reconnects like a client would: a refused or dropped attempt is retried after
        a second (the retries are counted); after 5 the client is counted lost."""
        nonlocal retries
        for attempt in range(5):
            try:
                await open_api(
                    c.api[new.proc][0],
                    token[new.business],
                    gid[new.business],
                    c.kind,
                    new,
                    None,
                    after=cursors[id(old)],
                )
                return
            except (OSError, TimeoutError, NotAcknowledged):
                if new.client is not None:
                    new.client.close()
                new.client = None
                retries += 1
                await asyncio.sleep(1.0 + attempt)
        new.failed = "no reconnect in 5 attempts"

    await asyncio.gather(*(back(o, n) for o, n in zip(opened, again, strict=True)))
    reconnected = time.perf_counter() - t0
    back_again = [(o, n) for o, n in zip(opened, again, strict=True) if n.failed is None]
    want = args.resume_behind * len(back_again)
    caught_up = None
    deadline = t0 + args.resume_limit
    while time.perf_counter() < deadline:
        if sum(len(s.client.messages) - s.first for s in again if s.client) >= want:
            caught_up = time.perf_counter() - t0
            break
        await asyncio.sleep(0.01)
    arrived = sum(len(s.client.messages) - s.first for s in again if s.client)
    await asyncio.sleep(1.0)  # anything extra (a duplicate) would arrive now
    lost = duplicated = wrong = 0
    for old, new in back_again:
        positions = [p for b, p, _ in new.received() if b == new.business]
        mine = sorted(p for (b, p) in stamps if b == new.business)
        expected = [p for p in mine if p > last_seen[id(old)]]
        counts = Counter(positions)
        lost += sum(1 for p in expected if not counts[p])
        duplicated += sum(n - 1 for n in counts.values() if n > 1)
        wrong += positions != expected
    result = {
        "clients": len(again),
        "businesses": len(chosen),
        "behind": args.resume_behind,
        "cold": cold,
        "told": told,
        "caught_up_s": caught_up,
        "reconnected_s": reconnected,
        "retries": retries,
        "arrived": arrived,
        "want": want,
        "limit_s": args.resume_limit,
        "lost": lost,
        "duplicated": duplicated,
        "out_of_order": wrong,
        "errors": sum(len(s.errors) for s in again),
        "error_codes": dict(error_codes(again)),
        "failed": failed(api),  # never opened before the restart
        "not_back": len(again) - len(back_again),  # counted lost, not in `want`
    }
    close_all(again)
    return result


ERROR_CODE = re.compile(rb'"code":\s*"([A-Z_]+)"')


def error_codes(subs: Sequence[Sub]) -> Counter[str]:
    """The error frames the subscribers received, by their `extensions.code`."""
    codes: Counter[str] = Counter()
    for sub in subs:
        for payload in sub.errors:
            found = ERROR_CODE.search(payload)
            codes[found.group(1).decode() if found else "other"] += 1
    return codes


async def told_to_resubscribe(subs: Sequence[Sub], limit: float = 15.0) -> int:
    """Waits until every subscriber got the RESUBSCRIBE error (or `limit`); how many did."""
    deadline = time.perf_counter() + limit

    def told(s: Sub) -> bool:
        if s.client is None:
            return True  # never opened: nothing to tell
        return any(b"RESUBSCRIBE" in m for _, m in s.client.messages[s.first :]) or s.client.closed

    while time.perf_counter() < deadline:
        if all(told(s) for s in subs):
            break
        await asyncio.sleep(0.05)
    return sum(1 for s in subs if told(s))


@dataclass
class HttpWriter:
    base: str
    headers: dict[str, str]
    make: Callable[[int], bytes]

    def body(self, n: int) -> bytes:
        return self.make(n)


async def http(c: Cluster) -> dict[str, Any]:
    args = c.args
    per = c.by_business()
    chosen = [per[b][0] for b in sorted(per)[: args.http_clients]]
    pools: dict[int, list[str]] = {}
    if c.kind.name == "order":  # one fresh PENDING order per request, made before anyone listens
        pools = await order_pools(c.database_url, chosen, args.http_orders)
    api, _ = twins(c, [(t.business, None) for t in chosen])
    await in_waves(openers(c, api))
    payload_type = f'"{c.kind.payload_type}"'.encode()

    def check(status: int, answer: bytes) -> None:
        if status != 200 or payload_type not in answer:
            raise SystemExit(f"{c.kind.name} mutation failed: {status} {answer[:300]!r}")

    def writer(i: int, target: Target) -> HttpWriter:
        def make(n: int) -> bytes:
            if pools:
                if not pools[target.business]:
                    raise SystemExit("the order pool ran out: raise --http-orders")
                target_now = replace(target, obj_gid=pools[target.business].pop())
            variables = c.kind.variables(n, target_now if pools else target)
            return orjson.dumps({"query": c.kind.mutation, "variables": variables})

        headers = {
            "authorization": f"Bearer {target.token}",
            "x-khata-business": target.business_gid,
            "content-type": "application/json",
        }
        return HttpWriter(c.api[i % len(c.api)][0], headers, make)

    clients = [writer(i, t) for i, t in enumerate(chosen)]
    await closed_loop(clients, check, total=3 * len(clients))  # warm-up
    cpu0 = c.cpu("api")
    capacity = await closed_loop(clients, check, seconds=args.http_seconds)
    cpu1 = c.cpu("api")
    rate = 0.7 * len(capacity.latencies_ms) / capacity.wall_s
    paced = await open_loop(clients, check, rate, args.http_seconds)
    cpu2 = c.cpu("api")
    await settle(api, 0, quiet=1.0, limit=10)
    result = {
        "clients": len(clients),
        "processes": len(c.api),
        "capacity": capacity,
        "capacity_cpu_ms": (cpu1 - cpu0) * 1000 / max(1, len(capacity.latencies_ms)),
        "rate": rate,
        "paced": paced,
        "paced_cpu_ms": (cpu2 - cpu1) * 1000 / max(1, len(paced.latencies_ms)),
        "subscriber_events": sum(len(s.client.messages) - 1 for s in api if s.client),
    }
    close_all(api)
    return result


SCENARIOS: dict[str, Callable[[Cluster], Coroutine[Any, Any, dict[str, Any]]]] = {
    "tenants": tenants,
    "fanout": fanout,
    "resume": resume,
    "http": http,
}
