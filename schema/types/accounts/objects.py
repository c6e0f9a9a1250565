"""Businesses, staff, sessions, API keys and the audit trail as GraphQL types."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from domain.accounts import models
from domain.core.audit import AuditEvent as AuditRow
from domain.core.gst import gstin_state
from domain.core.viewer import Role as DomainRole
from schema.relay import Node, PageInfo, to_global_id
from schema.types.common import ApiScope, Role


@strawberry.type
class Business(Node):
    name: str
    country: str
    currency: str
    timezone: str
    tax_id: str | None
    state_code: str | None = strawberry.field(
        description="India: the GST state code of the seller (the GSTIN's, else as set)."
    )
    invoice_prefix: str
    customer_prefix: str
    order_prefix: str
    created_at: datetime

    @classmethod
    def from_row(cls, b: models.Business) -> Business:
        return cls(
            id=to_global_id("Business", b.id),
            name=b.name,
            country=b.country,
            currency=b.currency,
            timezone=b.timezone,
            tax_id=b.tax_id,
            state_code=(gstin_state(b.tax_id) or b.state_code) if b.country == "IN" else None,
            invoice_prefix=b.invoice_prefix,
            customer_prefix=b.customer_prefix,
            order_prefix=b.order_prefix,
            created_at=b.created_at,
        )


@strawberry.type
class User(Node):
    email: str
    name: str

    @classmethod
    def from_row(cls, u: models.User) -> User:
        return cls(id=to_global_id("User", u.id), email=u.email, name=u.name)


@strawberry.type
class Membership:
    business: Business
    role: Role


@strawberry.type
class Member:
    user: User
    role: Role
    joined_at: datetime

    @classmethod
    def of(cls, membership: models.Membership, user: models.User) -> Member:
        return cls(
            user=User.from_row(user),
            role=DomainRole(membership.role),  # type: ignore[arg-type]
            joined_at=membership.created_at,
        )


@strawberry.type
class Viewer:
    user: User | None
    active_business: Business | None
    role: Role | None
    memberships: list[Membership]
    api_key_name: str | None


@strawberry.type
class ApiKey(Node):
    name: str
    prefix: str
    scopes: list[ApiScope]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, k: models.ApiKey) -> ApiKey:
        return cls(
            id=to_global_id("ApiKey", k.id),
            name=k.name,
            prefix=k.prefix,
            scopes=[ApiScope(s) for s in k.scopes],
            created_at=k.created_at,
            last_used_at=k.last_used_at,
            revoked_at=k.revoked_at,
        )


@strawberry.type
class AuditEvent(Node):
    actor: str
    action: str
    target_type: str | None
    target_id: strawberry.ID | None
    ip: str | None
    request_id: str | None
    data: JSON
    created_at: datetime

    @classmethod
    def from_row(cls, e: AuditRow) -> AuditEvent:
        target = None
        if e.target_type and e.target_id is not None:
            target = to_global_id(e.target_type.title().replace("_", ""), e.target_id)
        return cls(
            id=to_global_id("AuditEvent", e.id),
            actor=e.actor,
            action=e.action,
            target_type=e.target_type,
            target_id=target,
            ip=e.ip,
            request_id=e.request_id,
            data=cast(JSON, e.data),
            created_at=e.created_at,
        )


@strawberry.type
class AuditEventEdge:
    cursor: str
    node: AuditEvent


@strawberry.type
class AuditEventConnection:
    edges: list[AuditEventEdge]
    page_info: PageInfo
