"""Whether a message may go to a customer now: a pure decision over the customer's
preferences, the time and the count the caller loaded (campaign messages already sent
to this customer today, from the delivery ledger).

Order of the rules: consent (a refusal blocks), the marketing frequency cap (blocks:
a capped campaign recipient is skipped, not queued), then quiet hours (defer to the
first minute after them, in the customer's timezone). OTPs pass every rule: the person
asked for the code a moment ago."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.notifications.vocabulary import Channel, MessageKind

DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(8, 0)
DEFAULT_MARKETING_PER_DAY = 1


@dataclass(frozen=True)
class Preferences:
    """What one customer of one business allows (preferences.effective builds it)."""

    timezone: str
    language: str = "en"
    sms_transactional: bool = True
    sms_marketing: bool = True
    email_transactional: bool = True
    email_marketing: bool = True
    quiet_start: time = DEFAULT_QUIET_START
    quiet_end: time = DEFAULT_QUIET_END

    def allows(self, channel: Channel, kind: MessageKind) -> bool:
        if kind is MessageKind.OTP:
            return True
        marketing = kind is MessageKind.MARKETING
        if channel is Channel.SMS:
            return self.sms_marketing if marketing else self.sms_transactional
        return self.email_marketing if marketing else self.email_transactional


class BlockReason(StrEnum):
    NO_CONSENT = "no_consent"
    FREQUENCY_CAP = "frequency_cap"


@dataclass(frozen=True)
class Allowed:
    pass


@dataclass(frozen=True)
class Deferred:
    until: datetime  # UTC: the first minute after the quiet hours


@dataclass(frozen=True)
class Blocked:
    reason: BlockReason


Decision = Allowed | Deferred | Blocked


def decide(
    kind: MessageKind,
    channel: Channel,
    prefs: Preferences,
    now: datetime,
    *,
    marketing_sent_today: int = 0,
    marketing_per_day: int = DEFAULT_MARKETING_PER_DAY,
) -> Decision:
    if kind is MessageKind.OTP:
        return Allowed()
    if not prefs.allows(channel, kind):
        return Blocked(BlockReason.NO_CONSENT)
    if kind is MessageKind.MARKETING and marketing_sent_today >= marketing_per_day:
        return Blocked(BlockReason.FREQUENCY_CAP)
    until = quiet_until(prefs, now)
    return Allowed() if until is None else Deferred(until)


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    """Quiet from `start` (included) to `end` (excluded); a window that crosses midnight
    (21:00-08:00) wraps; equal ends mean no quiet hours."""
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_until(prefs: Preferences, now: datetime) -> datetime | None:
    """None when `now` is outside the customer's quiet hours, else the UTC instant their
    quiet hours end: `quiet_end` on the local calendar, whatever the UTC offset is that
    day (a DST change in between moves the UTC instant, not the local minute)."""
    zone = ZoneInfo(prefs.timezone)
    local = now.astimezone(zone)
    wall = local.time().replace(tzinfo=None)
    if not in_quiet_hours(wall, prefs.quiet_start, prefs.quiet_end):
        return None
    day = local.date()
    if wall >= prefs.quiet_end:  # evening part of a window that ends tomorrow
        day += timedelta(days=1)
    end = datetime.combine(day, prefs.quiet_end, tzinfo=zone)
    # an end inside a spring-forward gap resolves to the instant after the gap
    return end.astimezone(UTC)
