"""Per-request context: the runtime, who is asking (resolved once, lazily), loaders.

Two process-wide caches, owned by the app (KhataGraphQL) and handed to each Context, spare
every request the identity lookups (token, memberships: one session, two statements and a
commit) and the business row:

- ``ViewerCache``: a resolved Viewer per (SHA-256 of the bearer secret, chosen business),
  kept for ``VIEWER_TTL_SECONDS`` (5 s) by the runtime's clock, never past the session
  token's expiry. Only successful resolutions are kept (refusals always ask the database).
- ``BusinessCache``: the business row's columns (currency, country, time zone, ...) for
  ``BUSINESS_TTL_SECONDS`` (30 s); each request gets its own transient copy.

Revocation: ``watch_writes`` listens on the runtime's engines; any INSERT, UPDATE or
DELETE on access_tokens, api_keys, memberships, users or businesses empties both caches at
once and again when that transaction commits, and a lookup that overlapped such a write
does not store its answer (generation check). So in this process a sign-out, revoked
token or key, removed member or changed role takes effect immediately; in other API
processes (several workers or hosts) within the TTL: 5 s at most for identities, 30 s
(35 s while one request re-reads it) for a business's settings. A session token's expiry
is exact (entries never outlive it).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import event

from domain.accounts.models import AccessToken, Business
from domain.accounts.sign_in import resolve_viewer
from domain.core.clock import as_utc
from domain.core.errors import Unauthenticated
from domain.core.secrets import digest
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from schema.relay import expect_id

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from sqlalchemy.ext.asyncio import AsyncEngine

    from resolvers.loaders import Loaders
    from workers.runtime import Runtime

VIEWER_TTL_SECONDS = 5.0
BUSINESS_TTL_SECONDS = 30.0
MAX_ENTRIES = 10_000
_AUTH_WRITE = re.compile(
    r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(access_tokens|api_keys|memberships|users|'
    r"businesses)\b",
    re.IGNORECASE,
)


class _TtlCache:
    """A small dict with per-entry expiry (by the runtime's clock) and a generation that
    every invalidation bumps: a lookup that started before an invalidation stores nothing."""

    def __init__(self, now: Callable[[], datetime], ttl: float = VIEWER_TTL_SECONDS) -> None:
        self.now = now
        self.ttl = timedelta(seconds=ttl)
        self.generation = 0
        self.entries: dict[Any, tuple[datetime, Any]] = {}

    def get(self, key: Any) -> Any:
        hit = self.entries.get(key)
        if hit is None:
            return None
        expires, value = hit
        if self.now() >= expires:
            self.entries.pop(key, None)
            return None
        return value

    def put(self, key: Any, value: Any, generation: int, not_after: datetime | None = None) -> None:
        if generation != self.generation:
            return
        if len(self.entries) >= MAX_ENTRIES:
            self.entries.clear()
        expires = self.now() + self.ttl
        if not_after is not None:
            expires = min(expires, as_utc(not_after))
        self.entries[key] = (expires, value)

    def clear(self) -> None:
        self.generation += 1
        self.entries.clear()


class ViewerCache(_TtlCache):
    """Also single-flight: requests arriving while a viewer is being resolved wait for that
    resolution instead of each asking the database (an expired entry under load would
    otherwise send every concurrent request to the database at once)."""

    def __init__(self, now: Callable[[], datetime], ttl: float = VIEWER_TTL_SECONDS) -> None:
        super().__init__(now, ttl)
        self.pending: dict[Any, asyncio.Future[Viewer | None]] = {}


class BusinessCache(_TtlCache):
    """When an entry expires, the first request to see it re-reads the row while the
    others keep using the expired copy for up to REFRESH_GRACE (instead of all of them
    reading the same row at once). An invalidation drops entries outright: nothing stale
    is served after this process changed a business."""

    REFRESH_GRACE = timedelta(seconds=5)

    def __init__(self, now: Callable[[], datetime], ttl: float = BUSINESS_TTL_SECONDS) -> None:
        super().__init__(now, ttl)
        self.refreshing: dict[Any, datetime] = {}

    def lookup(self, key: Any) -> Any:
        hit = self.entries.get(key)
        if hit is None:
            return None
        expires, value = hit
        now = self.now()
        if now < expires:
            return value
        started = self.refreshing.get(key)
        if started is not None and now - started < self.REFRESH_GRACE:
            return value  # another request is re-reading it
        self.refreshing[key] = now
        return None

    def put(self, key: Any, value: Any, generation: int, not_after: datetime | None = None) -> None:
        self.refreshing.pop(key, None)
        super().put(key, value, generation, not_after)

    def clear(self) -> None:
        super().clear()
        self.refreshing.clear()

    def snapshot(self, business: Business) -> dict[str, Any]:
        return {c.key: getattr(business, c.key) for c in Business.__mapper__.column_attrs}


def watch_writes(engines: Iterable[AsyncEngine], caches: Iterable[_TtlCache]) -> None:
    """Empty the caches whenever this process writes identity or business rows: at the
    statement, and again at its commit (a concurrent lookup may have read the old row)."""
    targets = list(caches)

    def clear_all() -> None:
        for cache in targets:
            cache.clear()

    for engine in engines:
        sync = engine.sync_engine

        @event.listens_for(sync, "before_cursor_execute")
        def _statement(conn: Any, _c: Any, statement: str, *_: Any) -> None:
            if statement.lstrip()[:1] in "IUDiud" and _AUTH_WRITE.match(statement):
                conn.info["khata_auth_write"] = True
                clear_all()

        @event.listens_for(sync, "commit")
        def _commit(conn: Any) -> None:
            if conn.info.pop("khata_auth_write", False):
                clear_all()

        @event.listens_for(sync, "rollback")
        def _rollback(conn: Any) -> None:
            conn.info.pop("khata_auth_write", None)


class SharedBusinesses(dict[int, Any]):
    """The per-request ``business_cache`` (business id -> Business), filled from the
    process-wide BusinessCache: a hit is a fresh transient copy for this request."""

    def __init__(self, shared: BusinessCache) -> None:
        super().__init__()
        self.shared = shared
        self.generation = shared.generation

    def __contains__(self, business_id: object) -> bool:
        if dict.__contains__(self, business_id):
            return True
        if not isinstance(business_id, int):
            return False
        columns = self.shared.lookup(business_id)
        if columns is None:
            return False
        dict.__setitem__(self, business_id, Business(**columns))
        return True

    def __setitem__(self, business_id: int, business: Any) -> None:
        dict.__setitem__(self, business_id, business)
        if isinstance(business, Business):
            self.shared.put(business_id, self.shared.snapshot(business), self.generation)


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
    viewer_cache: ViewerCache | None = field(default=None, repr=False)
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
            # GraphiQL sends its header editor's entries as the connection params
            business = (
                self.connection_params.get("business")
                or self.connection_params.get("x-khata-business")
                or business
            )
        business_id = expect_id(business, "Business", "business") if business else None
        base = Viewer.anonymous(ip=self.ip, request_id=self.request_id)
        if not bearer:
            self._viewer = base
            return base
        cache = self.viewer_cache
        if cache is None:
            self._viewer = await self._resolve(base, bearer, business_id)
            return self._viewer
        key = (digest(bearer), business_id)
        known = cache.get(key)
        if known is None and key in cache.pending:
            known = await asyncio.shield(cache.pending[key])  # None: it failed; try ourselves
        if known is not None:
            self._viewer = replace(known, ip=self.ip, request_id=self.request_id)
            return self._viewer
        generation = cache.generation
        flight: asyncio.Future[Viewer | None] = asyncio.get_running_loop().create_future()
        cache.pending[key] = flight
        try:
            viewer, expires_at = await self._resolve_with_expiry(base, bearer, business_id)
        except BaseException:
            flight.set_result(None)
            raise
        finally:
            if cache.pending.get(key) is flight:
                del cache.pending[key]
        identity = replace(viewer, ip=None, request_id=None)
        fresh = viewer.is_authenticated and cache.generation == generation
        flight.set_result(identity if fresh else None)
        if viewer.is_authenticated:
            cache.put(key, identity, generation, expires_at)
        self._viewer = viewer
        return viewer

    async def _resolve(self, base: Viewer, bearer: str, business_id: int | None) -> Viewer:
        return (await self._resolve_with_expiry(base, bearer, business_id))[0]

    async def _resolve_with_expiry(
        self, base: Viewer, bearer: str, business_id: int | None
    ) -> tuple[Viewer, datetime | None]:
        tokens: list[AccessToken] = []  # the session token resolve_viewer reads, kept

        def keep(_: Any, instance: object) -> None:
            if isinstance(instance, AccessToken):
                tokens.append(instance)

        async with self.rt.db.read() as session:
            event.listen(session.sync_session, "loaded_as_persistent", keep)
            tx = Tx(session, base, self.rt.clock)
            viewer = await resolve_viewer(tx, bearer=bearer, business_id=business_id)
            await session.commit()  # persists an API key's last-used time, if touched
        token = next((t for t in tokens if t.id == viewer.token_id), None)
        return viewer, token.expires_at if token is not None else None

    async def require_viewer(self) -> Viewer:
        viewer = await self.viewer()
        if not viewer.is_authenticated:
            raise Unauthenticated("sign in first: send Authorization: Bearer <token>")
        return viewer
