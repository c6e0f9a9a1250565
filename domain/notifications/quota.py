"""The monthly SMS quota and spend cap of a business. SMS go out on the platform's
account, so each business has a ceiling: a number of segments a month, a spend cap (at a
price per segment), or both. `check` warns from 80 % and refuses a send that would go
past either; months are calendar months in the business's timezone.

The delivery pipeline calls `check_send` before a send (a campaign stops cleanly at the
first refusal) and `record` after the provider accepted it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.accounts import queries as accounts
from domain.core.codes import CoreCode
from domain.core.errors import DomainError, ErrorCollector, NotFound
from domain.core.money import quantize
from domain.core.tx import Tx
from domain.core.viewer import Role, Scope
from domain.notifications.template_codes import TemplatesCode
from domain.notifications.template_models import NotificationSettings
from domain.notifications.template_repository import TemplateRepository

WARN_AT = Decimal("0.8")
MAX_QUOTA = 10_000_000


class QuotaLevel(StrEnum):
    OK = "ok"
    WARNING = "warning"  # 80 % or more of a limit used
    EXCEEDED = "exceeded"  # a limit reached: no further segment fits


@dataclass(frozen=True)
class Limits:
    quota: int | None = None  # segments a month
    spend_cap: Decimal | None = None  # money a month, in the business's currency
    segment_price: Decimal | None = None


@dataclass(frozen=True)
class Usage:
    month: str
    messages: int
    segments: int
    limits: Limits

    @property
    def spent(self) -> Decimal | None:
        price = self.limits.segment_price
        return None if price is None else price * self.segments

    @property
    def used_fraction(self) -> Decimal | None:
        """The larger share used of either limit; None without limits."""
        shares = []
        if self.limits.quota is not None:
            shares.append(Decimal(self.segments) / max(self.limits.quota, 1))
        if self.limits.spend_cap is not None and self.spent is not None:
            shares.append(self.spent / max(self.limits.spend_cap, Decimal("0.001")))
        return max(shares) if shares else None

    @property
    def level(self) -> QuotaLevel:
        share = self.used_fraction
        if share is None or share < WARN_AT:
            return QuotaLevel.OK
        return QuotaLevel.EXCEEDED if share >= 1 else QuotaLevel.WARNING


class QuotaExceeded(DomainError):
    """A send that would go past the month's quota or spend cap; nothing was sent."""

    code = TemplatesCode.SMS_QUOTA_EXCEEDED

    def __init__(self, message: str, usage: Usage, code: TemplatesCode) -> None:
        super().__init__(message, code)
        self.usage = usage


def check(usage: Usage, segments: int) -> Usage:
    """Usage after sending `segments` more; raises QuotaExceeded when that goes past a
    limit. The answer's `level` says WARNING from 80 %."""
    after = Usage(usage.month, usage.messages + 1, usage.segments + segments, usage.limits)
    limits = usage.limits
    if limits.quota is not None and after.segments > limits.quota:
        raise QuotaExceeded(
            f"the monthly SMS quota of {limits.quota} segments is used up "
            f"({usage.segments} used, this message needs {segments})",
            usage,
            TemplatesCode.SMS_QUOTA_EXCEEDED,
        )
    spent = after.spent
    if limits.spend_cap is not None and spent is not None and spent > limits.spend_cap:
        raise QuotaExceeded(
            f"the monthly SMS spend cap of {limits.spend_cap} would be passed "
            f"({usage.spent} spent, this message costs {spent - (usage.spent or 0)})",
            usage,
            TemplatesCode.SMS_SPEND_CAP_EXCEEDED,
        )
    return after


def month_of(now: datetime, timezone: str) -> str:
    return now.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


async def _business(tx: Tx) -> tuple[str, str]:
    business = await accounts.viewer_business(tx)
    if business is None:
        raise NotFound("business")
    return business.timezone, business.currency


def limits_of(row: NotificationSettings | None) -> Limits:
    if row is None:
        return Limits()
    return Limits(row.sms_monthly_quota, row.sms_spend_cap, row.sms_segment_price)


async def current_usage(tx: Tx, timezone: str | None = None) -> Usage:
    """This month's SMS usage of the viewer's business, with its limits. `timezone`: the
    business's, when the caller has read it already (the send rules)."""
    tx.viewer.require_business(Scope.NOTIFICATIONS_READ)
    if timezone is None:
        timezone, _ = await _business(tx)
    repo = TemplateRepository(tx.session, tx.viewer)
    month = month_of(tx.now(), timezone)
    row = await repo.usage(month)
    limits = limits_of(await repo.settings())
    if row is None:
        return Usage(month, 0, 0, limits)
    return Usage(month, row.messages, row.segments, limits)


async def check_send(tx: Tx, segments: int, timezone: str | None = None) -> Usage:
    """Before a send: the usage it would bring, or QuotaExceeded."""
    return check(await current_usage(tx, timezone), segments)


async def record(tx: Tx, segments: int, messages: int = 1) -> None:
    """After a send the provider accepted: counted in this month of the business."""
    timezone, _ = await _business(tx)
    await TemplateRepository(tx.session, tx.viewer).add_usage(
        month_of(tx.now(), timezone), messages, segments
    )


async def update_limits(tx: Tx, limits: Limits) -> Usage:
    """Owner or admin; a spend cap needs a price per segment to count against."""
    business_id = tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    _, currency = await _business(tx)
    errors = ErrorCollector()
    if limits.quota is not None and not 0 <= limits.quota <= MAX_QUOTA:
        errors.add("smsMonthlyQuota", f"must be 0 to {MAX_QUOTA}", CoreCode.OUT_OF_RANGE)
    for name, value in (
        ("smsSpendCap", limits.spend_cap),
        ("smsSegmentPrice", limits.segment_price),
    ):
        if value is not None and value < 0:
            errors.add(name, "must not be negative", CoreCode.NEGATIVE)
    if limits.spend_cap is not None and limits.segment_price is None:
        errors.add("smsSegmentPrice", "a spend cap needs a price per segment", CoreCode.REQUIRED)
    errors.raise_if_any()
    repo = TemplateRepository(tx.session, tx.viewer)
    row = await repo.settings()
    if row is None:
        row = NotificationSettings(business_id=business_id, updated_at=tx.now())
        await repo.add(row)
    row.sms_monthly_quota = limits.quota
    row.sms_spend_cap = None if limits.spend_cap is None else quantize(limits.spend_cap, currency)
    row.sms_segment_price = limits.segment_price
    row.updated_at = tx.now()
    await tx.session.flush()
    return await current_usage(tx)
