"""Status rules (seed 004), per business: VIP three-valued (AUTO by the threshold, ALWAYS,
NEVER) applied on every write; lapsed after `lapseDays` without a sale, by a daily job
in the business's time zone that changes nothing when run twice in a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.core.clock import FrozenClock
from domain.customers.status import default_vip_threshold
from domain.purchases.rules import apply_status_rules
from khata.runtime import Runtime
from tests.conftest import Actor, create_customer
from tests.invoicing.helpers import invoice
from tests.purchases.helpers import (
    DELETE,
    RULES,
    VIP_MODE,
    customer,
    item,
    new_customer,
    record,
)

RULES_QUERY = (
    "{ customerStatusRules { vipThreshold { amount currency } vipThresholdIsDefault lapseDays } }"
)
FILTERED = """query($f: CustomerFilterInput) { customers(first: 100, filter: $f) {
  edges { node { id } } } }"""


async def _ids(actor: Actor, f: dict[str, object]) -> set[str]:
    body = await actor.gql(FILTERED, {"f": f})
    return {e["node"]["id"] for e in body["data"]["customers"]["edges"]}


def test_default_threshold_is_50000_rupees_in_round_local_money() -> None:
    assert default_vip_threshold("INR") == 50000
    assert default_vip_threshold("KES") == 76000
    assert default_vip_threshold("ZAR") == 10000
    assert default_vip_threshold("OMR") == 230
    assert default_vip_threshold("XOF") is None  # no reference rate: the owner sets one


async def test_rules_default_per_currency_and_owner_sets_them(
    owner: Actor, other_owner: Actor
) -> None:
    rules = (await owner.gql(RULES_QUERY))["data"]["customerStatusRules"]
    assert rules == {
        "vipThreshold": {"amount": "50000.00", "currency": "INR"},
        "vipThresholdIsDefault": True,
        "lapseDays": 90,
    }
    kenya = (await other_owner.gql(RULES_QUERY))["data"]["customerStatusRules"]
    assert kenya["vipThreshold"] == {"amount": "76000.00", "currency": "KES"}
    bad = (await owner.gql(RULES, {"input": {"vipThreshold": "-1", "lapseDays": 0}}))["data"]
    assert {f["field"] for f in bad["setCustomerStatusRules"]["fields"]} == {
        "vipThreshold",
        "lapseDays",
    }
    done = (await owner.gql(RULES, {"input": {"vipThreshold": "1000", "lapseDays": 30}}))["data"]
    assert done["setCustomerStatusRules"]["rules"] == {
        "vipThreshold": {"amount": "1000.00", "currency": "INR"},
        "vipThresholdIsDefault": False,
        "lapseDays": 30,
    }
    back = (await owner.gql(RULES, {"input": {"useDefaultVipThreshold": True}}))["data"]
    assert back["setCustomerStatusRules"]["rules"]["vipThreshold"]["amount"] == "50000.00"


async def test_vip_auto_always_never(owner: Actor) -> None:
    await owner.gql(RULES, {"input": {"vipThreshold": "1000"}})
    cid = await new_customer(owner)
    small = await new_customer(owner, name="Small Spender")
    first = await record(owner, cid, [item("Saree", "600")])
    assert (first["customer"]["isVip"], first["customer"]["vipMode"]) == (False, "AUTO")
    second = await record(owner, cid, [item("Shawl", "400")])
    assert second["customer"]["isVip"] is True  # 1000 reached: VIP on the write
    assert cid in await _ids(owner, {"isVip": True})

    never = await owner.gql(VIP_MODE, {"input": {"customerId": cid, "mode": "NEVER"}})
    assert never["data"]["setCustomerVipMode"]["customer"]["isVip"] is False
    await record(owner, cid, [item("Shawl", "5000")])
    assert (await customer(owner, cid))["isVip"] is False  # NEVER holds whatever is spent
    always = await owner.gql(VIP_MODE, {"input": {"customerId": small, "mode": "ALWAYS"}})
    assert always["data"]["setCustomerVipMode"]["customer"]["isVip"] is True
    assert await _ids(owner, {"vipMode": ["ALWAYS"]}) == {small}

    auto = await owner.gql(VIP_MODE, {"input": {"customerId": cid, "mode": "AUTO"}})
    assert auto["data"]["setCustomerVipMode"]["customer"]["isVip"] is True
    # raising the threshold moves every AUTO customer at once
    await owner.gql(RULES, {"input": {"vipThreshold": "100000"}})
    assert (await customer(owner, cid))["isVip"] is False
    assert (await customer(owner, small))["isVip"] is True


async def test_vip_follows_invoices_and_deletions(owner: Actor) -> None:
    await owner.gql(RULES, {"input": {"vipThreshold": "1000"}})
    cid = await new_customer(owner)
    bought = await record(owner, cid, [item("Lamp", "300")])
    await invoice(
        owner, cid, [{"description": "Sofa", "quantity": "1", "unitPrice": "800", "taxRate": "0"}]
    )
    assert (await customer(owner, cid))["isVip"] is True  # 300 + 800 billed
    body = await owner.gql(DELETE, {"input": {"id": bought["purchase"]["id"]}})
    assert body["data"]["deletePurchase"]["customer"]["isVip"] is False  # 800 < 1000


async def test_the_old_manual_flag_means_always(owner: Actor) -> None:
    made = await create_customer(owner, name="Old VIP", isVip=True)
    c = await customer(owner, made["customer"]["id"])
    assert (c["vipMode"], c["isVip"]) == ("ALWAYS", True)


async def test_lapse_job_twice_in_a_day_in_the_business_time_zone(
    owner: Actor, runtime: Runtime
) -> None:
    # 19:00 UTC is 00:30 the next day in India: the rule reads the business's date
    now = datetime.now(UTC).replace(hour=19, minute=0, second=0, microsecond=0)
    local_today = (now + timedelta(hours=5, minutes=30)).date()
    cutoff = local_today - timedelta(days=90)
    old = await new_customer(owner, name="Old Regular")
    edge = await new_customer(owner, name="Edge Regular")
    fresh = await new_customer(owner, name="Fresh Regular")

    def at(day: object) -> str:
        return f"{day}T12:00:00+05:30"

    await record(owner, old, [item("Tea", "5")], purchasedAt=at(cutoff - timedelta(days=1)))
    await record(owner, edge, [item("Tea", "5")], purchasedAt=at(cutoff))
    await record(owner, fresh, [item("Tea", "5")], purchasedAt=at(local_today - timedelta(days=3)))
    # written with the real clock: whatever the job says, the write already applied the rule
    clock = FrozenClock(now)
    first = await apply_status_rules(runtime.db, clock)
    assert first.businesses >= 1
    states = {cid: (await customer(owner, cid))["activity"] for cid in (old, edge, fresh)}
    # cutoff - 1 is more than 90 local days ago; the cutoff day itself is not (in UTC the
    # date is still the day before, and `old` would not be lapsed yet)
    assert states == {old: "LAPSED", edge: "ACTIVE", fresh: "ACTIVE"}
    assert await _ids(owner, {"activity": "LAPSED"}) >= {old}
    assert edge not in await _ids(owner, {"activity": "LAPSED"})

    clock.advance(hours=3)  # same local day, second run: nothing to change
    second = await apply_status_rules(runtime.db, clock)
    assert (second.activity_changed, second.vip_changed) == (0, 0)
    assert {cid: (await customer(owner, cid))["activity"] for cid in states} == states

    clock.advance(days=1)  # the next local day: the edge customer lapses
    await apply_status_rules(runtime.db, clock)
    assert (await customer(owner, edge))["activity"] == "LAPSED"

    # a sale makes a lapsed customer active at once, no job needed
    back = await record(owner, old, [item("Tea", "5")])
    assert back["customer"]["activity"] == "ACTIVE"
