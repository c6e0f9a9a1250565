"""The owner's side of the customer status rules (domain.customers.status): the
business's VIP threshold and lapse days, a customer's VIP mode, and the daily job that
marks lapsed customers in each business's own time zone."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.accounts.models import Business
from domain.core import audit
from domain.core.clock import Clock
from domain.core.codes import CoreCode
from domain.core.db import Database
from domain.core.errors import ErrorCollector
from domain.core.money import format_money, parse_amount, quantize
from domain.core.tx import Tx
from domain.core.viewer import Role, Scope, Viewer
from domain.customers.models import Customer, VipMode
from domain.customers.service import emit_change, get_customer
from domain.customers.status import StatusRepository, StatusRules, refresh_status
from domain.purchases.service import load_business

MAX_LAPSE_DAYS = 3650
JOB_BATCH = 200


@dataclass
class RulesChange:
    vip_threshold: Decimal | None = None
    default_threshold: bool = False  # back to the currency's default
    lapse_days: int | None = None


async def set_status_rules(tx: Tx, change: RulesChange) -> Business:
    """Owner or admin. Every customer of the business follows the new rules at once."""
    tx.viewer.require_business(Scope.PURCHASES_WRITE)
    tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    business = await load_business(tx)
    errors = ErrorCollector()
    before = {"vipThreshold": business.vip_threshold, "lapseDays": business.lapse_days}
    if change.vip_threshold is not None:
        amount = parse_amount(change.vip_threshold, "vipThreshold")
        if amount < 0:
            errors.add("vipThreshold", "must not be negative", CoreCode.NEGATIVE)
        elif amount >= Decimal(10) ** 14:
            errors.add("vipThreshold", "is too large", CoreCode.TOO_LARGE)
        else:
            business.vip_threshold = quantize(amount, business.currency)
    elif change.default_threshold:
        business.vip_threshold = None
    if change.lapse_days is not None:
        if not 1 <= change.lapse_days <= MAX_LAPSE_DAYS:
            errors.add(
                "lapseDays", f"must be between 1 and {MAX_LAPSE_DAYS}", CoreCode.OUT_OF_RANGE
            )
        else:
            business.lapse_days = change.lapse_days
    errors.raise_if_any()
    await tx.session.flush()
    await StatusRepository(tx.session, tx.viewer).apply(StatusRules.of(business), tx.now())
    audit.record(
        tx,
        "business.status_rules_changed",
        target_type="business",
        target_id=business.id,
        data={
            "before": {k: str(v) if v is not None else None for k, v in before.items()},
            "after": {
                "vipThreshold": format_money(business.vip_threshold, business.currency)
                if business.vip_threshold is not None
                else None,
                "lapseDays": business.lapse_days,
            },
        },
    )
    return business


async def set_vip_mode(tx: Tx, customer_id: int, mode: str) -> Customer:
    tx.viewer.require_business(Scope.CUSTOMERS_WRITE)
    customer = await get_customer(tx, customer_id, lock=True)
    if customer.vip_mode == mode:
        return customer
    before, customer.vip_mode = customer.vip_mode, VipMode(mode)
    refresh_status(customer, StatusRules.of(await load_business(tx)), tx.now())
    customer.updated_at = tx.now()
    audit.record(
        tx,
        "customer.vip_mode_changed",
        target_type="customer",
        target_id=customer.id,
        data={"from": before, "to": mode, "isVip": customer.is_vip},
    )
    emit_change(tx, "customer.updated", customer, {"fields": ["vipMode", "isVip"]})
    return customer


@dataclass
class JobResult:
    businesses: int = 0
    activity_changed: int = 0
    vip_changed: int = 0


async def apply_status_rules(db: Database, clock: Clock) -> JobResult:
    """The daily job: every business's customers made to follow its rules as of its own
    today, one short transaction per business. Idempotent: a second run on the same day
    finds nothing to change (rows already right are not written). Run hourly, it flips
    each business soon after its own midnight."""
    result = JobResult()
    after = 0
    while True:
        async with db.read() as session:
            batch = await StatusRepository.business_ids_after(session, after, JOB_BATCH)
        if not batch:
            return result
        for business_id in batch:
            viewer = Viewer.system_actor("job:customer_status", business_id=business_id)
            async with db.unit_of_work() as session:
                tx = Tx(session, viewer, clock)
                business = await load_business(tx)
                moved, vip = await StatusRepository(session, viewer).apply(
                    StatusRules.of(business), clock.now()
                )
            result.businesses += 1
            result.activity_changed += moved
            result.vip_changed += vip
        after = batch[-1]
