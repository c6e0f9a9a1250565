"""All SQL for accounts. Business-owned rows are always read through the business id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.accounts.models import AccessToken, ApiKey, Business, Invitation, Membership, User
from domain.core.audit import AuditEvent

# Built once: read by most write transactions of a business.
_BUSINESS = select(Business).where(Business.id == bindparam("id"))


class AccountsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, *rows: object) -> None:
        self.s.add_all(rows)
        await self.s.flush()

    async def user_by_email(self, email: str) -> User | None:
        return await self.s.scalar(select(User).where(User.email == email))

    async def user(self, user_id: int) -> User | None:
        return await self.s.get(User, user_id)

    async def business(self, business_id: int) -> Business | None:
        """As `session.get` (which it is when the session already holds the row), but a
        new session's read uses the prebuilt statement."""
        if self.s.identity_key(Business, business_id) in self.s.identity_map:
            return await self.s.get(Business, business_id)
        return await self.s.scalar(_BUSINESS, {"id": business_id})

    async def businesses(self, ids: Sequence[int]) -> Sequence[Business]:
        return (await self.s.scalars(select(Business).where(Business.id.in_(ids)))).all()

    async def membership(self, business_id: int, user_id: int) -> Membership | None:
        return await self.s.scalar(
            select(Membership).where(
                Membership.business_id == business_id, Membership.user_id == user_id
            )
        )

    async def memberships_of_user(self, user_id: int) -> Sequence[Membership]:
        stmt = select(Membership).where(Membership.user_id == user_id).order_by(Membership.id)
        return (await self.s.scalars(stmt)).all()

    async def members(self, business_id: int) -> Sequence[tuple[Membership, User]]:
        stmt = (
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.business_id == business_id)
            .order_by(Membership.id)
        )
        return [(m, u) for m, u in (await self.s.execute(stmt)).all()]

    async def owner_count(self, business_id: int) -> int:
        """Locks the owner rows: two owners demoting each other at once cannot both pass."""
        stmt = (
            select(Membership.id)
            .where(Membership.business_id == business_id, Membership.role == "owner")
            .with_for_update()
        )
        return len((await self.s.scalars(stmt)).all())

    async def token_by_hash(self, token_hash: str) -> AccessToken | None:
        return await self.s.scalar(select(AccessToken).where(AccessToken.token_hash == token_hash))

    async def token_with_memberships(
        self, token_hash: str
    ) -> tuple[AccessToken | None, list[tuple[Membership, Business]]]:
        """A session token and its user's memberships (by id) with their businesses, in
        one indexed query."""
        stmt = (
            select(AccessToken, Membership, Business)
            .outerjoin(Membership, Membership.user_id == AccessToken.user_id)
            .outerjoin(Business, Business.id == Membership.business_id)
            .where(AccessToken.token_hash == token_hash)
            .order_by(Membership.id)
        )
        rows = (await self.s.execute(stmt)).all()
        if not rows:
            return None, []
        return rows[0][0], [(m, b) for _, m, b in rows if m is not None]

    async def revoke_token(self, token_id: int, now: datetime) -> None:
        await self.s.execute(
            update(AccessToken).where(AccessToken.id == token_id).values(revoked_at=now)
        )

    async def api_key_by_prefix(self, prefix: str) -> ApiKey | None:
        return await self.s.scalar(select(ApiKey).where(ApiKey.prefix == prefix))

    async def api_key(self, business_id: int, key_id: int) -> ApiKey | None:
        return await self.s.scalar(
            select(ApiKey).where(ApiKey.business_id == business_id, ApiKey.id == key_id)
        )

    async def api_keys(self, business_id: int) -> Sequence[ApiKey]:
        stmt = select(ApiKey).where(ApiKey.business_id == business_id).order_by(ApiKey.id)
        return (await self.s.scalars(stmt)).all()

    async def touch_api_key(self, key_id: int, now: datetime) -> None:
        await self.s.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))

    async def invitation_by_hash(self, token_hash: str) -> Invitation | None:
        return await self.s.scalar(select(Invitation).where(Invitation.token_hash == token_hash))

    async def audit_event(self, business_id: int, event_id: int) -> AuditEvent | None:
        return await self.s.scalar(
            select(AuditEvent).where(
                AuditEvent.business_id == business_id, AuditEvent.id == event_id
            )
        )

    async def audit_events(
        self, business_id: int, first: int, after_id: int | None, action: str | None
    ) -> Sequence[AuditEvent]:
        stmt = select(AuditEvent).where(AuditEvent.business_id == business_id)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        if after_id is not None:
            stmt = stmt.where(AuditEvent.id < after_id)
        stmt = stmt.order_by(AuditEvent.id.desc()).limit(first + 1)
        return (await self.s.scalars(stmt)).all()
