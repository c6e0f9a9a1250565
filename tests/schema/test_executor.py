"""The schema's executor (schema/executor.py): each subscription event runs on an executor
built with the public constructor instead of graphql-core's copy of the subscription's
executor. Pinned (graphql-core 3.3.2, strawberry-graphql 0.341.2, requirements.lock): the
per-event executor carries everything the stock copy carries; a subscription yields the
same results as with the stock executor; and it no longer keeps memory per event."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import AsyncIterator
from importlib.metadata import version
from typing import Any

import strawberry
from graphql import build_schema as build_sdl
from graphql import parse
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.build import build_schema
from schema.executor import PerEventExecutor

# what each event has of its own (the stock copy: its errors; the incremental work lists,
# unused by subscriptions); every other public attribute must be the subscription
# executor's, as in the stock copy
PER_EXECUTION = {"collected_errors", "defer_usage_set", "groups", "tasks", "streams"}


@strawberry.type
class Line:
    sku: str
    qty: int


@strawberry.type
class Event:
    n: int
    lines: list[Line]


@strawberry.type
class Query:
    ping: str = "pong"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def events(self, count: int, prefix: str = "s") -> AsyncIterator[Event]:
        for n in range(count):
            yield Event(n=n, lines=[Line(sku=f"{prefix}{n}-{i}", qty=i) for i in range(3)])


DOCUMENT = """subscription($count: Int!, $prefix: String) {
  events(count: $count, prefix: $prefix) { n ...Lines } }
fragment Lines on Event { lines { sku qty } }"""


def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    stock = strawberry.Schema(query=Query, subscription=Subscription)
    ours = strawberry.Schema(
        query=Query, subscription=Subscription, execution_context_class=PerEventExecutor
    )
    return stock, ours


async def results(schema: strawberry.Schema, count: int) -> list[Any]:
    source = await schema.subscribe(DOCUMENT, variable_values={"count": count, "prefix": "x"})
    out = []
    async for result in source:  # type: ignore[union-attr]
        assert not result.errors
        out.append(result.data)
    return out


def test_versions_are_the_pinned_ones() -> None:
    assert version("graphql-core") == "3.3.2"
    assert version("strawberry-graphql") == "0.341.2"


def test_the_schema_uses_it() -> None:
    assert build_schema().execution_context_class is PerEventExecutor


def test_per_event_executor_carries_what_the_stock_copy_carries() -> None:
    stock_schema, _ = schemas()
    executor = PerEventExecutor.build(
        build_sdl(stock_schema.as_str()),  # resolvers do not matter here: nothing runs
        parse(DOCUMENT),
        context_value={"who": "me"},
        raw_variable_values={"count": 2, "prefix": "p"},
        operation_extensions={"x": 1},
    )
    assert isinstance(executor, PerEventExecutor)
    payload = object()
    copied = StrawberryGraphQLCoreExecutionContext.build_per_event_executor(executor, payload)
    fresh = executor.build_per_event_executor(payload)
    assert type(fresh) is PerEventExecutor
    assert set(vars(fresh)) == set(vars(copied))  # nothing the constructor leaves out
    assert fresh.root_value is payload
    for name, value in vars(copied).items():
        if name.startswith("_") or name in PER_EXECUTION:
            continue
        assert getattr(fresh, name) is value, name


async def test_subscription_results_are_the_stock_ones() -> None:
    stock, ours = schemas()
    expected = await results(stock, 5)
    assert len(expected) == 5
    assert expected[4] == {
        "events": {"n": 4, "lines": [{"sku": f"x4-{i}", "qty": i} for i in range(3)]}
    }
    assert await results(ours, 5) == expected


async def grown_while_subscribed(schema: strawberry.Schema, events: int) -> int:
    """Traced heap growth between the 50th and the last event of one subscription."""
    source = await schema.subscribe(DOCUMENT, variable_values={"count": events})
    tracemalloc.start()
    try:
        start = size = 0
        n = 0
        async for result in source:  # type: ignore[union-attr]
            assert not result.errors
            n += 1
            if n in (50, events):
                del result
                gc.collect()
                size = tracemalloc.get_traced_memory()[0]
                if n == 50:
                    start = size
        return size - start
    finally:
        tracemalloc.stop()


async def test_an_event_leaves_nothing_behind() -> None:
    stock, ours = schemas()
    events = 450
    stock_growth = await grown_while_subscribed(stock, events)
    our_growth = await grown_while_subscribed(ours, events)
    # the stock copy keeps its memo entries (about a KiB per event here) until the
    # subscription ends; the fresh executor keeps none of them
    assert stock_growth > 200 * 1024
    assert our_growth < stock_growth / 10
