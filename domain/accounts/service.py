"""Staff and integrator keys of the active business, and single account records as the
viewer may see them. Services validate and decide; they never commit (the edge's unit of
work does)."""

from __future__ import annotations

from datetime import timedelta

from domain.accounts import revocation
from domain.accounts.codes import AccountsCode
from domain.accounts.models import ApiKey, Business, Invitation, Membership, User
from domain.accounts.repository import AccountsRepository
from domain.core import audit, outbox
from domain.core.audit import AuditEvent
from domain.core.contact import normalize_email
from domain.core.errors import (
    Conflict,
    ErrorCollector,
    NotFound,
    PermissionDenied,
)
from domain.core.secrets import digest, new_token
from domain.core.tx import Tx
from domain.core.viewer import Role, Scope


async def invite_staff(tx: Tx, *, email: str, role: Role, ttl: timedelta) -> tuple[Invitation, str]:
    business_id = tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    if role == Role.OWNER and tx.viewer.role != Role.OWNER:
        raise PermissionDenied("only an owner may invite another owner")
    email = normalize_email(email)
    repo = AccountsRepository(tx.session, tx.viewer)
    if await repo.member_by_email(email) is not None:
        raise Conflict("this person is already a member")
    token = new_token("ki")
    invitation = Invitation(
        business_id=business_id,
        email=email,
        role=role,
        token_hash=digest(token),
        invited_by=tx.viewer.require_user(),
        created_at=tx.now(),
        expires_at=tx.now() + ttl,
        accepted_at=None,
    )
    await repo.add(invitation)
    business = await repo.business()
    outbox.emit(
        tx,
        "staff.invited",
        {
            "channel": "email",
            "to": email,
            "subject": f"You are invited to {business.name if business else 'Khata'}",
            "body": f"Accept your invitation with this code: {token}",
        },
        job="send_notification",
    )
    audit.record(
        tx,
        "staff.invited",
        target_type="invitation",
        target_id=invitation.id,
        subject=email,
        data={"role": role.value},
    )
    return invitation, token


async def change_role(tx: Tx, *, user_id: int, role: Role) -> Membership:
    tx.viewer.require_role(Role.OWNER)
    repo = AccountsRepository(tx.session, tx.viewer)
    membership = await repo.membership(user_id)
    if membership is None:
        raise NotFound("member", user_id)
    if membership.role == Role.OWNER and role != Role.OWNER and await repo.owner_count() <= 1:
        raise Conflict("a business keeps at least one owner")
    previous = membership.role
    membership.role = role
    audit.record(
        tx,
        "staff.role_changed",
        target_type="user",
        target_id=user_id,
        data={"from": previous, "to": role.value},
    )
    return membership


async def remove_member(tx: Tx, *, user_id: int) -> tuple[Membership, User]:
    """Owner/admin: the user leaves the business at once, open connections included. Only
    an owner removes an owner, and a business keeps at least one owner."""
    business_id = tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    repo = AccountsRepository(tx.session, tx.viewer)
    membership = await repo.membership(user_id)
    user = await repo.user(user_id) if membership is not None else None
    if membership is None or user is None:
        raise NotFound("member", user_id)
    if membership.role == Role.OWNER:
        if tx.viewer.role != Role.OWNER:
            raise PermissionDenied("only an owner may remove an owner")
        if await repo.owner_count() <= 1:
            raise Conflict("a business keeps at least one owner")
    await repo.remove_membership(membership)
    audit.record(
        tx,
        "staff.removed",
        target_type="user",
        target_id=user_id,
        data={"role": membership.role},
    )
    revocation.emit(
        tx,
        [revocation.member_key(user_id, business_id)],
        revocation.REMOVED,
        business_id=business_id,
    )
    return membership, user


async def create_api_key(tx: Tx, *, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    business_id = tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    errors = ErrorCollector()
    if not name.strip() or len(name) > 100:
        errors.add("name", "is required (at most 100 characters)")
    valid = {s.value for s in Scope}
    bad = [s for s in scopes if s not in valid]
    if bad or not scopes:
        errors.add("scopes", f"choose from {', '.join(sorted(valid))}", AccountsCode.INVALID_SCOPE)
    errors.raise_if_any()
    prefix = new_token("p", 6).split("_", 1)[1].replace("_", "x").replace("-", "y")[:8]
    secret = f"kk_{prefix}_{new_token('s', 32).split('_', 1)[1]}"
    key = ApiKey(
        business_id=business_id,
        name=name.strip(),
        prefix=prefix,
        key_hash=digest(secret),
        scopes=sorted(set(scopes)),
        created_by=tx.viewer.user_id,
        created_at=tx.now(),
        last_used_at=None,
        revoked_at=None,
    )
    await AccountsRepository(tx.session, tx.viewer).add(key)
    audit.record(
        tx,
        "api_key.created",
        target_type="api_key",
        target_id=key.id,
        data={"name": key.name, "scopes": key.scopes},
    )
    return key, secret


async def revoke_api_key(tx: Tx, key_id: int) -> ApiKey:
    tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    key = await AccountsRepository(tx.session, tx.viewer).api_key(key_id)
    if key is None:
        raise NotFound("api key", key_id)
    if key.revoked_at is None:
        key.revoked_at = tx.now()
        audit.record(tx, "api_key.revoked", target_type="api_key", target_id=key.id)
        revocation.emit(tx, [revocation.api_key_key(key.id)], revocation.KEY_REVOKED)
    return key


# -- single records by id, as the viewer may see them (node(id)) --------------------------
async def get_user(tx: Tx, user_id: int) -> User:
    """Yourself, or staff of the active business (any staff role; keys may not list people)."""
    if user_id != tx.viewer.user_id:
        tx.viewer.require_role(*Role)
    user = await AccountsRepository(tx.session, tx.viewer).user(user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


async def get_business(tx: Tx, business_id: int) -> Business:
    """The active business only."""
    if tx.viewer.require_business() != business_id:
        raise NotFound("business", business_id)
    business = await AccountsRepository(tx.session, tx.viewer).business()
    if business is None:
        raise NotFound("business", business_id)
    return business


async def get_api_key(tx: Tx, key_id: int) -> ApiKey:
    tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    key = await AccountsRepository(tx.session, tx.viewer).api_key(key_id)
    if key is None:
        raise NotFound("api key", key_id)
    return key


async def get_audit_event(tx: Tx, event_id: int) -> AuditEvent:
    tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    event = await AccountsRepository(tx.session, tx.viewer).audit_event(event_id)
    if event is None:
        raise NotFound("audit event", event_id)
    return event
