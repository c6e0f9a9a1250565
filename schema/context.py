"""Per-request context: the runtime, who is asking (resolved once, lazily), loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from domain.accounts.service import resolve_viewer
from domain.core.errors import Unauthenticated
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from schema.relay import expect_id

if TYPE_CHECKING:
    from resolvers.loaders import Loaders
    from workers.runtime import Runtime


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
    business_cache: dict[int, Any] = field(default_factory=dict, repr=False)
    _viewer: Viewer | None = field(default=None, repr=False)
    _loaders: Loaders | None = field(default=None, repr=False)

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            from resolvers.loaders import Loaders

            self._loaders = Loaders(self)
        return self._loaders

    async def viewer(self) -> Viewer:
        if self._viewer is not None:
            return self._viewer
        bearer, business = self.bearer, self.business_header
        if self.connection_params is not None:
            auth = str(self.connection_params.get("authorization") or "")
            bearer = auth.removeprefix("Bearer ").strip() or bearer
            business = self.connection_params.get("business") or business
        business_id = expect_id(business, "Business", "business") if business else None
        base = Viewer(ip=self.ip, request_id=self.request_id)
        if not bearer:
            self._viewer = base
            return base
        async with self.rt.db.read() as session:
            tx = Tx(session, base, self.rt.clock)
            viewer = await resolve_viewer(tx, bearer=bearer, business_id=business_id)
            await session.commit()  # persists an API key's last-used time, if touched
        self._viewer = viewer
        return viewer

    async def require_viewer(self) -> Viewer:
        viewer = await self.viewer()
        if not viewer.is_authenticated:
            raise Unauthenticated("sign in first: send Authorization: Bearer <token>")
        return viewer
