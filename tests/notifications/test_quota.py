"""The monthly SMS quota and spend cap: warning from 80 %, a typed error past the limit,
usage counted per calendar month of the business by the counter the sender bumps."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest

from domain.core.clock import FrozenClock
from domain.core.tx import Tx
from domain.notifications import quota
from domain.notifications.quota import Limits, QuotaExceeded, QuotaLevel, Usage, check
from khata.runtime import Runtime
from tests.conftest import Actor, gql, sign_up, viewer_of
from tests.notifications.helpers import LIMITS, USAGE


def test_check_warns_from_80_percent_and_refuses_past_the_quota() -> None:
    limits = Limits(quota=100)
    assert check(Usage("2026-03", 0, 70, limits), 9).level is QuotaLevel.OK  # 79 %
    assert check(Usage("2026-03", 0, 70, limits), 10).level is QuotaLevel.WARNING  # 80 %
    assert check(Usage("2026-03", 0, 98, limits), 2).level is QuotaLevel.EXCEEDED  # 100 %
    with pytest.raises(QuotaExceeded) as caught:
        check(Usage("2026-03", 0, 99, limits), 2)  # a 2-part SMS does not fit in 1
    assert caught.value.code == "SMS_QUOTA_EXCEEDED"
    assert check(Usage("2026-03", 0, 10**6, Limits()), 5).level is QuotaLevel.OK  # no limit


def test_check_refuses_past_the_spend_cap() -> None:
    limits = Limits(spend_cap=Decimal("10.00"), segment_price=Decimal("0.25"))
    assert check(Usage("2026-03", 0, 30, limits), 2).level is QuotaLevel.WARNING  # 8.00
    assert check(Usage("2026-03", 0, 38, limits), 2).spent == Decimal("10.00")
    with pytest.raises(QuotaExceeded) as caught:
        check(Usage("2026-03", 0, 39, limits), 2)
    assert caught.value.code == "SMS_SPEND_CAP_EXCEEDED"


async def record(runtime: Runtime, actor: Actor, clock: FrozenClock, segments: int) -> None:
    async with runtime.db.unit_of_work() as session:
        await quota.record(Tx(session, viewer_of(actor), clock), segments)


async def check_send(runtime: Runtime, actor: Actor, clock: FrozenClock, segments: int) -> Usage:
    async with runtime.db.read() as session:
        return await quota.check_send(Tx(session, viewer_of(actor), clock), segments)


async def test_usage_counts_per_month_and_warns_then_refuses(
    clocked: tuple[httpx.AsyncClient, FrozenClock], runtime: Runtime
) -> None:
    client, clock = clocked
    actor = await sign_up(client, "KE")
    set_limits = await actor.gql(LIMITS, {"input": {"smsMonthlyQuota": 10}})
    usage = set_limits["data"]["updateSmsLimits"]["usage"]
    assert (usage["quota"], usage["segments"], usage["level"]) == (10, 0, "OK")
    for segments in (3, 2, 2):  # three sends
        assert (await check_send(runtime, actor, clock, segments)).segments <= 10
        await record(runtime, actor, clock, segments)
    usage = (await actor.gql(USAGE))["data"]["smsUsage"]
    assert (usage["messages"], usage["segments"], usage["usedPercent"]) == (3, 7, "70.0")
    assert usage["level"] == "OK"
    assert (await check_send(runtime, actor, clock, 1)).level is QuotaLevel.WARNING
    await record(runtime, actor, clock, 1)
    usage = (await actor.gql(USAGE))["data"]["smsUsage"]
    assert (usage["usedPercent"], usage["level"]) == ("80.0", "WARNING")
    with pytest.raises(QuotaExceeded):
        await check_send(runtime, actor, clock, 3)  # 8 + 3 > 10: nothing may go
    assert (await check_send(runtime, actor, clock, 2)).level is QuotaLevel.EXCEEDED
    # the next calendar month in Nairobi starts from zero
    month = usage["month"]
    clock.advance(days=32)
    await actor.sign_in_again()
    fresh = (await actor.gql(USAGE))["data"]["smsUsage"]
    assert fresh["month"] != month
    assert (fresh["segments"], fresh["level"]) == (0, "OK")


async def test_concurrent_senders_add_up(runtime: Runtime, owner: Actor) -> None:
    clock = runtime.clock
    await asyncio.gather(*(record(runtime, owner, clock, 2) for _ in range(5)))  # type: ignore[arg-type]
    usage = (await owner.gql(USAGE))["data"]["smsUsage"]
    assert (usage["messages"], usage["segments"]) == (5, 10)


async def test_a_spend_cap_needs_a_price_and_shows_what_was_spent(owner: Actor) -> None:
    refused = (await owner.gql(LIMITS, {"input": {"smsSpendCap": "500"}}))["data"]
    assert refused["updateSmsLimits"]["__typename"] == "ValidationError"
    assert refused["updateSmsLimits"]["fields"] == [
        {"field": "smsSegmentPrice", "code": "REQUIRED"}
    ]
    negative = (await owner.gql(LIMITS, {"input": {"smsMonthlyQuota": -1}}))["data"]
    assert negative["updateSmsLimits"]["fields"][0]["code"] == "OUT_OF_RANGE"
    done = (await owner.gql(LIMITS, {"input": {"smsSpendCap": "500", "smsSegmentPrice": "0.125"}}))[
        "data"
    ]["updateSmsLimits"]["usage"]
    assert done["spendCap"] == {"amount": "500.00", "currency": "INR"}
    assert done["segmentPrice"] == {"amount": "0.125"}
    assert done["spent"] == {"amount": "0.00", "currency": "INR"}
    assert done["quota"] is None


async def test_only_owners_and_admins_set_limits(client: httpx.AsyncClient, owner: Actor) -> None:
    key = await gql(
        client,
        """mutation { createApiKey(input: {name: "n", scopes: [NOTIFICATIONS_WRITE]}) {
        ... on CreateApiKeyPayload { secret } } }""",
        headers=owner.headers,
    )
    headers = {"authorization": f"Bearer {key['data']['createApiKey']['secret']}"}
    body = await gql(client, LIMITS, {"input": {"smsMonthlyQuota": 5}}, headers=headers)
    assert body["data"]["updateSmsLimits"]["__typename"] == "PermissionError"
