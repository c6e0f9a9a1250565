"""Customer status rules (seed 004), per business: VIP by total spent, lapsed after a
quiet spell. Neither touches the soft-delete `status` (deactivateCustomer).

- Total spent counts every sale once: the customer's invoices at their billed amount
  (`total_billed`: total less credit notes, void ones never) plus its counter purchases
  (`purchase_total`), both in the business's currency. Payments settle invoices; they
  are never added again.
- VIP is three-valued for the owner (`vip_mode`): ALWAYS, NEVER, or AUTO, which is VIP
  once total spent reaches the business's threshold. The effective flag (`is_vip`) is
  set on every write that moves total spent, and again when the threshold changes.
- Activity: LAPSED when the last sale (counter purchase or invoice; the day the customer
  was added when there is none) is more than `lapse_days` days before the business's
  today; else ACTIVE. A sale makes the customer ACTIVE at once; the daily job
  (`StatusRepository.apply`) marks the lapsed ones, idempotently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.accounts.models import Business
from domain.core.money import quantize
from domain.core.repository import TenantRepository
from domain.customers.models import Activity, Customer, VipMode

DEFAULT_LAPSE_DAYS = 90
REFERENCE_INR = Decimal(50_000)
# Rupees per unit of each currency, rounded reference rates (mid-2025). The default VIP
# threshold is ₹50,000 converted at these rates and rounded to two significant figures
# (KES 76,000, ZAR 10,000, OMR 230, USD 590), so it stays a round number the owner
# recognises and does not move with the market; the owner sets an exact one any time.
# A currency missing here has no default: its AUTO customers stay non-VIP until the
# owner sets a threshold.
INR_PER_UNIT: dict[str, Decimal] = {
    k: Decimal(v)
    for k, v in {
        "INR": "1",
        "KES": "0.66",
        "ZAR": "4.8",
        "OMR": "221",
        "AED": "23.2",
        "SAR": "22.7",
        "QAR": "23.4",
        "KWD": "278",
        "BHD": "226",
        "USD": "85",
        "EUR": "95",
        "GBP": "112",
        "TZS": "0.033",
        "UGX": "0.023",
        "RWF": "0.06",
        "NGN": "0.055",
        "GHS": "8.2",
        "ETB": "0.62",
        "PKR": "0.30",
        "BDT": "0.70",
        "LKR": "0.28",
        "NPR": "0.625",
        "SGD": "66",
        "MYR": "20",
        "AUD": "56",
        "CAD": "62",
        "JPY": "0.58",
        "CNY": "11.8",
    }.items()
}


def default_vip_threshold(currency: str) -> Decimal | None:
    """₹50,000 in `currency`, rounded to two significant figures (None: no known rate)."""
    rate = INR_PER_UNIT.get(currency)
    if rate is None:
        return None
    amount = REFERENCE_INR / rate
    digits = amount.adjusted() - 1  # keep two significant figures
    step = Decimal(1).scaleb(digits)
    return quantize((amount / step).quantize(Decimal(1)) * step, currency)


@dataclass(frozen=True)
class StatusRules:
    vip_threshold: Decimal | None
    lapse_days: int
    timezone: str

    @classmethod
    def of(cls, business: Any) -> StatusRules:
        """From an accounts Business row (its own threshold, else the default)."""
        threshold = business.vip_threshold
        if threshold is None:
            threshold = default_vip_threshold(business.currency)
        lapse = business.lapse_days if business.lapse_days is not None else DEFAULT_LAPSE_DAYS
        return cls(threshold, int(lapse), business.timezone)

    def today(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.timezone)).date()

    def cutoff(self, now: datetime) -> date:
        """A customer whose last sale is before this day is lapsed."""
        return self.today(now) - timedelta(days=self.lapse_days)


def total_spent(customer: Customer) -> Decimal:
    return (customer.total_billed or Decimal(0)) + (customer.purchase_total or Decimal(0))


def vip_by_rule(mode: str, spent: Decimal, threshold: Decimal | None) -> bool:
    if mode == VipMode.ALWAYS:
        return True
    if mode == VipMode.NEVER:
        return False
    return threshold is not None and spent >= threshold


def last_sale_on(customer: Customer) -> date | None:
    """The later of the last counter purchase and the last invoice's issue date."""
    days = [customer.last_purchase_on]
    if customer.last_invoice_at is not None:
        days.append(customer.last_invoice_at.astimezone(UTC).date())  # stored at UTC midnight
    known = [d for d in days if d is not None]
    return max(known) if known else None


