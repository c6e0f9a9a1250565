"""Signing in: sign-up, sign-in and sign-out, accepting an invitation, and turning a
bearer secret (session token or API key) into a Viewer. These run before there is a
viewer, so their lookups go through the accounts repository's sign-in actor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.accounts import revocation, throttle
from domain.accounts.businesses import BusinessInput, found_business, validate_business
from domain.accounts.models import AccessToken, Business, Invitation, Membership, User
from domain.accounts.passwords import check_password
from domain.accounts.repository import AccountsRepository
from domain.accounts.throttle import LoginLimits
from domain.core import audit
from domain.core.clock import as_utc
from domain.core.contact import normalize_email
from domain.core.errors import (
    Conflict,
    ErrorCollector,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)
from domain.core.secrets import digest, hash_password, new_token, verify_password
from domain.core.tx import Tx
from domain.core.viewer import STAFF_SCOPES, Role, Viewer, ViewerKind

KEY_USE_RESOLUTION = timedelta(seconds=60)  # an API key's last-used time, to the minute


@dataclass
class Session:
    """A new session token and what its sign-in payload shows: the user's businesses."""

    token: str
    user: User
    expires_at: datetime
    memberships: list[tuple[Membership, Business]] = field(default_factory=list)


async def _issue_token(tx: Tx, user: User, ttl: timedelta) -> tuple[str, AccessToken]:
    token = new_token("kt")
    row = AccessToken(
        user_id=user.id,
        token_hash=digest(token),
        created_at=tx.now(),
        expires_at=tx.now() + ttl,
        revoked_at=None,
        ip=tx.viewer.ip,
    )
    await AccountsRepository(tx.session, tx.viewer).add(row)
    return token, row


async def sign_up(
    tx: Tx, *, email: str, password: str, name: str, business: BusinessInput, ttl: timedelta
) -> tuple[Session, Business]:
    errors = ErrorCollector()
    try:
        email = normalize_email(email)
    except ValidationFailed as exc:
        errors.errors.extend(exc.errors)
    check_password(password, errors, email=email)
    if not name.strip():
        errors.add("name", "is required")
    clean = validate_business(business, errors, "business.")
    errors.raise_if_any()
    repo = AccountsRepository.for_sign_in(tx.session)
    if await repo.user_by_email(email) is not None:
        raise Conflict("an account with this email exists; sign in and add a business")
    user = User(
        email=email, name=name.strip(), password_hash=hash_password(password), created_at=tx.now()
    )
    await repo.add(user)
    created = await found_business(tx, clean, user)
    token, row = await _issue_token(tx, user, ttl)
    memberships = list(await repo.memberships_with_businesses(user.id))
    return Session(token, user, row.expires_at, memberships), created


async def login(
    tx: Tx, *, email: str, password: str, ttl: timedelta, limits: LoginLimits
) -> Session | None:
    """None means wrong credentials: the failure is audited and must be committed (it
    feeds the limits of `throttle`), so the edge commits before answering
    Unauthenticated."""
    subject = email.strip().lower()[:200]
    attempt = await throttle.begin_login(tx, subject, limits)
    repo = AccountsRepository.for_sign_in(tx.session)
    user = await repo.user_by_email(subject)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        audit.record(tx, "auth.login_failed", subject=subject, actor="anonymous")
        await attempt.failed()
        return None
    await attempt.succeeded()
    token, row = await _issue_token(tx, user, ttl)
    memberships = list(await repo.memberships_with_businesses(user.id))
    for m, _ in memberships:
        audit.record(
            tx,
            "auth.login",
            target_type="user",
            target_id=user.id,
            business_id=m.business_id,
            actor=f"user:{user.id}",
            subject=subject,
        )
    return Session(token, user, row.expires_at, memberships)


async def logout(tx: Tx) -> None:
    if tx.viewer.token_id is None:
        raise Unauthenticated("no session to end")
    await AccountsRepository(tx.session, tx.viewer).revoke_token(tx.viewer.token_id, tx.now())
    revocation.emit(tx, [revocation.token_key(tx.viewer.token_id)], revocation.SIGNED_OUT)


@dataclass(frozen=True)
class Identity:
    """Who is asking, with what was read to find out."""

    viewer: Viewer
    business: Business | None = None  # the chosen business's row, when the lookup read it
    key_use_due: bool = False  # an API key whose last-used time should be recorded
    expires_at: datetime | None = None  # a session token's end (an API key has none)


async def resolve_viewer(tx: Tx, *, bearer: str | None, business_id: int | None) -> Viewer:
    return (await identify(tx, bearer=bearer, business_id=business_id)).viewer


