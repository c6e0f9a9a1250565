"""Counter purchase rules: a purchase is its own record, paid at once (never an invoice),
for a customer or the business's walk-in guest. Every write recomputes the customer's
purchase aggregates from its rows and applies the status rules in the same transaction,
with an audit entry and an outbox event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.accounts.models import Business
from domain.accounts.repository import AccountsRepository
from domain.core import audit, outbox
from domain.core.codes import CoreCode
from domain.core.counters import format_number, lock_counter, next_value
from domain.core.errors import ErrorCollector, NotFound, ValidationFailed
from domain.core.money import currency_code, format_money, parse_amount, quantize
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers import service as customers
from domain.customers.fields import CustomerInput
from domain.customers.models import Customer
from domain.customers.repository import CustomerRepository
from domain.customers.status import StatusRules, refresh_status
from domain.purchases import events
from domain.purchases.codes import PurchasesCode
from domain.purchases.models import Purchase, PurchaseMethod
from domain.purchases.repository import PurchaseRepository

MAX_ITEMS = 100
MAX_AMOUNT = Decimal(10) ** 12  # per unit price and per quantity: totals fit the column
FUTURE_SLACK = timedelta(minutes=5)  # a till's clock may run a little ahead
WALK_IN_NAME = "Walk-in guest"


@dataclass
class ItemData:
    name: str
    quantity: Decimal
    unit_price: Decimal


@dataclass
class PurchaseData:
    items: list[ItemData]
    method: str
    customer_id: int | None = None  # None: the business's walk-in guest
    purchased_at: datetime | None = None
    currency: str | None = None
    notes: str | None = None


@dataclass
class PurchaseChanges:
    items: list[ItemData] | None = None
    method: str | None = None
    purchased_at: datetime | None = None
    notes: str | None = None
    clear_notes: bool = False
    fields: set[str] = field(default_factory=set)


async def load_business(tx: Tx) -> Business:
    row = await AccountsRepository(tx.session, tx.viewer).business()
    if row is None:
        raise NotFound("business")
    return row


def _items(items: list[ItemData], currency: str, errors: ErrorCollector) -> list[dict[str, str]]:
    if not items:
        errors.add("items", "a purchase needs at least one item", CoreCode.REQUIRED)
    if len(items) > MAX_ITEMS:
        errors.add("items", f"at most {MAX_ITEMS} items", CoreCode.TOO_MANY)
    out = []
    for i, item in enumerate(items):
        name = (item.name or "").strip()
        if not name:
            errors.add(f"items.{i}.name", "must not be empty", CoreCode.REQUIRED)
        elif len(name) > 200:
            errors.add(f"items.{i}.name", "at most 200 characters", CoreCode.TOO_LONG)
        quantity = parse_amount(item.quantity, f"items.{i}.quantity")
        price = parse_amount(item.unit_price, f"items.{i}.unitPrice")
        if quantity <= 0:
            errors.add(f"items.{i}.quantity", "must be more than zero", CoreCode.OUT_OF_RANGE)
        if price < 0:
            errors.add(f"items.{i}.unitPrice", "must not be negative", CoreCode.NEGATIVE)
        for label, value in (("quantity", quantity), ("unitPrice", price)):
            if abs(value) >= MAX_AMOUNT:
                errors.add(f"items.{i}.{label}", "is too large", CoreCode.TOO_LARGE)
        out.append(
            {
                "name": name,
                "quantity": str(quantity),
                "unitPrice": str(price),
                "total": str(quantize(quantity * price, currency)),
            }
        )
    return out


def _when(tx: Tx, at: datetime | None) -> datetime:
    when = at or tx.now()
    if when > tx.now() + FUTURE_SLACK:
        raise ValidationFailed.one(
            "purchasedAt", "must not be in the future", PurchasesCode.IN_THE_FUTURE
        )
    return when


def _notes(notes: str | None, errors: ErrorCollector) -> str | None:
    text = (notes or "").strip() or None
    if text and len(text) > 2000:
        errors.add("notes", "at most 2000 characters", CoreCode.TOO_LONG)
    return text


def _method(method: str, errors: ErrorCollector) -> str:
    if method not in {m.value for m in PurchaseMethod}:
        errors.add("method", "is not a payment method", CoreCode.INVALID_CHOICE)
    return method


def payload(purchase: Purchase, **extra: Any) -> dict[str, Any]:
    return {
        "purchaseId": purchase.id,
        "customerId": purchase.customer_id,
        "total": format_money(purchase.total, purchase.currency),
        "currency": purchase.currency,
        "method": purchase.method,
        "purchasedAt": purchase.purchased_at.isoformat(),
    } | extra


async def walk_in_customer(tx: Tx) -> Customer:
    """The business's walk-in guest (found, or made once: the customer counter's lock
    serialises two first sales, and a unique index backs it)."""
    repo = PurchaseRepository(tx.session, tx.viewer)
    found = await repo.walk_in()
    if found is not None:
        return found
    business = await customers.load_business(tx)
    await lock_counter(tx, business.id, "customer")
    found = await repo.walk_in()
    if found is not None:
        return found
    customer, _ = customers.build_customer(
        tx, CustomerInput(name=WALK_IN_NAME, profile_type="guest"), business
    )
    customer.profile_type = "guest"
    customer.is_walk_in = True
    customer.notes = "Counter sales without a known customer."
    customer.number = format_number(
        business.customer_prefix, await next_value(tx, business.id, "customer")
    )
    await customers.add_customers(tx, [(customer, [])])
    audit.record(
        tx,
        "customer.created",
        target_type="customer",
        target_id=customer.id,
        data={"number": customer.number, "walkIn": True},
    )
    return customer


async def _customer(tx: Tx, customer_id: int) -> Customer:
    customer = await CustomerRepository(tx.session, tx.viewer).get(customer_id, lock=True)
    if customer is None:
        raise NotFound("customer", customer_id)
    return customer


async def refresh_purchases(tx: Tx, customer: Customer, business: Business) -> None:
    """The customer's purchase aggregates summed again from its rows (exact by
    construction), then the status rules."""
    totals = await PurchaseRepository(tx.session, tx.viewer).customer_totals(
        customer.id, business.currency
    )
    customer.purchase_total = quantize(totals["total"], business.currency)
    customer.purchase_count = totals["count"]
    customer.first_purchase_on = totals["first"]
    customer.last_purchase_on = totals["last"]
    refresh_status(customer, StatusRules.of(business), tx.now())
    customer.updated_at = tx.now()


async def record_purchase(tx: Tx, data: PurchaseData) -> Purchase:
    business_id = tx.viewer.require_business(Scope.PURCHASES_WRITE)
    business = await load_business(tx)
    errors = ErrorCollector()
    currency = currency_code(data.currency, business.currency)
    items = _items(data.items, currency, errors)
    method = _method(data.method, errors)
    notes = _notes(data.notes, errors)
    when = _when(tx, data.purchased_at)
    errors.raise_if_any()
    if data.customer_id is None:
        customer = await walk_in_customer(tx)
        customer = await _customer(tx, customer.id)
    else:
        customer = await _customer(tx, data.customer_id)
    if customer.merged_into_id is not None:
        raise ValidationFailed.one(
            "customerId",
            "this customer was merged into another; record the purchase there",
            PurchasesCode.NOT_A_CUSTOMER_TO_SELL_TO,
        )
    rules = StatusRules.of(business)
    purchase = Purchase(
        business_id=business_id,
        customer_id=customer.id,
        items=items,
        currency=currency,
        total=quantize(sum((Decimal(i["total"]) for i in items), Decimal(0)), currency),
        method=method,
        purchased_at=when,
        purchased_on=rules.today(when),
        notes=notes,
        recorded_by=tx.viewer.actor_label,
        created_at=tx.now(),
        updated_at=tx.now(),
    )
    await PurchaseRepository(tx.session, tx.viewer).add(purchase)
    await refresh_purchases(tx, customer, business)
    audit.record(
        tx,
        "purchase.recorded",
        target_type="purchase",
        target_id=purchase.id,
        data={"customerId": customer.id, "total": format_money(purchase.total, currency)},
    )
    outbox.emit(tx, events.PURCHASE_RECORDED, payload(purchase))
    return purchase


async def get_purchase(tx: Tx, purchase_id: int, *, lock: bool = False) -> Purchase:
    tx.viewer.require_business(Scope.PURCHASES_READ)
    row = await PurchaseRepository(tx.session, tx.viewer).get(purchase_id, lock=lock)
    if row is None:
        raise NotFound("purchase", purchase_id)
    return row


def _snapshot(p: Purchase) -> dict[str, Any]:
    return {
        "items": p.items,
        "total": format_money(p.total, p.currency),
        "method": p.method,
        "purchasedAt": p.purchased_at.isoformat(),
        "notes": p.notes,
    }


async def update_purchase(tx: Tx, purchase_id: int, changes: PurchaseChanges) -> Purchase:
    tx.viewer.require_business(Scope.PURCHASES_WRITE)
    purchase = await get_purchase(tx, purchase_id, lock=True)
    customer = await _customer(tx, purchase.customer_id)
    business = await load_business(tx)
    before = _snapshot(purchase)
    errors = ErrorCollector()
    if changes.items is not None:
        purchase.items = _items(changes.items, purchase.currency, errors)
        purchase.total = quantize(
            sum((Decimal(i["total"]) for i in purchase.items), Decimal(0)), purchase.currency
        )
    if changes.method is not None:
        purchase.method = _method(changes.method, errors)
    if changes.notes is not None or changes.clear_notes:
        purchase.notes = _notes(changes.notes, errors)
    if changes.purchased_at is not None:
        purchase.purchased_at = _when(tx, changes.purchased_at)
        purchase.purchased_on = StatusRules.of(business).today(purchase.purchased_at)
    errors.raise_if_any()
    after = _snapshot(purchase)
    changed = sorted(k for k in after if after[k] != before[k])
    if not changed:
        return purchase
    purchase.updated_at = tx.now()
    await tx.session.flush()
    await refresh_purchases(tx, customer, business)
    audit.record(
        tx,
        "purchase.updated",
        target_type="purchase",
        target_id=purchase.id,
        data={"fields": changed, "before": {k: before[k] for k in changed}},
    )
    outbox.emit(tx, events.PURCHASE_UPDATED, payload(purchase, fields=changed))
    return purchase


async def delete_purchase(tx: Tx, purchase_id: int) -> Purchase:
    """Deletes the row (its snapshot stays in the audit entry)."""
    tx.viewer.require_business(Scope.PURCHASES_WRITE)
    purchase = await get_purchase(tx, purchase_id, lock=True)
    customer = await _customer(tx, purchase.customer_id)
    business = await load_business(tx)
    snapshot = _snapshot(purchase) | {"customerId": purchase.customer_id}
    event = payload(purchase)
    await PurchaseRepository(tx.session, tx.viewer).delete(purchase)
    await refresh_purchases(tx, customer, business)
    audit.record(
        tx, "purchase.deleted", target_type="purchase", target_id=purchase_id, data=snapshot
    )
    outbox.emit(tx, events.PURCHASE_DELETED, event)
    return purchase


async def _move_purchases(tx: Tx, source: Customer, target: Customer) -> int:
    """Merge mover: the source's purchases become the target's; both sets of aggregates
    are summed again from the rows."""
    moved = await PurchaseRepository(tx.session, tx.viewer).move_customer(source.id, target.id)
    if source.is_walk_in:  # a merged row cannot take sales: a new guest is made when needed
        source.is_walk_in = False
        await tx.session.flush()
    if moved:
        business = await load_business(tx)
        await refresh_purchases(tx, source, business)
        await refresh_purchases(tx, target, business)
    return moved


def _register() -> None:
    from domain.customers.merge import register_mover

    register_mover("purchases", _move_purchases)


_register()
