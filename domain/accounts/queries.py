"""Read-side use cases of accounts for the GraphQL edge: who the viewer is, the active
business's staff, keys and audit trail. Role rules are checked here, not by callers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.accounts.models import ApiKey, Business, Membership, User
from domain.accounts.repository import AccountsRepository
from domain.core.audit import AuditEvent
from domain.core.tx import Tx
from domain.core.viewer import Role


@dataclass
class ViewerProfile:
    user: User | None
    business: Business | None
    api_key: ApiKey | None
    memberships: list[tuple[Membership, Business]]


async def memberships(tx: Tx) -> list[tuple[Membership, Business]]:
    """The signed-in user's memberships, in every business, with those businesses."""
    user_id = tx.viewer.require_user()
    repo = AccountsRepository(tx.session, tx.viewer)
    return list(await repo.memberships_with_businesses(user_id))


async def viewer_profile(tx: Tx) -> ViewerProfile:
    v = tx.viewer
    if not v.is_authenticated:
        return ViewerProfile(None, None, None, [])
    repo = AccountsRepository(tx.session, v)
    user = await repo.user(v.user_id) if v.user_id else None
    business = await repo.business() if v.business_id else None
    key = await repo.api_key(v.api_key_id) if v.api_key_id else None
    mine = await memberships(tx) if v.user_id else []
    return ViewerProfile(user, business, key, mine)


async def members(tx: Tx) -> Sequence[tuple[Membership, User]]:
    """Staff of any role; API keys may not list people."""
    tx.viewer.require_role(*Role)
    return await AccountsRepository(tx.session, tx.viewer).members()


async def member_user(tx: Tx, user_id: int) -> User | None:
    tx.viewer.require_role(*Role)
    return await AccountsRepository(tx.session, tx.viewer).user(user_id)


async def api_keys(tx: Tx) -> Sequence[ApiKey]:
    tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    return await AccountsRepository(tx.session, tx.viewer).api_keys()


async def audit_events(
    tx: Tx, first: int, after_id: int | None, action: str | None
) -> Sequence[AuditEvent]:
    """Newest first; one more than `first` when there are more."""
    tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    return await AccountsRepository(tx.session, tx.viewer).audit_events(first, after_id, action)


async def viewer_business(tx: Tx) -> Business | None:
    """The business the viewer acts for."""
    return await AccountsRepository(tx.session, tx.viewer).business()
