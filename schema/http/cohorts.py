"""Subscription groups ("cohorts"): work once per event, not once per subscriber.

Subscribers whose document, operation name, variables and audience
(`Viewer.audience_key`) are equal form a group with ONE `schema.subscribe()` stream. Each
result is encoded once (the view's `encode_json`) and the same payload text goes to every
member, framed with the member's own operation id (a prefix and suffix each member
computes once, with the same `encode_json`, so the frame is byte for byte what the stock
handler would send). A member joins a running group and gets only later events.

Who the stream runs as: the group executes with `Context.for_audience(...)`, built from
its first member's viewer reduced to its audience. Nothing per connection is in it (no
request, address, token, expiry or revocation handle), so no result can carry one member's
connection state to another, and no member's revocation or expiry ends the others' stream:
each member is authorised at subscribe time on its own connection (`context.viewer()`,
which refuses a revoked or expired one), and its own connection is closed by its own
revocation. A resolver reachable from a subscription may read from the viewer only what
`audience_key` holds; reading more means adding it to the key.

Each member has a bounded buffer of frames: a member that cannot keep up (a slow socket)
is dropped from its group with a FELL_BEHIND `error` and resumes with `after`; the group
and its other members never wait for it.

Memory: graphql-core keeps a few memo entries per delivered event for the life of one
`subscribe()` (README, Performance). A group renews its stream after
`subscription_renew_events` events, resuming after the cursor the event stream put in
`context.stream_cursor`, so nothing is missed or repeated. A stream that sets no cursor
(it cannot resume) is never renewed.

Resuming subscribers (`after: <cursor>`) share too: after a drop every client of a
business holds the same last cursor, and a thousand of them reconnecting at once would
otherwise replay the same backlog a thousand times. A group whose key resumes keeps the
payload texts it has published (up to the member buffer), and a resumer joining it gets
those first: everything after its cursor, in order, as if it had started the group. Once
the group has published more than that, a new resumer starts a group of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from graphql import (
    ArgumentNode,
    FieldNode,
    GraphQLError,
    GraphQLFormattedError,
    NameNode,
    StringValueNode,
    VariableNode,
    Visitor,
    get_operation_ast,
    parse,
    print_ast,
    visit,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError

from domain.core.codes import CoreCode

if TYPE_CHECKING:
    from strawberry.schema import BaseSchema

log = logging.getLogger("khata.cohorts")

FELL_BEHIND_MESSAGE = "fell behind the live events; resubscribe with your last cursor"


class StreamContext(Protocol):
    """What a group needs of its context (schema.context.Context in the app): the cursor
    the event stream sets before each event it yields."""

    stream_cursor: str | None


@dataclass(frozen=True)
class GroupKey:
    query: str
    operation_name: str | None
    # canonical JSON (sorted keys), as text: orjson's bytes keep a 4 KiB buffer each
    variables: str
    audience: tuple[object, ...]


@dataclass(frozen=True)
class Ending:
    """How a member's operation ends: `complete`, or an `error` frame with these errors."""

    errors: tuple[GraphQLFormattedError, ...] | None = None


COMPLETE = Ending()
BEHIND = Ending(
    (GraphQLError(FELL_BEHIND_MESSAGE, extensions={"code": CoreCode.FELL_BEHIND.value}).formatted,)
)


