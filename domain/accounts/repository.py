"""All SQL for accounts: businesses, users, memberships, sessions, API keys, invitations
and the audit trail. Every read goes through `read_policy`; no method takes a business id
from its caller.

Accounts have two owners. Business rows (its memberships, keys, invitations, audit events
and the business itself) belong to the business. A user's own rows (the user, their
sessions, their memberships in every business and those businesses) belong to that user,
who may read them whichever business they act for.

Sign-in happens before there is a viewer: a password, a session token, an API key or an
invitation code is the only authority. Those lookups run as the `SIGN_IN` system actor
(`AccountsRepository.for_sign_in`), which reads across businesses by the secret or email
it was handed; nothing else reads accounts without a business."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, false, or_, select, true, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.accounts.models import (
    AccessToken,
    ApiKey,
    Business,
    Invitation,
    Membership,
    PasswordReset,
    User,
)
from domain.core.audit import AuditEvent
from domain.core.repository import TenantRepository, ViewerKind, unauthenticated
from domain.core.viewer import Viewer

SIGN_IN = Viewer.system_actor("sign-in")
"""The trusted actor of pre-authentication lookups: sign-up, sign-in, resolving a bearer
token or API key into a Viewer, accepting an invitation. It finds rows by the secret or the
email it was given, in any business."""


def business_owned(model: Any, business_id: int) -> ColumnElement[bool]:
    """The rows of `model` that belong to one business."""
    if model is Business:
        return Business.id == business_id
    if model is User:  # its staff
        return User.id.in_(select(Membership.user_id).where(Membership.business_id == business_id))
    if model in (AccessToken, PasswordReset):  # a session or reset code is its user's alone
        return false()
    return model.business_id == business_id  # type: ignore[no-any-return]


def user_owned(model: Any, user_id: int) -> ColumnElement[bool]:
    """The rows of `model` that belong to one user."""
    if model is User:
        return User.id == user_id
    if model is Membership:
        return Membership.user_id == user_id
    if model is AccessToken:
        return AccessToken.user_id == user_id
    if model is PasswordReset:
        return PasswordReset.user_id == user_id
    if model is Business:  # the businesses the user is a member of
        return Business.id.in_(select(Membership.business_id).where(Membership.user_id == user_id))
    return false()  # keys, invitations and the audit trail belong to a business


class AccountsRepository(TenantRepository):
    @classmethod
    def for_sign_in(cls, session: AsyncSession) -> AccountsRepository:
        """The pre-authentication path (see `SIGN_IN`)."""
        return cls(session, SIGN_IN)

    def read_policy(self, model: Any) -> ColumnElement[bool]:
        """Staff read their own rows and their active business's; an API key or a system
        actor for a business reads that business's; the sign-in actor (a system actor
        without a business) reads by the secret it was handed."""
        v = self.viewer
        match v.kind:
            case ViewerKind.STAFF:
                mine = user_owned(model, v.user_id) if v.user_id is not None else false()
                if v.business_id is None:  # signed in, no business chosen yet
                    return mine
                return or_(mine, business_owned(model, v.business_id))
            case ViewerKind.API_KEY:
                return business_owned(model, v.require_business())
            case ViewerKind.SYSTEM:
                return true() if v.business_id is None else business_owned(model, v.business_id)
            case ViewerKind.PERSON:
                return false()  # the portal issue: the businesses the person deals with
            case _:
                raise unauthenticated(v)

    def _in_active_business(self, model: Any) -> ColumnElement[bool]:
        """Narrows a policy read to the business the viewer acts for: staff may also read
        their own memberships elsewhere, which "the members of this business" must not
        include."""
        return model.business_id == self.viewer.require_business()  # type: ignore[no-any-return]

    # -- users and businesses ---------------------------------------------------------
    async def user_by_email(self, email: str) -> User | None:
        return await self.s.scalar(self.readable(User).where(User.email == email))

    async def user(self, user_id: int) -> User | None:
        return await self.s.scalar(self.readable(User).where(User.id == user_id))

    async def business(self) -> Business | None:
        """The business the viewer acts for."""
        business_id = self.viewer.require_business()
        return await self.s.scalar(self.readable(Business).where(Business.id == business_id))

    async def businesses(self, ids: Sequence[int]) -> Sequence[Business]:
        return (await self.s.scalars(self.readable(Business).where(Business.id.in_(ids)))).all()

    # -- memberships --------------------------------------------------------------------
    async def membership(self, user_id: int) -> Membership | None:
        """The user's membership of the business the viewer acts for."""
        return await self.s.scalar(
            self.readable(Membership).where(
                self._in_active_business(Membership), Membership.user_id == user_id
            )
        )

    async def member_by_email(self, email: str) -> Membership | None:
        """The membership of the business the viewer acts for held by this email."""
        return await self.s.scalar(
            self.readable(Membership)
            .join(User, User.id == Membership.user_id)
            .where(self._in_active_business(Membership), User.email == email)
        )

    async def memberships_of_user(self, user_id: int) -> Sequence[Membership]:
        stmt = (
            self.readable(Membership).where(Membership.user_id == user_id).order_by(Membership.id)
        )
        return (await self.s.scalars(stmt)).all()

    async def memberships_with_businesses(
        self, user_id: int
    ) -> Sequence[tuple[Membership, Business]]:
        stmt = (
            self.readable(Membership, Membership, Business)
            .join(Business, Business.id == Membership.business_id)
            .where(self.read_policy(Business), Membership.user_id == user_id)
            .order_by(Membership.id)
        )
        return [(m, b) for m, b in (await self.s.execute(stmt)).all()]

    async def members(self) -> Sequence[tuple[Membership, User]]:
        """The staff of the business the viewer acts for."""
        stmt = (
            self.readable(Membership, Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(self._in_active_business(Membership))
            .order_by(Membership.id)
        )
        return [(m, u) for m, u in (await self.s.execute(stmt)).all()]

    async def remove_membership(self, membership: Membership) -> None:
        await self.s.execute(
            delete(Membership).where(
                self.read_policy(Membership),
                self._in_active_business(Membership),
                Membership.id == membership.id,
            )
        )

    async def held_memberships(self, pairs: Sequence[tuple[int, int]]) -> set[tuple[int, int]]:
        """Which (user id, business id) memberships exist (sign-in actor: rechecking
        open connections)."""
        stmt = self.readable(Membership, Membership.user_id, Membership.business_id).where(
            tuple_(Membership.user_id, Membership.business_id).in_(pairs)
        )
        return {(u, b) for u, b in (await self.s.execute(stmt)).all()}

    async def owner_count(self) -> int:
        """The owners of the business the viewer acts for. Locks their rows: two owners
        demoting each other at once cannot both pass."""
        stmt = (
            self.readable(Membership, Membership.id)
            .where(self._in_active_business(Membership), Membership.role == "owner")
            .with_for_update()
        )
        return len((await self.s.scalars(stmt)).all())

    # -- sessions, keys, invitations -------------------------------------------------
    async def token_with_memberships(
        self, token_hash: str
    ) -> tuple[AccessToken | None, list[tuple[Membership, Business]]]:
        """A session token and its user's memberships (by id) with their businesses, in
        one indexed query."""
        stmt = (
            self.readable(AccessToken, AccessToken, Membership, Business)
            .outerjoin(Membership, Membership.user_id == AccessToken.user_id)
            .outerjoin(Business, Business.id == Membership.business_id)
            .where(AccessToken.token_hash == token_hash)
            .order_by(Membership.id)
        )
        rows = (await self.s.execute(stmt)).all()
        if not rows:
            return None, []
        return rows[0][0], [(m, b) for _, m, b in rows if m is not None]

    async def token_by_hash(self, token_hash: str) -> AccessToken | None:
        return await self.s.scalar(
            self.readable(AccessToken).where(AccessToken.token_hash == token_hash)
        )

    async def revoke_token(self, token_id: int, now: datetime) -> None:
        await self.s.execute(
            update(AccessToken)
            .where(self.read_policy(AccessToken), AccessToken.id == token_id)
            .values(revoked_at=now)
        )

    async def revoke_user_tokens(self, user_id: int, now: datetime) -> list[int]:
        """Ends every live session of the user; the ids of those sessions."""
        live = (
            self.read_policy(AccessToken),
            AccessToken.user_id == user_id,
            AccessToken.revoked_at.is_(None),
            AccessToken.expires_at > now,
        )
        ids = list((await self.s.scalars(select(AccessToken.id).where(*live))).all())
        if ids:
            await self.s.execute(
                update(AccessToken).where(AccessToken.id.in_(ids)).values(revoked_at=now)
            )
        return ids

    async def password_reset_by_hash(self, token_hash: str) -> PasswordReset | None:
        return await self.s.scalar(
            self.readable(PasswordReset).where(PasswordReset.token_hash == token_hash)
        )

    async def use_up_password_resets(self, user_id: int, now: datetime) -> None:
        """Every unused reset code of the user stops working."""
        await self.s.execute(
            update(PasswordReset)
            .where(
                self.read_policy(PasswordReset),
                PasswordReset.user_id == user_id,
                PasswordReset.used_at.is_(None),
            )
            .values(used_at=now)
        )

    async def live_token_ids(self, ids: Sequence[int], now: datetime) -> set[int]:
        """Which of these session tokens are neither revoked nor expired."""
        stmt = self.readable(AccessToken, AccessToken.id).where(
            AccessToken.id.in_(ids), AccessToken.revoked_at.is_(None), AccessToken.expires_at > now
        )
        return set((await self.s.scalars(stmt)).all())

    async def live_api_key_ids(self, ids: Sequence[int]) -> set[int]:
        stmt = self.readable(ApiKey, ApiKey.id).where(
            ApiKey.id.in_(ids), ApiKey.revoked_at.is_(None)
        )
        return set((await self.s.scalars(stmt)).all())

    async def api_key_by_prefix(self, prefix: str) -> ApiKey | None:
        return await self.s.scalar(self.readable(ApiKey).where(ApiKey.prefix == prefix))

    async def api_key(self, key_id: int) -> ApiKey | None:
        return await self.s.scalar(self.readable(ApiKey).where(ApiKey.id == key_id))

    async def api_keys(self) -> Sequence[ApiKey]:
        stmt = self.readable(ApiKey).order_by(ApiKey.id)
        return (await self.s.scalars(stmt)).all()

    async def touch_api_key(self, key_id: int, now: datetime) -> None:
        await self.s.execute(
            update(ApiKey)
            .where(self.read_policy(ApiKey), ApiKey.id == key_id)
            .values(last_used_at=now)
        )

    async def invitation_by_hash(self, token_hash: str) -> Invitation | None:
        return await self.s.scalar(
            self.readable(Invitation).where(Invitation.token_hash == token_hash)
        )

    # -- audit trail -------------------------------------------------------------------
    async def audit_event(self, event_id: int) -> AuditEvent | None:
        return await self.s.scalar(self.readable(AuditEvent).where(AuditEvent.id == event_id))

    async def audit_events(
        self, first: int, after_id: int | None, action: str | None
    ) -> Sequence[AuditEvent]:
        stmt = self.readable(AuditEvent)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        if after_id is not None:
            stmt = stmt.where(AuditEvent.id < after_id)
        stmt = stmt.order_by(AuditEvent.id.desc()).limit(first + 1)
        return (await self.s.scalars(stmt)).all()
