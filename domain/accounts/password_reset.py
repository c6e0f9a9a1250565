"""Forgotten passwords: a single-use reset code sent to the account's email.

- `request_reset` answers the same whether or not the email has an account (no account
  enumeration), and does the same work up to the database write: the code is made and
  hashed either way, the request counted against the email and the IP either way. Only an
  account gets a stored code (SHA-256) and an email through the outbox.
- A code works once, for `ttl` (30 minutes by default); using one uses up every other
  code of the account. Each check of a code counts against the IP's sign-in limit, and a
  wrong, used or expired code is a failure there.
- A reset checks the new password against the password policy, ends every session of the
  user (API keys belong to businesses and are untouched), is audited, and tells the
  account by email that its password changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from domain.accounts import revocation, throttle
from domain.accounts.models import PasswordReset, User
from domain.accounts.passwords import check_password
from domain.accounts.repository import AccountsRepository
from domain.accounts.throttle import LoginLimits, RequestLimits
from domain.core import audit, outbox
from domain.core.clock import as_utc
from domain.core.contact import normalize_email
from domain.core.errors import ErrorCollector, ValidationFailed
from domain.core.secrets import digest, hash_password, new_token
from domain.core.tx import Tx

CODE_PREFIX = "kr"


@dataclass(frozen=True)
class ResetDone:
    user: User
    sessions_revoked: int


async def request_reset(
    tx: Tx, *, email: str, ttl: timedelta, limits: RequestLimits, link_base: str
) -> None:
    """Sends a reset code when the email has an account; answers nothing either way. The
    caller commits (the request counts against the limits even for unknown emails)."""
    email = normalize_email(email)
    await throttle.charge_reset_request(tx, email, limits)
    code = new_token(CODE_PREFIX)
    code_hash = digest(code)  # the same work whether or not the account exists
    repo = AccountsRepository.for_sign_in(tx.session)
    user = await repo.user_by_email(email)
    if user is None:
        audit.record(
            tx,
            "auth.password_reset_requested",
            subject=email,
            actor="anonymous",
            data={"account": False},
        )
        return
    expires_at = tx.now() + ttl
    await repo.add(
        PasswordReset(
            user_id=user.id,
            token_hash=code_hash,
            created_at=tx.now(),
            expires_at=expires_at,
            used_at=None,
            ip=tx.viewer.ip,
        )
    )
    minutes = int(ttl.total_seconds() // 60)
    link = f"{link_base.rstrip('/')}/reset-password?code={quote(code)}"
    outbox.emit(
        tx,
        "auth.password_reset_requested",
        {
            "channel": "email",
            "to": user.email,
            "subject": "Reset your Khata password",
            "body": (
                f"Your password reset code: {code}\n"
                f"Or open {link}\n"
                f"It works once, within {minutes} minutes. If you did not ask for it, ignore "
                "this email: your password stays as it is."
            ),
        },
        job="send_notification",
    )
    audit.record(
        tx,
        "auth.password_reset_requested",
        target_type="user",
        target_id=user.id,
        subject=email,
        actor="anonymous",
        data={"account": True},
    )


async def reset_password(
    tx: Tx, *, code: str, new_password: str, email: str | None, limits: LoginLimits
) -> ResetDone | None:
    """None means the code is wrong, used or expired (or not the given email's): the
    failure counts against the IP and must be committed before answering."""
    attempt = await throttle.begin_code_check(tx, limits)
    repo = AccountsRepository.for_sign_in(tx.session)
    reset = await repo.password_reset_by_hash(digest(code.strip()))
    user = await repo.user(reset.user_id) if reset is not None else None
    if email is not None and user is not None and user.email != _normalized(email):
        user = None
    if (
        reset is None
        or user is None
        or reset.used_at is not None
        or as_utc(reset.expires_at) <= tx.now()
    ):
        audit.record(tx, "auth.password_reset_failed", actor="anonymous")
        await attempt.failed()
        return None
    errors = ErrorCollector()
    check_password(new_password, errors, email=user.email, field="newPassword")
    errors.raise_if_any()  # the code stays usable
    await attempt.succeeded()
    now = tx.now()
    user.password_hash = hash_password(new_password)
    await repo.use_up_password_resets(user.id, now)
    revoked = await repo.revoke_user_tokens(user.id, now)
    # open sockets of those sessions close too (every API process, within seconds)
    if revoked:
        keys = [revocation.token_key(i) for i in revoked]
        revocation.emit(tx, keys, revocation.SESSION_ENDED)
    outbox.emit(
        tx,
        "auth.password_changed",
        {
            "channel": "email",
            "to": user.email,
            "subject": "Your Khata password was changed",
            "body": (
                "Your password was reset with a code sent to this address, and every "
                "session was signed out. If this was not you, reset it again now."
            ),
        },
        job="send_notification",
    )
    businesses: list[int | None] = [m.business_id for m in await repo.memberships_of_user(user.id)]
    for business_id in businesses or [None]:  # each business's owners see it
        audit.record(
            tx,
            "auth.password_reset",
            target_type="user",
            target_id=user.id,
            business_id=business_id,
            subject=user.email,
            actor=f"user:{user.id}",
            data={"sessionsRevoked": len(revoked)},
        )
    return ResetDone(user, len(revoked))


def _normalized(email: str) -> str | None:
    try:
        return normalize_email(email)
    except ValidationFailed:
        return None
