"""A group renews its `schema.subscribe()` after N events, resuming after the cursor the
stream left in `context.stream_cursor`: nothing missed, nothing repeated. Here against a
small schema whose stream follows the INTERFACES §1 contract over an in-memory log (the
real event stream's end-to-end test is in tests/schema/test_cohorts.py once it exists)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

import orjson
import strawberry
from strawberry.types import Info

from schema.http.cohorts import Cohorts, group_key, resumed


@dataclass
class Log:
    events: list[str] = field(default_factory=list)
    grew: asyncio.Condition = field(default_factory=asyncio.Condition)
    opened_after: list[str | None] = field(default_factory=list)

    async def wait_beyond(self, position: int) -> None:
        async with self.grew:
            await self.grew.wait_for(lambda: len(self.events) > position)

    async def append(self, n: int) -> None:
        async with self.grew:
            start = len(self.events)
            self.events.extend(f"e{start + i}" for i in range(n))
            self.grew.notify_all()


@dataclass
class StreamContext:
    log: Log
    stream_cursor: str | None = None


@strawberry.type
class Tick:
    cursor: str
    name: str


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(
        self, info: Info[StreamContext, None], after: str | None = None
    ) -> AsyncGenerator[Tick, None]:
        log = info.context.log
        log.opened_after.append(after)
        position = 0 if after is None else int(after) + 1
        while True:
            await log.wait_beyond(position)
            info.context.stream_cursor = str(position)
            yield Tick(cursor=str(position), name=log.events[position])
            position += 1


SCHEMA = strawberry.Schema(query=Query, subscription=Subscription)


async def test_renewal_resumes_after_the_last_cursor_without_gap_or_duplicate() -> None:
    log = Log()
    cohorts = Cohorts(
        SCHEMA, lambda data: orjson.dumps(data).decode(), member_buffer=1000, renew_after=10
    )
    key = group_key("subscription { ticks { cursor name } }", None, None, ("test",))
    group, member = cohorts.join(key, lambda: StreamContext(log))
    try:
        received: list[str] = []
        for burst in (7, 8, 1, 9):  # bursts across the renewals
            await log.append(burst)
            while len(received) < len(log.events):
                payload = orjson.loads(await asyncio.wait_for(member.next(), 10))  # type: ignore[arg-type]
                received.append(payload["data"]["ticks"]["name"])
        assert received == [f"e{i}" for i in range(25)]
        assert log.opened_after == [None, "9", "19"] and group.renewals == 2
    finally:
        cohorts.leave(group, member)
    assert not cohorts.groups


async def test_a_stream_without_cursor_is_never_renewed() -> None:
    @strawberry.type
    class Plain:
        @strawberry.subscription
        async def ticks(self) -> AsyncGenerator[int, None]:
            for n in range(30):
                yield n

    schema = strawberry.Schema(query=Query, subscription=Plain)
    cohorts = Cohorts(
        schema, lambda data: orjson.dumps(data).decode(), member_buffer=100, renew_after=10
    )
    group, member = cohorts.join(
        group_key("subscription { ticks }", None, None, ()), lambda: StreamContext(Log())
    )
    got = [await asyncio.wait_for(member.next(), 10) for _ in range(31)]
    assert got[:30] == [f'{{"data":{{"ticks":{n}}}}}' for n in range(30)]
    assert group.renewals == 0 and not isinstance(got[30], str)  # then it completes


def test_resumed_sets_the_after_argument_or_its_variable() -> None:
    query, variables = resumed("subscription { a: ticks { name } }", None, None, "41") or ("", None)
    assert (
        query == 'subscription {\n  a: ticks(after: "41") {\n    name\n  }\n}' and variables is None
    )
    query, variables = resumed(
        'subscription S { ticks(after: "3") { name } }', {"x": 1}, "S", "42"
    ) or ("", None)
    assert 'ticks(after: "42")' in query and '"3"' not in query
    by_variable = "subscription($c: String) { ticks(after: $c) { name } }"
    assert resumed(by_variable, {"c": "3"}, None, "43") == (by_variable, {"c": "43"})
    assert (
        resumed(
            "subscription { ...F } fragment F on Subscription { ticks { name } }", None, None, "1"
        )
        is None
    )
