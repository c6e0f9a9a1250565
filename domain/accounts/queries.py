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


async def memberships(tx: Tx, user_id: int) -> list[tuple[Membership, Business]]:
    repo = AccountsRepository(tx.session)
    rows = await repo.memberships_of_user(user_id)
    businesses = {b.id: b for b in await repo.businesses([m.business_id for m in rows])}
    return [(m, businesses[m.business_id]) for m in rows]


async def viewer_profile(tx: Tx) -> ViewerProfile:
    v = tx.viewer
    repo = AccountsRepository(tx.session)
    user = await repo.user(v.user_id) if v.user_id else None
    business = await repo.business(v.business_id) if v.business_id else None
    key = (
        await repo.api_key(v.business_id, v.api_key_id) if v.api_key_id and v.business_id else None
    )
    mine = await memberships(tx, v.user_id) if v.user_id else []
    return ViewerProfile(user, business, key, mine)


async def active_business(tx: Tx, business_id: int) -> Business | None:
    """The viewer's business when that is the one asked for; otherwise None."""
    if tx.viewer.business_id != business_id:
        return None
    return await AccountsRepository(tx.session).business(business_id)


async def members(tx: Tx) -> Sequence[tuple[Membership, User]]:
    """Staff of any role; API keys may not list people."""
    business_id = tx.viewer.require_role(*Role)
    return await AccountsRepository(tx.session).members(business_id)


async def member_user(tx: Tx, user_id: int) -> User | None:
    tx.viewer.require_role(*Role)
    return await AccountsRepository(tx.session).user(user_id)


async def api_keys(tx: Tx) -> Sequence[ApiKey]:
    business_id = tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    return await AccountsRepository(tx.session).api_keys(business_id)


async def audit_events(
    tx: Tx, first: int, after_id: int | None, action: str | None
) -> Sequence[AuditEvent]:
    """Newest first; one more than `first` when there are more."""
    business_id = tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    return await AccountsRepository(tx.session).audit_events(business_id, first, after_id, action)


async def viewer_business(tx: Tx) -> Business | None:
    """The business the viewer acts for."""
    return await AccountsRepository(tx.session).business(tx.business_id)