async def identify(tx: Tx, *, bearer: str | None, business_id: int | None) -> Identity:
    """Turn a bearer secret (session token or API key) and the chosen business into a
    Viewer. Unknown, expired or revoked secrets are Unauthenticated; a business the user
    does not belong to is PermissionDenied. Reads only, with one statement (the edge runs
    it outside a transaction, `Database.lookup`): the caller records a due API key use in
    a write transaction of its own (`record_key_use`)."""
    base = tx.viewer
    if not bearer:
        return Identity(base)
    repo = AccountsRepository.for_sign_in(tx.session)
    now = tx.now()
    if bearer.startswith("kk_"):
        parts = bearer.split("_")
        key = await repo.api_key_by_prefix(parts[1]) if len(parts) >= 3 else None
        if key is None or key.revoked_at is not None or key.key_hash != digest(bearer):
            raise Unauthenticated("API key is invalid or revoked")
        due = key.last_used_at is None or now - as_utc(key.last_used_at) > KEY_USE_RESOLUTION
        viewer = Viewer(
            ViewerKind.API_KEY,
            api_key_id=key.id,
            business_id=key.business_id,
            role=None,
            scopes=frozenset(key.scopes),
            ip=base.ip,
            request_id=base.request_id,
        )
        return Identity(viewer, key_use_due=due)
    token, memberships = await repo.token_with_memberships(digest(bearer))
    if token is None or token.revoked_at is not None or as_utc(token.expires_at) <= now:
        raise Unauthenticated("session expired or signed out; sign in again")
    chosen: tuple[Membership, Business] | None = None
    if business_id is not None:
        chosen = next((m for m in memberships if m[0].business_id == business_id), None)
        if chosen is None:
            raise PermissionDenied("you are not a member of that business")
    elif len(memberships) == 1:
        chosen = memberships[0]
    viewer = Viewer(
        ViewerKind.STAFF,
        user_id=token.user_id,
        business_id=chosen[0].business_id if chosen else None,
        role=Role(chosen[0].role) if chosen else None,
        scopes=STAFF_SCOPES if chosen else frozenset(),
        ip=base.ip,
        request_id=base.request_id,
        token_id=token.id,
    )
    return Identity(
        viewer, business=chosen[1] if chosen else None, expires_at=as_utc(token.expires_at)
    )


async def record_key_use(tx: Tx, key_id: int) -> None:
    """Sets an API key's last-used time (when `Identity.key_use_due`); the sign-in actor
    writes it, as it read the key."""
    await AccountsRepository.for_sign_in(tx.session).touch_api_key(key_id, tx.now())


async def accept_invitation(
    tx: Tx,
    *,
    token: str,
    name: str,
    password: str,
    ttl: timedelta,
    limits: LoginLimits,
) -> Session | None:
    """None means the email already has an account and the password is wrong: like a
    failed sign-in it is audited, counts against the sign-in limits, and must be
    committed."""
    repo = AccountsRepository.for_sign_in(tx.session)
    invitation = await repo.invitation_by_hash(digest(token))
    if (
        invitation is None
        or invitation.accepted_at is not None
        or as_utc(invitation.expires_at) <= tx.now()
    ):
        raise NotFound("invitation")
    user = await repo.user_by_email(invitation.email)
    if user is None:
        user = await _new_user(tx, repo, invitation.email, name, password)
    else:
        attempt = await throttle.begin_login(tx, user.email, limits)
        if not verify_password(user.password_hash, password):
            audit.record(tx, "auth.login_failed", subject=user.email, actor="anonymous")
            await attempt.failed()
            return None
        await attempt.succeeded()
    await _join(tx, invitation, user)
    token_text, row = await _issue_token(tx, user, ttl)
    memberships = list(await repo.memberships_with_businesses(user.id))
    return Session(token_text, user, row.expires_at, memberships)


async def _new_user(tx: Tx, repo: AccountsRepository, email: str, name: str, password: str) -> User:
    errors = ErrorCollector()
    check_password(password, errors, email=email)
    if not name.strip():
        errors.add("name", "is required")
    errors.raise_if_any()
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        created_at=tx.now(),
    )
    await repo.add(user)
    return user


async def _join(tx: Tx, invitation: Invitation, user: User) -> None:
    """The user becomes a member of the invitation's business (once), and the invitation
    is used up. The invitation's code is the authority to join its business, and nothing
    more."""
    joining = AccountsRepository(
        tx.session, Viewer.system_actor("invitation", business_id=invitation.business_id)
    )
    if await joining.membership(user.id) is None:
        await joining.add(
            Membership(
                business_id=invitation.business_id,
                user_id=user.id,
                role=invitation.role,
                created_at=tx.now(),
            )
        )
    invitation.accepted_at = tx.now()
    audit.record(
        tx,
        "staff.joined",
        target_type="user",
        target_id=user.id,
        business_id=invitation.business_id,
        actor=f"user:{user.id}",
    )
