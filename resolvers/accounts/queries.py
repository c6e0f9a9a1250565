"""Accounts queries: the viewer, businesses, members, API keys, the audit trail."""

from __future__ import annotations

import strawberry

from domain.accounts import queries
from domain.core.pagination import clamp_first
from domain.core.viewer import Role as DomainRole
from resolvers.access import public, signed_in, staff_only
from resolvers.base import Info, reading
from resolvers.nodes import resolve_node
from schema.relay import Node, expect_id, page_info
from schema.types.accounts.objects import (
    ApiKey,
    AuditEvent,
    AuditEventConnection,
    AuditEventEdge,
    Business,
    Member,
    Membership,
    User,
    Viewer,
)


@strawberry.type
class AccountQueries:
    @strawberry.field(
        description="Who you are and which business this request acts for.", extensions=[public()]
    )
    async def viewer(self, info: Info) -> Viewer:
        async with reading(info, auth=False) as tx:
            profile = await queries.viewer_profile(tx)
        user, business, key = profile.user, profile.business, profile.api_key
        return Viewer(
            user=User.from_row(user) if user else None,
            active_business=Business.from_row(business) if business else None,
            role=tx.viewer.role,
            memberships=[
                Membership(business=Business.from_row(b), role=DomainRole(m.role))  # type: ignore[arg-type]
                for m, b in profile.memberships
            ],
            api_key_name=key.name if key else None,
        )

    @strawberry.field(
        description="Any object by global id, if the viewer may see it.", extensions=[signed_in()]
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(description="Staff of the active business.", extensions=[staff_only()])
    async def members(self, info: Info) -> list[Member]:
        async with reading(info) as tx:
            rows = await queries.members(tx)
        return [Member.of(m, u) for m, u in rows]

    @strawberry.field(
        description="Owner/admin: integrator keys (never the secrets).", extensions=[staff_only()]
    )
    async def api_keys(self, info: Info) -> list[ApiKey]:
        async with reading(info) as tx:
            rows = await queries.api_keys(tx)
        return [ApiKey.from_row(k) for k in rows]

    @strawberry.field(
        description="Owner/admin: who did what, newest first.", extensions=[staff_only()]
    )
    async def audit_events(
        self,
        info: Info,
        first: int | None = 50,
        after: str | None = None,
        action: str | None = None,
    ) -> AuditEventConnection:
        async with reading(info) as tx:
            limit = clamp_first(first, info.context.rt.settings.max_page_size)
            after_id = expect_id(after, "AuditEvent", "after") if after else None
            rows = list(await queries.audit_events(tx, limit, after_id, action))
        more = len(rows) > limit
        nodes = [AuditEvent.from_row(r) for r in rows[:limit]]
        cursors = [str(n.id) for n in nodes]
        return AuditEventConnection(
            edges=[AuditEventEdge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)],
            page_info=page_info(cursors, more, after is not None),
        )