def activity_on(customer: Customer, rules: StatusRules, now: datetime) -> Activity:
    cutoff = rules.cutoff(now)
    last = last_sale_on(customer)
    if last is None:
        added = customer.created_at.astimezone(ZoneInfo(rules.timezone)).date()
        return Activity.LAPSED if added < cutoff else Activity.ACTIVE
    return Activity.LAPSED if last < cutoff else Activity.ACTIVE


def refresh_status(customer: Customer, rules: StatusRules, now: datetime) -> bool:
    """Sets the effective VIP flag and the activity from the stored totals; True when
    either changed."""
    vip = vip_by_rule(customer.vip_mode or VipMode.AUTO, total_spent(customer), rules.vip_threshold)
    activity = activity_on(customer, rules, now)
    changed = vip != customer.is_vip or activity != customer.activity
    customer.is_vip, customer.activity = vip, activity
    return changed


def _local_midnight_utc(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


class StatusRepository(TenantRepository):
    """The set-based form of the rules, for one business: the daily job and a change of
    the threshold rewrite every customer whose state differs, in two UPDATEs."""

    def _lapsed(self, rules: StatusRules, now: datetime) -> Any:
        cutoff = rules.cutoff(now)
        invoice_cutoff = datetime(cutoff.year, cutoff.month, cutoff.day, tzinfo=UTC)
        return and_(
            or_(Customer.last_purchase_on.is_(None), Customer.last_purchase_on < cutoff),
            or_(Customer.last_invoice_at.is_(None), Customer.last_invoice_at < invoice_cutoff),
            or_(
                Customer.last_purchase_on.is_not(None),
                Customer.last_invoice_at.is_not(None),
                Customer.created_at < _local_midnight_utc(cutoff, rules.timezone),
            ),
        )

    def _vip(self, rules: StatusRules) -> Any:
        spent = Customer.total_billed + Customer.purchase_total
        auto = spent >= rules.vip_threshold if rules.vip_threshold is not None else false()
        return case(
            (Customer.vip_mode == VipMode.ALWAYS, True),
            (Customer.vip_mode == VipMode.NEVER, False),
            else_=auto,
        )

    async def apply(self, rules: StatusRules, now: datetime) -> tuple[int, int]:
        """Activity and VIP of every customer of the business made to follow the rules;
        rows already right are not written, so a second run changes nothing. Returns
        (activity rows changed, VIP rows changed)."""
        lapsed = self._lapsed(rules, now)
        state = case((lapsed, Activity.LAPSED.value), else_=Activity.ACTIVE.value)
        moved = await self.s.execute(
            update(Customer)
            .where(self.read_policy(Customer), Customer.activity != state)
            .values(activity=state)
            .execution_options(synchronize_session=False)
        )
        return int(moved.rowcount or 0), await self.apply_vip(rules)  # type: ignore[attr-defined]

    async def apply_vip(self, rules: StatusRules) -> int:
        vip = self._vip(rules)
        moved = await self.s.execute(
            update(Customer)
            .where(self.read_policy(Customer), Customer.is_vip != vip)
            .values(is_vip=vip)
            .execution_options(synchronize_session=False)
        )
        return int(moved.rowcount or 0)  # type: ignore[attr-defined]

    @staticmethod
    async def business_ids_after(session: AsyncSession, after: int, limit: int) -> list[int]:
        """The daily job's walk over every business (a system read, no tenant)."""
        stmt = select(Business.id).where(Business.id > after).order_by(Business.id).limit(limit)
        return list((await session.execute(stmt)).scalars())

    async def lapsed_ids(self, rules: StatusRules, now: datetime) -> list[int]:
        """For tests and checks: the customers the rule calls lapsed now."""
        rows = await self.s.scalars(
            select(Customer.id).where(self.read_policy(Customer), self._lapsed(rules, now))
        )
        return list(rows)
