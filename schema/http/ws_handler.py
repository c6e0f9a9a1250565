"""graphql-transport-ws with subscription groups (schema/http/cohorts.py).

A subclass of Strawberry's `BaseGraphQLTransportWSHandler` (exported, undocumented; the
version is pinned and tests/schema/test_ws_contract.py checks our frames byte for byte
against the stock handler). It overrides one seam, `run_operation` (the per-operation
task): a subscription whose viewer resolves joins its group and relays the group's frames;
anything else (queries and mutations over the socket, documents that do not parse, an
unknown operation name, a connection whose credentials ended) runs the stock way.
"""

from __future__ import annotations

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
from resolvers.stream import can_open, holding, stream_owner
from schema.context import Context
from schema.http.cohorts import Ending, GroupKey, Member, group_key, new_group_id

if TYPE_CHECKING:
    from schema.http.view import KhataGraphQL

log = logging.getLogger("khata.cohorts")


class CohortTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
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
        with holding(context, owner):  # the member's own limits, as the resolver holds them
            group, member = view.cohorts.join(
                key, lambda: Context.for_audience(rt, viewer, new_group_id()), resumes=resuming
            )
            try:
                await self._relay(operation, member, head, tail)
            finally:
                view.cohorts.leave(group, member)

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

    async def _relay(
        self, operation: Operation[Any, Any], member: Member, head: str, tail: str
    ) -> None:
        websocket = self.context.request
        live = self.context.live
        while True:
            item = await member.next()
            if isinstance(item, Ending):
                await self._end(operation, item)
                return
            if operation.completed or (live is not None and live.ended is not None):
                return  # revoked: its socket is closing; nothing more goes out
            try:
                await websocket.send_text(head + item + tail)
            except (WebSocketDisconnect, WebSocketDisconnected, RuntimeError, OSError):
                return  # the peer is gone; the handler's shutdown cleans up

    @staticmethod
    async def _end(operation: Operation[Any, Any], ending: Ending) -> None:
        try:
            if ending.errors is None:
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            else:
                await operation.send_operation_message(
                    ErrorMessage(id=operation.id, type="error", payload=list(ending.errors))
                )
        except (WebSocketDisconnect, WebSocketDisconnected, RuntimeError, OSError) as exc:
            log.debug("could not end a subscription: %s", exc)


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
