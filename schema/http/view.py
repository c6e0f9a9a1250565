"""The GraphQL view: HTTP, graphql-transport-ws and GraphiQL on /graphql, one Context per
request or connection."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from domain.core.errors import DomainError
from schema.build import build_schema
from schema.context import Context
from schema.graphiql import render_page

if TYPE_CHECKING:
    from khata.runtime import Runtime

WS_REJECTION = "khata.ws_rejection"  # scope key: why on_ws_connect refused the connection


def client_ip(scope: Scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


def _bearer(headers: Any) -> str | None:
    auth = headers.get("authorization") or ""
    return auth[7:].strip() if auth[:7].lower() == "bearer " else None


def request_context(rt: Runtime, request: Request | WebSocket, response: Any = None) -> Context:
    """Who asks comes from the Authorization and X-Khata-Business headers (a WebSocket's
    connection_init params override them)."""
    return Context(
        rt=rt,
        request=request,
        response=response,
        request_id=request.scope.get("request_id") or uuid.uuid4().hex,
        ip=client_ip(request.scope),
        bearer=_bearer(request.headers),
        business_header=request.headers.get("x-khata-business"),
    )


class KhataGraphQL(GraphQL):
    def __init__(self, rt: Runtime, **kwargs: Any) -> None:
        super().__init__(build_schema(rt.settings), **kwargs)
        self.rt = rt

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:  # type: ignore[override]
        return request_context(self.rt, request, response)

    async def on_ws_connect(self, context: Context) -> None:  # type: ignore[override]
        """A WebSocket's `connection_init` carries its token: a bad one is refused there
        (close 4403 with the reason, no `connection_ack`) instead of failing every
        subscription later. No token at all is an anonymous connection."""
        try:
            await context.viewer()
        except DomainError as exc:
            context.request.scope[WS_REJECTION] = exc.message
            raise ConnectionRejectionError({"code": exc.code, "message": exc.message}) from exc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        await super().__call__(scope, receive, _with_close_reason(scope, send))

    def encode_json(self, data: object) -> str:
        # Text, as the hook is documented: Strawberry sends str as WebSocket text frames
        # (bytes would go out as binary frames, which browser GraphQL clients reject).
        return orjson.dumps(data).decode()

    async def render_graphql_ide(self, request: Request) -> Response:
        return render_page(request)

    def decode_json(self, data: str | bytes) -> object:
        # orjson's JSONDecodeError is json's: a malformed body is still a 400
        return orjson.loads(data)


def _with_close_reason(scope: Scope, send: Send) -> Send:
    """Strawberry closes a rejected connection with 4403 "Forbidden"; the close frame says
    why instead (a reason is at most 123 bytes)."""

    async def send_with_reason(message: Message) -> None:
        reason = scope.get(WS_REJECTION)
        if message["type"] == "websocket.close" and message.get("code") == 4403 and reason:
            message = {**message, "reason": reason.encode()[:123].decode(errors="ignore")}
        await send(message)

    return send_with_reason
