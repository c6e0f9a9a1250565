"""graphql-transport-ws with subscription groups (schema/http/cohorts.py).

A subclass of Strawberry's `BaseGraphQLTransportWSHandler` (exported, undocumented; the
version is pinned and tests/schema/test_ws_contract.py checks our frames byte for byte
against the stock handler). It overrides two seams: `run_operation` (the per-operation
task), where a subscription whose viewer resolves joins its group, and
`cleanup_operation` (the client's `complete`, or the socket's end), where it leaves.
Anything else (queries and mutations over the socket, documents that do not parse, an
unknown operation name, a connection whose credentials ended) runs the stock way.

An idle member holds no task: its operation task ends once it has joined, and the
group's pump hands each frame to the member (`SocketMember`), which starts a sender task
only while it has frames to write (bench/subscription_memory.py: a task per open
subscription is ~2 KiB). A slow socket's frames wait in its own bounded buffer; the
group never waits for it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLError,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    get_operation_ast,
    parse,
)
from starlette.websockets import WebSocketDisconnect
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ErrorMessage

from domain.core.errors import DomainError
from domain.core.viewer import Viewer
from resolvers.stream import Holding, can_open, holding, stream_owner
from schema.context import Context
from schema.http.cohorts import Ending, Group, GroupKey, Member, group_key, new_group_id

if TYPE_CHECKING:
    from schema.http.view import KhataGraphQL

log = logging.getLogger("khata.cohorts")


SEND_ERRORS = (WebSocketDisconnect, WebSocketDisconnected, RuntimeError, OSError)


class CohortTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    members: dict[str, SocketMember] | None = None  # by operation id, made on first use

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        view: KhataGraphQL = self.view  # type: ignore[assignment]
        framing = await self._groupable(operation)
        if framing is None:
            await super().run_operation(operation)
            return
        head, tail, key, viewer, resuming = framing
        context: Context = self.context
        rt, owner = context.rt, stream_owner(viewer)
        if not can_open(context, owner):
            await super().run_operation(operation)  # its resolver answers SUBSCRIPTION_LIMIT
            return
        held = holding(context, owner)  # the member's own limits, as the resolver holds them
        held.__enter__()
        member = SocketMember(view.cohorts.member_buffer, self, operation, head, tail, held)
        if self.members is None:
            self.members = {}
        self.members[operation.id] = member
        member.group, _ = view.cohorts.join(
            key, lambda: Context.for_audience(rt, viewer, new_group_id()), member, resumes=resuming
        )
        if member.frames:  # a resumer joining a running group: what it published so far
            member.wake()
        # nothing more to do here: the group's frames reach the member through `wake`

    async def cleanup_operation(self, operation_id: str) -> None:
        member = self.members.pop(operation_id, None) if self.members else None
        if member is not None:
            member.leave()
        await super().cleanup_operation(operation_id)

    async def _groupable(
        self, operation: Operation[Any, Any]
    ) -> tuple[str, str, GroupKey, Viewer, bool] | None:
        """(frame prefix, frame suffix, group key, viewer, whether it resumes) of a
        subscription that can join a group, else None."""
        try:
            document = parse(operation.query)
        except GraphQLError:
            return None
        definition = get_operation_ast(document, operation.operation_name)
        if definition is None or definition.operation is not OperationType.SUBSCRIPTION:
            return None
        try:
            viewer = await self.context.viewer()
        except DomainError:
            return None  # the stock path answers it exactly as it always has
        marker = f"khata-cohort-{new_group_id()}"
        encode = self.view.encode_json
        frame = encode({"id": operation.id, "type": "next", "payload": marker})
        encoded_marker = encode(marker)
        if not isinstance(frame, str) or not isinstance(encoded_marker, str):
            return None
        head, found, tail = frame.partition(encoded_marker)
        if not found:
            return None
        # A resuming subscription (`after` set) is owed the backlog after its cursor: it
        # joins only a group resuming from the same cursor, which replays to it what it
        # has published so far (cohorts.py).
        try:
            key = group_key(
                operation.query, operation.operation_name, operation.variables, viewer.audience_key
            )
        except TypeError:  # variables orjson cannot encode (e.g. huge integers): alone
            return None
        return head, tail, key, viewer, resumes(definition, operation.variables)


async def send_ending(operation: Operation[Any, Any], ending: Ending) -> None:
    """The operation's last frame: `complete`, or `error` with the ending's errors."""
    try:
        if ending.errors is None:
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        else:
            await operation.send_operation_message(
                ErrorMessage(id=operation.id, type="error", payload=list(ending.errors))
            )
    except SEND_ERRORS as exc:
        log.debug("could not end a subscription: %s", exc)


class SocketMember(Member):
    """A group member that writes its frames to its own socket, framed with its
    operation id: a sender task only while it has frames to write."""

    __slots__ = ("group", "handler", "head", "held", "operation", "sender", "tail")

    def __init__(
        self,
        limit: int,
        handler: CohortTransportWSHandler,
        operation: Operation[Any, Any],
        head: str,
        tail: str,
        held: Holding,
    ) -> None:
        super().__init__(limit)
        self.handler = handler
        self.operation = operation
        self.head = head
        self.tail = tail
        self.held = held
        self.group: Group | None = None
        self.sender: asyncio.Task[None] | None = None

    def wake(self) -> None:
        if self.sender is None and self.group is not None:
            self.sender = asyncio.create_task(self._send())

    async def _send(self) -> None:
        operation = self.operation
        websocket = self.handler.context.request
        live = self.handler.context.live
        try:
            while self.frames:
                item = self.take()
                if isinstance(item, Ending):
                    await send_ending(operation, item)
                    self.leave()
                    return
                if operation.completed or (live is not None and live.ended is not None):
                    self.leave()  # revoked: its socket is closing; nothing more goes out
                    return
                try:
                    await websocket.send_text(self.head + item + self.tail)
                except SEND_ERRORS:
                    self.leave()  # the peer is gone; the handler's shutdown cleans up
                    return
        finally:
            self.sender = None

    def leave(self) -> None:
        """Out of its group, its limits given back, its sender stopped (idempotent)."""
        group, self.group = self.group, None
        if group is None:
            return
        group.cohorts.leave(group, self)
        self.held.__exit__(None, None, None)
        members = self.handler.members
        if members is not None and members.get(self.operation.id) is self:
            del members[self.operation.id]
        if self.sender is not None and self.sender is not asyncio.current_task():
            self.sender.cancel()
            self.sender = None


def resumes(definition: OperationDefinitionNode, variables: dict[str, Any] | None) -> bool:
    """Whether a root field of the subscription passes a non-null `after` cursor."""
    for selection in definition.selection_set.selections:
        for argument in getattr(selection, "arguments", None) or ():
            if argument.name.value != "after":
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                if (variables or {}).get(value.name.value) is not None:
                    return True
            elif not isinstance(value, NullValueNode):
                return True
    return False
