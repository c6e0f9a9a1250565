"""Sign-up, sign-in, staff and integrator keys. Services validate and decide; they never
commit (the edge's unit of work does)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import available_timezones

import phonenumbers
from babel.numbers import get_territory_currencies, list_currencies

from domain.accounts.models import AccessToken, ApiKey, Business, Invitation, Membership, User
from domain.accounts.repository import AccountsRepository
from domain.core import audit, outbox
from domain.core.audit import AuditEvent
from domain.core.clock import as_utc
from domain.core.contact import normalize_email
from domain.core.counters import Counter
from domain.core.errors import (
    Conflict,
    ErrorCollector,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)
from domain.core.gst import HINT as GST_HINT
from domain.core.gst import gst_state_code, gstin_state
from domain.core.secrets import digest, hash_password, new_token, verify_password
from domain.core.tx import Tx
from domain.core.viewer import STAFF_SCOPES, Role, Scope, Viewer, ViewerKind

COUNTER_KINDS = ("customer", "invoice", "credit_note")
DEFAULT_CURRENCY = {"IN": "INR", "KE": "KES", "OM": "OMR", "ZA": "ZAR"}
DEFAULT_TIMEZONE = {
    "IN": "Asia/Kolkata",
    "KE": "Africa/Nairobi",
    "OM": "Asia/Muscat",
    "ZA": "Africa/Johannesburg",
}
_PREFIX = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
MIN_PASSWORD = 10


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def _default_currency(country: str) -> str:
    """Our markets first, then the territory's legal tender per CLDR (USD for US...)."""
    if country in DEFAULT_CURRENCY:
        return DEFAULT_CURRENCY[country]
    found = get_territory_currencies(country, tender=True) if len(country) == 2 else []
    return found[0] if found else ""


@dataclass
class BusinessInput:
    name: str
    country: str
    currency: str | None = None
    timezone: str | None = None
    tax_id: str | None = None
    invoice_prefix: str = "INV"
    customer_prefix: str = "CUST"
    state_code: str | None = None


@dataclass
class Session:
    """A new session token and what its sign-in payload shows: the user's businesses."""

    token: str
    user: User
    expires_at: datetime
    memberships: list[tuple[Membership, Business]] = field(default_factory=list)


def _validate_business(data: BusinessInput, errors: ErrorCollector, base: str) -> BusinessInput:
    name = data.name.strip()
    if not name or len(name) > 200:
        errors.add(f"{base}name", "is required (at most 200 characters)")
    country = data.country.strip().upper()
    known_country = country in phonenumbers.SUPPORTED_REGIONS
    if not known_country:
        errors.add(f"{base}country", "is not an ISO 3166 country code", "INVALID_COUNTRY")
    currency = (data.currency or _default_currency(country)).strip().upper()
    if data.currency and currency not in _currencies():
        errors.add(f"{base}currency", "is not an ISO 4217 currency", "INVALID_CURRENCY")
    elif not currency and known_country:
        errors.add(f"{base}currency", "has no default for this country; give one", "REQUIRED")
    timezone = data.timezone or DEFAULT_TIMEZONE.get(country, "UTC")
    if timezone not in _timezones():
        errors.add(f"{base}timezone", "is not an IANA time zone", "INVALID_TIMEZONE")
    for key, path in (("invoice_prefix", "invoicePrefix"), ("customer_prefix", "customerPrefix")):
        if not _PREFIX.match(getattr(data, key)):
            errors.add(f"{base}{path}", "must be 1-10 capital letters or digits, letter first")
    tax_id = (data.tax_id or "").strip() or None
    state_code = _state_code(data, country, tax_id, errors, base)
    return BusinessInput(
        name=name,
        country=country,
        currency=currency,
        timezone=timezone,
        tax_id=tax_id,
        invoice_prefix=data.invoice_prefix,
        customer_prefix=data.customer_prefix,
        state_code=state_code,
    )


