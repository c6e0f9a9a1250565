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

from domain.accounts import revocation
from domain.core.errors import DomainError, PermissionDenied
from schema.build import build_schema
from schema.context import Context
from schema.graphiql import render_page
from schema.http.cohorts import Cohorts
from schema.http.ws_handler import CohortTransportWSHandler

if TYPE_CHECKING:
    from khata.runtime import Runtime

WS_REJECTION = "khata.ws_rejection"  # scope key: why on_ws_connect refused the connection
WS_LIVE = "khata.ws_live"  # scope key: the connection's entry in the runtime's live set
# Close codes of a socket whose credentials ended (README, Realtime): 4401 the session or
# API key is gone (signed out, revoked, expired), 4403 the user left the business.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_BIG = 1009  # RFC 6455: a message larger than KHATA_MAX_BODY_BYTES


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
    def __init__(self, rt: Runtime, *, cohorts: bool | None = None, **kwargs: Any) -> None:
        """`cohorts`: identical subscriptions share one execution (schema/http/cohorts.py);
        by default as the settings say."""
        super().__init__(build_schema(rt.settings), **kwargs)
        self.rt = rt
        self.cohorts = Cohorts(
            self.schema,
            self.encode_json,
            member_buffer=rt.settings.ws_member_buffer,
            renew_after=rt.settings.subscription_renew_events,
        )
        if rt.settings.ws_cohorts if cohorts is None else cohorts:
            self.graphql_transport_ws_handler_class = CohortTransportWSHandler

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:  # type: ignore[override]
        return request_context(self.rt, request, response)

    async def on_ws_connect(self, context: Context) -> None:  # type: ignore[override]
        """A WebSocket's `connection_init` carries its token: a bad one is refused there
        (close 4403 with the reason, no `connection_ack`) instead of failing every
        subscription later. No token at all is an anonymous connection."""
        try:
            viewer = await context.viewer()
        except DomainError as exc:
            context.request.scope[WS_REJECTION] = exc.message
            raise ConnectionRejectionError({"code": exc.code, "message": exc.message}) from exc
        # the rows read to authenticate served connection_init; a connection lives for
        # hours, and each later operation reads what is committed then
        context.business_cache.clear()
        keys = revocation.keys_of(viewer)
        if self.rt.live is not None and (keys or context.expires_at is not None):
            websocket = context.request

            async def close(code: str, reason: str) -> None:
                status = CLOSE_FORBIDDEN if code == PermissionDenied.code else CLOSE_UNAUTHENTICATED
                await websocket.close(
                    code=status, reason=reason.encode()[:123].decode("utf-8", "ignore")
                )

            context.live = self.rt.live.open(keys, close, expires_at=context.expires_at)
            websocket.scope[WS_LIVE] = context.live

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        send = _with_close_reason(scope, send)
        try:
            await super().__call__(
                scope, _capped(receive, send, self.rt.settings.max_body_bytes), send
            )
        finally:
            live = scope.get(WS_LIVE)
            if live is not None and self.rt.live is not None:
                self.rt.live.forget(live)

    def encode_json(self, data: object) -> str:
        # Text, as the hook is documented: Strawberry sends str as WebSocket text frames
        # (bytes would go out as binary frames, which browser GraphQL clients reject).
        return orjson.dumps(data).decode()

    async def render_graphql_ide(self, request: Request) -> Response:
        return render_page(request)

    def decode_json(self, data: str | bytes) -> object:
        # orjson's JSONDecodeError is json's: a malformed body is still a 400
        return orjson.loads(data)


def _capped(receive: Receive, send: Send, max_bytes: int) -> Receive:
    """No WebSocket message larger than a request body may be: the connection closes with
    1009 "message too big" (`khata serve` also sets uvicorn's ws_max_size; this holds
    under any server)."""

    async def capped_receive() -> Message:
        message = await receive()
        if message["type"] == "websocket.receive":
            text, data = message.get("text"), message.get("bytes")
            size = len(data) if data is not None else 0
            if text is not None and len(text) * 4 > max_bytes:  # UTF-8: at most 4 bytes a char
                size = len(text.encode())
            if size > max_bytes:
                await send(
                    {"type": "websocket.close", "code": CLOSE_TOO_BIG, "reason": "message too big"}
                )
                return {"type": "websocket.disconnect", "code": CLOSE_TOO_BIG}
        return message

    return capped_receive


def _with_close_reason(scope: Scope, send: Send) -> Send:
    """Strawberry closes a rejected connection with 4403 "Forbidden"; the close frame says
    why instead (a reason is at most 123 bytes)."""

    async def send_with_reason(message: Message) -> None:
        reason = scope.get(WS_REJECTION)
        if message["type"] == "websocket.close" and message.get("code") == 4403 and reason:
            message = {**message, "reason": reason.encode()[:123].decode(errors="ignore")}
        await send(message)

    return send_with_reason
