"""policy.decide: consent, the marketing frequency cap and quiet hours in the customer's
timezone, across midnight and across a DST change; OTPs pass every rule."""

from __future__ import annotations

from datetime import UTC, datetime, time

from domain.notifications.policy import (
    Allowed,
    Blocked,
    BlockReason,
    Deferred,
    Preferences,
    decide,
    in_quiet_hours,
)
from domain.notifications.vocabulary import Channel, MessageKind

NEW_YORK = Preferences(timezone="America/New_York")
KOLKATA = Preferences(timezone="Asia/Kolkata")
T, M, OTP = MessageKind.TRANSACTIONAL, MessageKind.MARKETING, MessageKind.OTP


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_quiet_hours_wrap_around_midnight() -> None:
    start, end = time(21), time(8)
    assert in_quiet_hours(time(21), start, end)
    assert in_quiet_hours(time(23, 59), start, end)
    assert in_quiet_hours(time(0), start, end)
    assert in_quiet_hours(time(7, 59), start, end)
    assert not in_quiet_hours(time(8), start, end)
    assert not in_quiet_hours(time(20, 59), start, end)
    assert in_quiet_hours(time(13), time(13), time(14))  # a window within one day
    assert not in_quiet_hours(time(3), time(5), time(5))  # equal ends: none


def test_kolkata_evening_waits_for_eight_the_next_morning() -> None:
    # 21:30 IST = 16:00 UTC; 08:00 IST the next day = 02:30 UTC
    assert decide(T, Channel.SMS, KOLKATA, utc(2026, 3, 7, 16, 0)) == Deferred(
        utc(2026, 3, 8, 2, 30)
    )
    # 07:59 IST, past midnight: the same morning
    assert decide(T, Channel.SMS, KOLKATA, utc(2026, 3, 8, 2, 29)) == Deferred(
        utc(2026, 3, 8, 2, 30)
    )
    assert decide(T, Channel.SMS, KOLKATA, utc(2026, 3, 8, 2, 30)) == Allowed()
    # 20:59 IST: still allowed
    assert decide(T, Channel.EMAIL, KOLKATA, utc(2026, 3, 8, 15, 29)) == Allowed()


def test_new_york_quiet_night_across_the_spring_dst_change() -> None:
    # 2026-03-08 02:00 EST -> 03:00 EDT. 23:00 EST on the 7th = 04:00 UTC on the 8th.
    # 08:00 the next morning is EDT (UTC-4): 12:00 UTC, not the 13:00 of the evening's offset
    assert decide(T, Channel.SMS, NEW_YORK, utc(2026, 3, 8, 4, 0)) == Deferred(
        utc(2026, 3, 8, 12, 0)
    )
    # and at the autumn change (2026-11-01 02:00 EDT -> 01:00 EST): 23:00 EDT on Oct 31
    # (03:00 UTC) waits until 08:00 EST = 13:00 UTC
    assert decide(T, Channel.SMS, NEW_YORK, utc(2026, 11, 1, 3, 0)) == Deferred(
        utc(2026, 11, 1, 13, 0)
    )


def test_an_end_of_quiet_hours_inside_the_dst_gap_resolves_after_it() -> None:
    prefs = Preferences(timezone="America/New_York", quiet_start=time(1), quiet_end=time(2, 30))
    # 01:30 EST on the change day (06:30 UTC); 02:30 does not exist that night: 03:30 EDT
    assert decide(T, Channel.SMS, prefs, utc(2026, 3, 8, 6, 30)) == Deferred(utc(2026, 3, 8, 7, 30))


def test_otps_skip_quiet_hours_and_consent() -> None:
    refused = Preferences(timezone="Asia/Kolkata", sms_transactional=False, sms_marketing=False)
    assert decide(OTP, Channel.SMS, refused, utc(2026, 3, 7, 18, 0)) == Allowed()


def test_consent_is_kept_apart_for_marketing_and_transactional() -> None:
    no_offers = Preferences(timezone="Asia/Kolkata", sms_marketing=False)
    noon = utc(2026, 3, 7, 6, 30)  # 12:00 IST
    assert decide(M, Channel.SMS, no_offers, noon) == Blocked(BlockReason.NO_CONSENT)
    assert decide(T, Channel.SMS, no_offers, noon) == Allowed()
    assert decide(M, Channel.EMAIL, no_offers, noon) == Allowed()
    no_email = Preferences(timezone="Asia/Kolkata", email_transactional=False)
    assert decide(T, Channel.EMAIL, no_email, noon) == Blocked(BlockReason.NO_CONSENT)
    # consent is checked before quiet hours: a refusal is not merely deferred
    assert decide(M, Channel.SMS, no_offers, utc(2026, 3, 7, 17, 0)) == Blocked(
        BlockReason.NO_CONSENT
    )


def test_marketing_frequency_cap_defaults_to_one_a_day() -> None:
    noon = utc(2026, 3, 7, 6, 30)
    assert decide(M, Channel.SMS, KOLKATA, noon, marketing_sent_today=0) == Allowed()
    assert decide(M, Channel.SMS, KOLKATA, noon, marketing_sent_today=1) == Blocked(
        BlockReason.FREQUENCY_CAP
    )
    assert decide(M, Channel.SMS, KOLKATA, noon, marketing_sent_today=1, marketing_per_day=2) == (
        Allowed()
    )
    # transactional messages are never capped
    assert decide(T, Channel.SMS, KOLKATA, noon, marketing_sent_today=5) == Allowed()
