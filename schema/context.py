"""Per-request context: the runtime, who is asking (resolved once, lazily), what the
request has read, loaders.

Nothing here outlives the request (or the WebSocket connection): the viewer is resolved
from the database on the request's first need for it, with one read session that never
commits, and the business rows a request reads are kept for that request only
(``business_cache``), so every answer reflects what was committed when it was read.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.accounts.sign_in import identify, record_key_use
from domain.core.codes import CoreCode
from domain.core.errors import PermissionDenied, Unauthenticated, ValidationFailed
from domain.core.live import LiveConnection
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from resolvers.loaders import Loaders
from schema.relay import expect_id

if TYPE_CHECKING:
    from khata.runtime import Runtime


@dataclass
class Context:
    rt: Runtime
    request: Any
    response: Any
    request_id: str
    ip: str | None
    bearer: str | None = None
    business_header: str | None = None
    connection_params: dict[str, Any] | None = None
    # business id -> Business row, read at most once per request
    business_cache: dict[int, Any] = field(default_factory=dict, repr=False)
    # when the viewer's session token expires (None: an API key, or anonymous)
    expires_at: datetime | None = None
    # a WebSocket's entry in the process's live connections: ended by a revocation
    live: LiveConnection | None = None
    # the event stream (resolvers/stream.py): the cursor of the event about to be yielded
    # (a renewed `schema.subscribe()` resumes after it) and the connection's open streams
    stream_cursor: str | None = None
    streams_open: int = 0
    # the context of a subscription group (schema/http/cohorts.py): its members' limits are
    # held by the WebSocket layer, one per member, not by the group's single execution
    shared: bool = False
    # a viewer known up front (a group's audience) instead of one read from credentials
    preset_viewer: Viewer | None = None
    _viewer: asyncio.Future[Viewer] | None = field(default=None, repr=False)  # while resolving
    _resolved: Viewer | None = field(default=None, repr=False)  # then only the result
    _loaders: Loaders | None = field(default=None, repr=False)

    @classmethod
    def for_audience(cls, rt: Runtime, viewer: Viewer, request_id: str) -> Context:
        """The context a group of subscribers (schema/http/cohorts.py) executes with: the
        audience of its first member (`Viewer.audience()`), and nothing of any one
        connection: no request, address, token, expiry or revocation handle. Each member's
        own connection keeps those and is closed by them; the shared stream never is."""
        return cls(
            rt=rt,
            request=None,
            response=None,
            request_id=request_id,
            ip=None,
            shared=True,
            preset_viewer=viewer.audience(),
        )

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self)
        return self._loaders

    def renew_loaders(self) -> None:
        """Forget what the loaders have read: a WebSocket's context lives as long as the
        connection, and each stream event must show its objects as they are now."""
        self._loaders = None

    async def viewer(self) -> Viewer:
        """Resolved on first use; concurrent resolvers of one request share the lookup.
        A connection outlives no credentials: once they are revoked or expired, every
        further use answers the reason."""
        viewer = self._resolved
        if viewer is None:
            if self._viewer is None:
                self._viewer = asyncio.ensure_future(self._resolve())
            viewer = await asyncio.shield(self._viewer)
            # a connection lives for hours: it keeps the viewer, not the finished task
            self._resolved, self._viewer = viewer, None
        if self.live is not None and self.live.ended is not None:
            ended = self.live.ended
            error = PermissionDenied if ended.code == PermissionDenied.code else Unauthenticated
            raise error(ended.reason)
        if self.expires_at is not None and self.rt.clock.now() >= self.expires_at:
            raise Unauthenticated("session expired; sign in again")
        return viewer

    async def _resolve(self) -> Viewer:
        if self.preset_viewer is not None:
            return self.preset_viewer
        bearer, business = self.bearer, self.business_header
        if self.connection_params is not None:
            params = self.connection_params
            auth = params.get("authorization") or params.get("Authorization") or ""
            # GraphiQL sends its header editor's entries as the connection params
            chosen = params.get("business") or params.get("x-khata-business") or business
            for name, value in (("authorization", auth), ("business", chosen)):
                if value is not None and not isinstance(value, str):
                    raise ValidationFailed.one(
                        name, f"connection_init `{name}` must be a string", CoreCode.INVALID
                    )
            bearer = str(auth).removeprefix("Bearer ").strip() or bearer
            business = chosen
        business_id = expect_id(business, "Business", "business") if business else None
        viewer = Viewer.anonymous(ip=self.ip, request_id=self.request_id)
        if bearer:
            async with self.rt.db.lookup() as session:  # identify reads with one statement
                identity = await identify(
                    Tx(session, viewer, self.rt.clock), bearer=bearer, business_id=business_id
                )
            viewer = identity.viewer
            self.expires_at = identity.expires_at
            if identity.business is not None:
                self.business_cache[identity.business.id] = identity.business
            if identity.key_use_due and viewer.api_key_id is not None:  # a minute apart
                async with self.rt.db.unit_of_work() as session:
                    await record_key_use(Tx(session, viewer, self.rt.clock), viewer.api_key_id)
        return viewer

    async def require_viewer(self) -> Viewer:
        viewer = await self.viewer()
        if not viewer.is_authenticated:
            raise Unauthenticated("sign in first: send Authorization: Bearer <token>")
        return viewer
