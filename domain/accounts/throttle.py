"""Attempt limits of the pre-authentication paths, counted in the database so every API
process shares them.

Sign-in (and accepting an invitation with an existing account's password, and a wrong
password reset code) never locks an account: a limit always names where the attempts come
from.

- Per account and IP: the first `account_ip_failures` wrong passwords for one email from
  one IP are free; from then on each failure closes that door for 2^k seconds (k = 1 for
  the failure that reaches the threshold, then 2, 3 ...; at most `max_delay`). The right
  password from that IP must wait too; from any other IP it is not slowed at all.
- Per IP, across accounts: the same rule with `ip_failures` free failures, so one address
  cannot spray guesses over many accounts.
- A success forgets the account-and-IP counter; it does not lower the IP's count of
  failures. Counters start again `window` after their first failure, once no delay is
  running.
- An attempt is counted before its password is checked (the counter row stays locked
  until commit, so concurrent attempts on one key take turns); a refused attempt is
  neither counted nor checked. Each failure and each delay imposed is an audit event
  (`auth.login_failed`, `auth.rate_limited`).

Password reset requests are counted per email and per IP in fixed windows
(`RequestLimits`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.accounts.throttle_repository import Count, ThrottleRepository
from domain.core import audit
from domain.core.errors import RateLimited
from domain.core.secrets import digest
from domain.core.tx import Tx

ACCOUNT_IP = "login_account_ip"
IP = "login_ip"
RESET_EMAIL = "reset_email"
RESET_IP = "reset_ip"


@dataclass(frozen=True)
class LoginLimits:
    account_ip_failures: int = 5
    ip_failures: int = 100
    max_delay: timedelta = timedelta(minutes=15)
    window: timedelta = timedelta(hours=1)

    def delay(self, failures: int, free: int) -> timedelta | None:
        """How long after this failure the next attempt must wait (None: no wait)."""
        if failures < free:
            return None
        exponent = failures - free + 1
        cap = self.max_delay.total_seconds()
        seconds = cap if exponent >= 62 else min(float(2**exponent), cap)
        return timedelta(seconds=seconds)


@dataclass(frozen=True)
class RequestLimits:
    per_email: int = 3
    per_ip: int = 20
    window: timedelta = timedelta(hours=1)


def _ip(tx: Tx) -> str:
    return tx.viewer.ip or "unknown"


def _retry_after(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


@dataclass
class _Door:
    scope: str
    key: str
    free: int  # failures before delays begin
    count: Count | None = None


@dataclass
class Attempt:
    """One check of a secret (a password, a reset code) from the viewer's IP. Begin it
    before checking the secret; then report `failed()` or `succeeded()`."""

    tx: Tx
    limits: LoginLimits
    doors: list[_Door]
    subject: str | None = None

    async def count_or_refuse(self, message: str) -> None:
        repo = ThrottleRepository(self.tx.session)
        now = self.tx.now()
        waits = []
        for door in self.doors:
            door.count = await repo.charge(door.scope, door.key, now, now - self.limits.window)
            if door.count.blocked_until is not None and door.count.blocked_until > now:
                waits.append(_retry_after(door.count.blocked_until, now))
        if waits:
            raise RateLimited(message, max(waits))

    async def failed(self) -> None:
        """Starts the delays this failure has earned, each audited. The caller commits."""
        tx = self.tx
        repo = ThrottleRepository(tx.session)
        for door in self.doors:
            failures = door.count.count if door.count else 0
            delay = self.limits.delay(failures, door.free)
            if delay is None:
                continue
            await repo.block(door.scope, door.key, tx.now() + delay)
            audit.record(
                tx,
                "auth.rate_limited",
                subject=self.subject,
                actor="anonymous",
                data={
                    "limit": door.scope,
                    "failures": failures,
                    "retryAfterSeconds": int(delay.total_seconds()),
                },
            )

    async def succeeded(self) -> None:
        """The right secret: this IP's failures for the account are forgotten, and the
        attempt is not one of the IP's failures."""
        repo = ThrottleRepository(self.tx.session)
        for door in self.doors:
            if door.scope == ACCOUNT_IP:
                await repo.forget(door.scope, door.key)
            else:
                await repo.refund(door.scope, door.key)


async def begin_login(tx: Tx, subject: str, limits: LoginLimits) -> Attempt:
    """A password check for `subject` (a normalized email): counted per account and IP and
    per IP; RateLimited while a delay of either runs. A failure is audited."""
    ip = _ip(tx)
    attempt = Attempt(
        tx,
        limits,
        [
            _Door(ACCOUNT_IP, digest(f"{subject}\n{ip}"), limits.account_ip_failures),
            _Door(IP, digest(ip), limits.ip_failures),
        ],
        subject,
    )
    await attempt.count_or_refuse("too many failed sign-ins from here; try again later")
    return attempt


async def begin_code_check(tx: Tx, limits: LoginLimits) -> Attempt:
    """A password reset code is a secret to guess like a password: each check counts
    against the viewer's IP (the per-IP sign-in counter)."""
    attempt = Attempt(tx, limits, [_Door(IP, digest(_ip(tx)), limits.ip_failures)])
    await attempt.count_or_refuse("too many wrong codes from here; try again later")
    return attempt


async def charge_reset_request(tx: Tx, email: str, limits: RequestLimits) -> None:
    """Counts a password reset request against its email and the viewer's IP; RateLimited
    over either limit (the refused request is not counted). The same whether or not the
    email has an account."""
    repo = ThrottleRepository(tx.session)
    now = tx.now()
    waits = []
    for scope, key, limit in (
        (RESET_EMAIL, digest(email), limits.per_email),
        (RESET_IP, digest(_ip(tx)), limits.per_ip),
    ):
        count = await repo.charge(scope, key, now, now - limits.window)
        if count.count > limit:
            waits.append(_retry_after(count.window_started_at + limits.window, now))
    if waits:
        raise RateLimited("too many password reset requests; try again later", max(waits))
