"""Minimal reproduction: graphql-core keeps memory per delivered event for the life of a
subscription, and how renewing the subscription bounds it.

    .venv/bin/python -m bench.graphql_core_memo --events 100000 --renew 1000

Part 1 uses graphql-core alone (no Strawberry, no Khata): one `subscribe()` whose source
yields `--events` events; tracemalloc is read before and after. In graphql-core 3.3.2 each
event is executed by a new execution context that shares the subscription's memo of
collected sub-fields (keyed by the per-event result objects), so the memo, and the heap,
grow with every event until the subscription ends.

Part 2 runs Khata's subscription group (schema/http/cohorts.py) over a Strawberry stream
that follows the INTERFACES §1 contract (it sets `context.stream_cursor` before each
event and resumes after `after`), once never renewed and once renewed every `--renew`
events, and once on the schema's executor (schema/executor.py: each event on an executor
of its own), never renewed: tracemalloc and RSS after the same number of events. Results:
bench/results/graphql_core_memo.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import tracemalloc
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import strawberry
from graphql import (
    GraphQLField,
    GraphQLInt,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    __version__,
    parse,
    subscribe,
)

from schema.executor import PerEventExecutor
from schema.http.cohorts import Cohorts, group_key

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "graphql_core_memo.md"


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- part 1: graphql-core alone ------------------------------------------------------------
EVENT = GraphQLObjectType(
    "Event", {"n": GraphQLField(GraphQLInt), "name": GraphQLField(GraphQLString)}
)


async def ticks(_: Any, __: Any) -> AsyncIterator[dict[str, Any]]:
    for n in range(ticks.count):  # type: ignore[attr-defined]
        yield {"n": n, "name": f"event {n}"}


SCHEMA = GraphQLSchema(
    query=GraphQLObjectType("Query", {"ok": GraphQLField(GraphQLInt)}),
    subscription=GraphQLObjectType(
        "Subscription",
        {"ticks": GraphQLField(EVENT, subscribe=ticks, resolve=lambda event, _: event)},
    ),
)


async def plain_graphql_core(events: int) -> dict[str, float]:
    ticks.count = events  # type: ignore[attr-defined]
    stream = subscribe(SCHEMA, parse("subscription { ticks { n name } }"))
    if hasattr(stream, "__await__"):
        stream = await stream  # type: ignore[misc]
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    rss0 = rss_kib()
    marks: list[float] = []
    async for n, result in _enumerate(stream):  # type: ignore[arg-type]
        assert result.data["ticks"]["n"] == n
        if n in (events // 10, events - 1):  # still subscribed at both
            gc.collect()
            marks.append((tracemalloc.get_traced_memory()[0] - start) / 1024)
    tracemalloc.stop()
    return {"first_kib": marks[0], "end_kib": marks[1], "rss_kib": rss_kib() - rss0}


async def _enumerate(stream: AsyncIterator[Any]) -> AsyncIterator[tuple[int, Any]]:
    n = 0
    async for item in stream:
        yield n, item
        n += 1


# -- part 2: a Khata group, renewed or not -------------------------------------------------
class Ctx:
    def __init__(self, events: int) -> None:
        self.events = events
        self.stream_cursor: str | None = None


@strawberry.type
class Tick:
    n: int
    name: str


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(
        self, info: strawberry.Info[Ctx, None], after: str | None = None
    ) -> AsyncGenerator[Tick, None]:
        start = 0 if after is None else int(after) + 1
        for n in range(start, info.context.events):
            info.context.stream_cursor = str(n)  # INTERFACES §1: before yielding
            yield Tick(n=n, name=f"event {n}")


async def group_run(events: int, renew: int, executor: type | None = None) -> dict[str, float]:
    schema = strawberry.Schema(
        query=Query, subscription=Subscription, execution_context_class=executor
    )
    cohorts = Cohorts(
        schema, lambda d: orjson.dumps(d).decode(), member_buffer=events + 1, renew_after=renew
    )
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    rss0 = rss_kib()
    key = group_key("subscription { ticks { n name } }", None, None, ())
    group, member = cohorts.join(key, lambda: Ctx(events))
    marks: list[float] = []
    for n in range(events):
        text = await member.next()
        assert isinstance(text, str) and f'"n":{n},' in text, (n, text)
        if n in (events // 10, events - 1):  # the member has taken every frame so far
            gc.collect()
            marks.append((tracemalloc.get_traced_memory()[0] - start) / 1024)
    tracemalloc.stop()
    rss = rss_kib() - rss0
    cohorts.leave(group, member)
    return {"first_kib": marks[0], "end_kib": marks[1], "rss_kib": rss, "renewals": group.renewals}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--renew", type=int, default=1000)
    args = parser.parse_args(argv)
    plain = asyncio.run(plain_graphql_core(args.events))
    never = asyncio.run(group_run(args.events, 0))
    renewed = asyncio.run(group_run(args.events, args.renew))
    ours = asyncio.run(group_run(args.events, 0, PerEventExecutor))
    lines = [
        "# graphql-core memo growth (`python -m bench.graphql_core_memo`)",
        "",
        f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; graphql-core {__version__}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPU cores (shared)",
        f"- one subscription receiving {args.events:,} events; heap growth by tracemalloc "
        "(after a collection) at 10 % of the events and at the last one, while subscribed; "
        "RSS growth of the process",
        "",
        "| run | heap at 10 % KiB | heap at last event KiB | bytes per event after 10 % "
        "| RSS growth KiB |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, r in (
        ("graphql-core `subscribe()` alone", plain),
        ("Khata group, never renewed", never),
        (f"Khata group, renewed every {args.renew:,} events", renewed),
        ("Khata group on the schema's executor (schema/executor.py), never renewed", ours),
    ):
        lines.append(
            f"| {label} | {r['first_kib']:,.0f} | {r['end_kib']:,.0f} | "
            f"{(r['end_kib'] - r['first_kib']) * 1024 / (args.events * 0.9):,.0f} "
            f"| {r['rss_kib']:,.0f} |"
        )
    text = "\n".join(lines) + "\n"
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