def _state_code(
    data: BusinessInput, country: str, tax_id: str | None, errors: ErrorCollector, base: str
) -> str | None:
    """India: the GST state, for invoices with a place of supply. A GSTIN's state is used
    when there is one; a state given as well must agree with it."""
    given = (data.state_code or "").strip()
    if not given:
        return None
    if country != "IN":
        errors.add(f"{base}stateCode", "is only used for India's GST", "NOT_APPLICABLE")
        return None
    code = gst_state_code(given)
    if code is None:
        errors.add(f"{base}stateCode", f"must be {GST_HINT}", "INVALID_STATE")
        return None
    from_gstin = gstin_state(tax_id)
    if from_gstin is not None and from_gstin != code:
        errors.add(f"{base}stateCode", f"differs from the GSTIN's state ({from_gstin})", "MISMATCH")
    return code


async def _create_business(tx: Tx, data: BusinessInput, owner: User) -> Business:
    repo = AccountsRepository(tx.session, tx.viewer)
    business = Business(
        name=data.name,
        country=data.country,
        currency=data.currency or "",
        timezone=data.timezone or "UTC",
        tax_id=data.tax_id,
        state_code=data.state_code,
        invoice_prefix=data.invoice_prefix,
        customer_prefix=data.customer_prefix,
        created_at=tx.now(),
    )
    await repo.add(business)
    await repo.add(
        Membership(business_id=business.id, user_id=owner.id, role=Role.OWNER, created_at=tx.now()),
        *(Counter(business_id=business.id, kind=k, last_value=0) for k in COUNTER_KINDS),
    )
    audit.record(
        tx,
        "business.created",
        target_type="business",
        target_id=business.id,
        business_id=business.id,
        actor=f"user:{owner.id}",
    )
    return business


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