class Member:
    """One subscriber's place in a group: its bounded buffer of payload texts, ended by
    an `Ending`. A deque only while it holds something (an empty deque keeps a 64-slot
    block), and a future only while the member waits: an asyncio.Queue is four deques
    and an Event per subscriber (bench/subscription_memory.py)."""

    __slots__ = ("_waiter", "ended", "frames", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.frames: deque[str | Ending] | None = None  # bounded by `offer`
        self.ended = False
        self._waiter: asyncio.Future[None] | None = None

    async def next(self) -> str | Ending:
        """The next payload text, or how the member ends; waits for one."""
        while not self.frames:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self.take()

    def take(self) -> str | Ending:
        """The next item it holds (there must be one)."""
        assert self.frames
        item = self.frames.popleft()
        if not self.frames:
            self.frames = None
        return item

    def offer(self, payload: str) -> bool:
        """False when the member is full: it is told it fell behind and leaves."""
        if self.frames is not None and len(self.frames) >= self.limit:
            self.frames = None
            self.end(BEHIND)
            return False
        self._push(payload)
        return True

    def end(self, ending: Ending) -> None:
        if not self.ended:
            self.ended = True
            self._push(ending)

    def _push(self, item: str | Ending) -> None:
        if self.frames is None:
            self.frames = deque()
        self.frames.append(item)
        self.wake()

    def wake(self) -> None:
        """It holds something now: a waiting `next()` returns it. A subclass that writes
        its frames itself (schema/http/ws_handler.py) starts writing here instead."""
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


class Group:
    def __init__(
        self, cohorts: Cohorts, key: GroupKey, context: StreamContext, *, replays: bool = False
    ) -> None:
        self.cohorts = cohorts
        self.key = key
        self.context = context
        self.members: set[Member] = set()
        self.task: asyncio.Task[None] | None = None
        self.delivered = 0  # results published to the members (tests, benches)
        self.renewals = 0
        # a resuming group's published payloads, for resumers joining later (module doc)
        self.history: list[str] | None = [] if replays else None

    async def run(self) -> None:
        query = self.key.query
        variables = orjson.loads(self.key.variables)
        ending = COMPLETE
        try:
            while True:
                renew = await self._stream(query, variables)
                if renew is None:
                    break
                query, variables = renew
                self.renewals += 1
        except asyncio.CancelledError:
            raise
        except _Ended as stop:
            ending = stop.ending
        except Exception:
            log.exception("subscription group failed")
        self.cohorts.dissolve(self)
        for member in list(self.members):
            member.end(ending)

    async def _stream(
        self, query: str, variables: dict[str, Any] | None
    ) -> tuple[str, dict[str, Any] | None] | None:
        """Publishes one `schema.subscribe()` stream; returns the renewed operation once it
        has delivered enough events, None when it ended."""
        renew_after = self.cohorts.renew_after
        source = await self.cohorts.schema.subscribe(
            query,
            variable_values=variables,
            context_value=self.context,
            operation_name=self.key.operation_name,
        )
        count = 0
        async with contextlib.aclosing(source):
            async for result in source:
                if count == 0 and isinstance(result, PreExecutionError):
                    raise _Ended(Ending(tuple(e.formatted for e in result.errors or ())))
                self.publish(result)
                await asyncio.sleep(0)  # the members send before the next event is executed
                count += 1
                cursor = self.context.stream_cursor
                if renew_after and count >= renew_after and cursor is not None:
                    renewed = resumed(query, variables, self.key.operation_name, cursor)
                    if renewed is not None:
                        return renewed
        return None

    def publish(self, result: ExecutionResult) -> None:
        payload: dict[str, Any] = {"data": result.data}  # as Operation.send_next builds it
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        if result.extensions:
            payload["extensions"] = result.extensions
        text = self.cohorts.encode(payload)
        self.delivered += 1
        if self.history is not None:
            self.history.append(text)
            if len(self.history) > self.cohorts.member_buffer:
                self.history = None  # too long to replay: later resumers start their own
        for member in list(self.members):
            if not member.offer(text):
                self.members.discard(member)


class _Ended(Exception):
    def __init__(self, ending: Ending) -> None:
        self.ending = ending


def resumed(
    query: str, variables: dict[str, Any] | None, operation_name: str | None, cursor: str
) -> tuple[str, dict[str, Any] | None] | None:
    """The same operation resuming after `cursor`: its root field's `after` set to it (the
    variable it names, or a literal). None when the document has no single root field."""
    document = parse(query)
    operation = get_operation_ast(document, operation_name)
    fields = operation.selection_set.selections if operation else ()
    if len(fields) != 1 or not isinstance(fields[0], FieldNode):
        return None
    field = fields[0]
    arguments = field.arguments or ()
    current = next((a for a in arguments if a.name.value == "after"), None)
    if current is not None and isinstance(current.value, VariableNode):
        return query, {**(variables or {}), current.value.name.value: cursor}
    others = tuple(a for a in arguments if a.name.value != "after")
    after = ArgumentNode(name=NameNode(value="after"), value=StringValueNode(value=cursor))

    class SetAfter(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> FieldNode | None:
            if node is not field:
                return None
            return FieldNode(
                alias=node.alias,
                name=node.name,
                arguments=(*others, after),
                directives=node.directives,
                selection_set=node.selection_set,
            )

    return print_ast(visit(document, SetAfter())), variables


class Cohorts:
    """The groups of one view (one process serves one): joined by the WebSocket handler
    (schema/http/ws_handler.py)."""

    def __init__(
        self,
        schema: BaseSchema,
        encode: Callable[[object], str],
        *,
        member_buffer: int,
        renew_after: int,
    ) -> None:
        self.schema = schema
        self.encode = encode
        self.member_buffer = member_buffer
        self.renew_after = renew_after
        self.groups: dict[GroupKey, Group] = {}
        self._changed = asyncio.Event()

    def join(
        self,
        key: GroupKey,
        context: Callable[[], StreamContext],
        member: Member | None = None,
        *,
        resumes: bool = False,
    ) -> tuple[Group, Member]:
        """The member (by default a new one) joins the key's running group (only later
        events reach it; a resumer first gets what the group published), or starts one
        executing with `context()`."""
        member = Member(self.member_buffer) if member is None else member
        group = self.groups.get(key)
        if group is not None and resumes and group.history is None:
            group = None  # replayed too much already: this resumer's own group
        if group is None:
            group = Group(self, key, context(), replays=resumes)
            self.groups[key] = group
            group.task = asyncio.create_task(group.run())
        for text in group.history or ():
            member.offer(text)
        group.members.add(member)
        self._notify()
        return group, member

    def leave(self, group: Group, member: Member) -> None:
        group.members.discard(member)
        if not group.members and self.groups.get(group.key) is group:
            self.dissolve(group)
            if group.task is not None and group.task is not asyncio.current_task():
                group.task.cancel()
        self._notify()

    def dissolve(self, group: Group) -> None:
        """No one joins this group any more (its stream ended or it is empty)."""
        if self.groups.get(group.key) is group:
            del self.groups[group.key]

    def members(self) -> int:
        return sum(len(group.members) for group in self.groups.values())

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Readiness (tests, benchmarks): returns once `condition()` holds, checked each
        time a member joins or leaves."""
        while not condition():
            await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()


def group_key(
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    audience: tuple[object, ...],
) -> GroupKey:
    return GroupKey(
        query,
        operation_name,
        orjson.dumps(variables, option=orjson.OPT_SORT_KEYS).decode(),
        audience,
    )


def new_group_id() -> str:
    return f"cohort:{uuid.uuid4().hex}"
