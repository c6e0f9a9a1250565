"""Customers' notification preferences through the API: the derived timezone, consent,
quiet hours read at the app's (controlled) clock, across midnight and a DST change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import select

from domain.core.audit import AuditEvent
from domain.core.clock import FrozenClock
from khata.runtime import Runtime
from schema.relay import expect_id
from tests.conftest import Actor, sign_up
from tests.notifications.helpers import (
    DECISION,
    PREFERENCES,
    UPDATE_PREFERENCES,
    customer,
)


def at(clock: FrozenClock, when: datetime) -> None:
    """Moves the frozen clock to `when` (forwards only, as time goes)."""
    assert when >= clock.now()
    clock.advance(seconds=(when - clock.now()).total_seconds())


def next_spring_change(after: datetime) -> date:
    """The next second Sunday of March (New York's DST start) after `after`."""
    for year in (after.year, after.year + 1):
        first = date(year, 3, 1)
        change = first + timedelta(days=(6 - first.weekday()) % 7 + 7)
        if datetime(year, 3, 1, tzinfo=UTC) > after:
            return change
    raise AssertionError("unreachable")


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def iso(day: date, hour: int, minute: int = 0) -> str:
    return utc(day, hour, minute).isoformat()


async def decision(actor: Actor, customer_id: str, kind: str = "TRANSACTIONAL") -> dict:  # type: ignore[type-arg]
    body = await actor.gql(DECISION, {"id": customer_id, "channel": "SMS", "kind": kind})
    return body["data"]["notificationDecision"]  # type: ignore[no-any-return]


async def update(actor: Actor, **input: object) -> dict:  # type: ignore[type-arg]
    body = await actor.gql(UPDATE_PREFERENCES, {"input": input})
    return body["data"]["updateNotificationPreferences"]  # type: ignore[no-any-return]


async def test_timezone_comes_from_the_phone_then_the_business_until_set(owner: Actor) -> None:
    nyc = await customer(owner, name="Dana", phone="+12125551234")
    local = await customer(owner, name="Meena", phone="9812345678")
    walk_in = await customer(owner, name="Walk-in")
    prefs = {
        cid: (await owner.gql(PREFERENCES, {"id": cid}))["data"]["notificationPreferences"]
        for cid in (nyc, local, walk_in)
    }
    assert prefs[nyc]["timezone"] == "America/New_York"
    assert prefs[local]["timezone"] == "Asia/Kolkata"  # the business's (the phone agrees)
    assert prefs[walk_in]["timezone"] == "Asia/Kolkata"
    assert all(p["timezoneDerived"] for p in prefs.values())
    assert prefs[nyc]["quietHoursStart"] == "21:00" and prefs[nyc]["quietHoursEnd"] == "08:00"
    assert prefs[nyc]["smsMarketing"] and prefs[nyc]["source"] is None

    moved = await update(owner, customerId=nyc, timezone="Europe/London", language="hi")
    assert moved["preferences"]["timezone"] == "Europe/London"
    assert not moved["preferences"]["timezoneDerived"]
    assert moved["preferences"]["language"] == "hi"
    assert moved["preferences"]["source"] == "staff"
    back = await update(owner, customerId=nyc, timezone=None)
    assert back["preferences"]["timezone"] == "America/New_York"
    assert back["preferences"]["language"] == "hi"  # untouched: not named

    hours = await update(owner, customerId=nyc, quietHours={"start": "25:00", "end": "7"})
    assert {(f["field"], f["code"]) for f in hours["fields"]} == {
        ("quietHours.start", "INVALID"),
        ("quietHours.end", "INVALID"),
    }
    bad = await update(owner, customerId=nyc, timezone="Mars/Olympus", language="zz-top")
    assert bad["__typename"] == "ValidationError"
    assert {(f["field"], f["code"]) for f in bad["fields"]} == {
        ("timezone", "INVALID_TIMEZONE"),
        ("language", "INVALID_CHOICE"),
    }


async def test_consent_changes_are_kept_apart_and_audited(owner: Actor, runtime: Runtime) -> None:
    cid = await customer(owner, name="Opt Out", phone="+254712340000")
    changed = await update(owner, customerId=cid, smsMarketing=False)
    p = changed["preferences"]
    assert (p["smsMarketing"], p["smsTransactional"], p["emailMarketing"]) == (False, True, True)
    assert (await decision(owner, cid, "MARKETING"))["reason"] in ("NO_CONSENT",)
    async with runtime.db.read() as session:
        events = (
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "notifications.consent_changed",
                    AuditEvent.target_id == expect_id(cid, "Customer"),
                )
            )
        ).all()
    assert len(events) == 1
    assert events[0].data["after"]["smsMarketing"] is False
    assert events[0].data["before"]["smsMarketing"] is True
    # a change of quiet hours alone is no consent change: no second audit event
    await update(owner, customerId=cid, quietHours={"start": "22:00", "end": "07:00"})
    async with runtime.db.read() as session:
        count = len(
            (
                await session.scalars(
                    select(AuditEvent).where(
                        AuditEvent.action == "notifications.consent_changed",
                        AuditEvent.target_id == expect_id(cid, "Customer"),
                    )
                )
            ).all()
        )
    assert count == 1


async def test_quiet_hours_follow_the_clock_across_midnight_and_dst(
    clocked: tuple[httpx.AsyncClient, FrozenClock],
) -> None:
    client, clock = clocked
    actor = await sign_up(client, "IN")
    nyc = await customer(actor, name="Dana", phone="+12125551234")
    kolkata = await customer(actor, name="Meena", phone="9812345678")
    # the evening before New York's spring DST change (02:00 EST -> 03:00 EDT): 20:59 EST
    # is 01:59 UTC on the day of the change
    day = next_spring_change(clock.now())
    at(clock, utc(day, 1, 59))
    await actor.sign_in_again()
    assert (await decision(actor, nyc))["outcome"] == "ALLOWED"
    # Kolkata at that moment is 07:29 IST: quiet until 08:00 IST = 02:30 UTC
    assert await decision(actor, kolkata) == {
        "outcome": "DEFERRED",
        "until": iso(day, 2, 30),
        "reason": None,
    }
    clock.advance(minutes=1)  # 21:00 EST: quiet until 08:00 EDT (12:00 UTC, not 13:00)
    assert await decision(actor, nyc) == {
        "outcome": "DEFERRED",
        "until": iso(day, 12),
        "reason": None,
    }
    clock.advance(hours=4)  # 02:00 EST is 03:00 EDT: after midnight, same morning
    assert (await decision(actor, nyc))["until"] == iso(day, 12)
    assert (await decision(actor, kolkata))["outcome"] == "ALLOWED"  # 11:30 IST
    at(clock, utc(day, 12))
    assert (await decision(actor, nyc))["outcome"] == "ALLOWED"
    assert (await decision(actor, nyc, "OTP"))["outcome"] == "ALLOWED"
    # own quiet hours (none at all: equal ends) and an opt-out
    at(clock, utc(day + timedelta(days=1), 2))  # 22:00 EDT
    await actor.sign_in_again()
    assert (await decision(actor, nyc))["outcome"] == "DEFERRED"
    await update(actor, customerId=nyc, quietHours={"start": "00:00", "end": "00:00"})
    assert (await decision(actor, nyc))["outcome"] == "ALLOWED"
    await update(actor, customerId=nyc, smsTransactional=False)
    assert await decision(actor, nyc) == {
        "outcome": "BLOCKED",
        "until": None,
        "reason": "NO_CONSENT",
    }
    assert (await decision(actor, nyc, "OTP"))["outcome"] == "ALLOWED"