def _check_password(password: str, errors: ErrorCollector, field_name: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        errors.add(field_name, f"must be at least {MIN_PASSWORD} characters", "WEAK_PASSWORD")
    if len(password) > 256:
        errors.add(field_name, "must be at most 256 characters")


async def sign_up(
    tx: Tx, *, email: str, password: str, name: str, business: BusinessInput, ttl: timedelta
) -> tuple[Session, Business]:
    errors = ErrorCollector()
    try:
        email = normalize_email(email)
    except ValidationFailed as exc:
        errors.errors.extend(exc.errors)
    _check_password(password, errors)
    if not name.strip():
        errors.add("name", "is required")
    clean = _validate_business(business, errors, "business.")
    errors.raise_if_any()
    repo = AccountsRepository.for_sign_in(tx.session)
    if await repo.user_by_email(email) is not None:
        raise Conflict("an account with this email exists; sign in and add a business")
    user = User(
        email=email, name=name.strip(), password_hash=hash_password(password), created_at=tx.now()
    )
    await repo.add(user)
    created = await _create_business(tx, clean, user)
    token, row = await _issue_token(tx, user, ttl)
    memberships = list(await repo.memberships_with_businesses(user.id))
    return Session(token, user, row.expires_at, memberships), created


async def create_business(tx: Tx, data: BusinessInput) -> Business:
    user_id = tx.viewer.require_user()
    errors = ErrorCollector()
    clean = _validate_business(data, errors, "")
    errors.raise_if_any()
    user = await AccountsRepository(tx.session, tx.viewer).user(user_id)
    if user is None:
        raise Unauthenticated("sign in first")
    return await _create_business(tx, clean, user)


async def _check_login_budget(tx: Tx, subject: str, max_failures: int, window: timedelta) -> None:
    """Every password check for an email (sign-in, accepting an invitation) shares one
    budget of failures, so no path can be used to guess a password."""
    failures = await audit.count_recent(tx, "auth.login_failed", subject, tx.now() - window)
    if failures >= max_failures:
        raise RateLimited("too many failed sign-ins; try again later", int(window.total_seconds()))


async def login(
    tx: Tx, *, email: str, password: str, ttl: timedelta, max_failures: int, window: timedelta
) -> Session | None:
    """None means wrong credentials: the failure is audited and must be committed (it
    feeds the rate limit), so the edge commits before answering Unauthenticated."""
    subject = email.strip().lower()[:200]
    await _check_login_budget(tx, subject, max_failures, window)
    repo = AccountsRepository.for_sign_in(tx.session)
    user = await repo.user_by_email(subject)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        audit.record(tx, "auth.login_failed", subject=subject, actor="anonymous")
        return None
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


async def resolve_viewer(tx: Tx, *, bearer: str | None, business_id: int | None) -> Viewer:
    """Turn a bearer secret (session token or API key) and the chosen business into a
    Viewer. Unknown, expired or revoked secrets are Unauthenticated; a business the user
    does not belong to is PermissionDenied."""
    base = tx.viewer
    if not bearer:
        return base
    repo = AccountsRepository.for_sign_in(tx.session)
    now = tx.now()
    if bearer.startswith("kk_"):
        parts = bearer.split("_")
        key = await repo.api_key_by_prefix(parts[1]) if len(parts) >= 3 else None
        if key is None or key.revoked_at is not None or key.key_hash != digest(bearer):
            raise Unauthenticated("API key is invalid or revoked")
        if key.last_used_at is None or now - as_utc(key.last_used_at) > timedelta(seconds=60):
            await repo.touch_api_key(key.id, now)
        return Viewer(
            ViewerKind.API_KEY,
            api_key_id=key.id,
            business_id=key.business_id,
            role=None,
            scopes=frozenset(key.scopes),
            ip=base.ip,
            request_id=base.request_id,
        )
    token = await repo.token_by_hash(digest(bearer))
    if token is None or token.revoked_at is not None or as_utc(token.expires_at) <= now:
        raise Unauthenticated("session expired or signed out; sign in again")
    memberships = await repo.memberships_of_user(token.user_id)
    chosen: Membership | None = None
    if business_id is not None:
        chosen = next((m for m in memberships if m.business_id == business_id), None)
        if chosen is None:
            raise PermissionDenied("you are not a member of that business")
    elif len(memberships) == 1:
        chosen = memberships[0]
    return Viewer(
        ViewerKind.STAFF,
        user_id=token.user_id,
        business_id=chosen.business_id if chosen else None,
        role=Role(chosen.role) if chosen else None,
        scopes=STAFF_SCOPES if chosen else frozenset(),
        ip=base.ip,
        request_id=base.request_id,
        token_id=token.id,
    )


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


async def accept_invitation(
    tx: Tx,
    *,
    token: str,
    name: str,
    password: str,
    ttl: timedelta,
    max_failures: int,
    window: timedelta,
) -> Session | None:
    """None means the email already has an account and the password is wrong: like a
    failed sign-in it is audited, counts against the email's limit, and must be committed."""
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
        errors = ErrorCollector()
        _check_password(password, errors)
        if not name.strip():
            errors.add("name", "is required")
        errors.raise_if_any()
        user = User(
            email=invitation.email,
            name=name.strip(),
            password_hash=hash_password(password),
            created_at=tx.now(),
        )
        await repo.add(user)
    else:
        await _check_login_budget(tx, user.email, max_failures, window)
        if not verify_password(user.password_hash, password):
            audit.record(tx, "auth.login_failed", subject=user.email, actor="anonymous")
            return None
    # the invitation's code is the authority to join its business, and nothing more
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
    token_text, row = await _issue_token(tx, user, ttl)
    memberships = list(await repo.memberships_with_businesses(user.id))
    return Session(token_text, user, row.expires_at, memberships)


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


async def create_api_key(tx: Tx, *, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    business_id = tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    errors = ErrorCollector()
    if not name.strip() or len(name) > 100:
        errors.add("name", "is required (at most 100 characters)")
    valid = {s.value for s in Scope}
    bad = [s for s in scopes if s not in valid]
    if bad or not scopes:
        errors.add("scopes", f"choose from {', '.join(sorted(valid))}", "INVALID_SCOPE")
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
