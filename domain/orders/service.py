"""Order lifecycle: create (numbered, after every check in `order_data`), and every status
change checked against the workflow and the version the client saw, written to the
timeline and the outbox (`timeline`) in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.core.codes import CoreCode
from domain.core.counters import format_number, next_value
from domain.core.errors import ErrorCollector, NotFound, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers.models import Customer, CustomerStatus
from domain.customers.repository import CustomerRepository
from domain.invoicing import service as invoicing
from domain.invoicing.codes import InvoicingCode
from domain.invoicing.invoice_data import component_json, line_columns, validate_lines
from domain.orders import events
from domain.orders.codes import OrdersCode
from domain.orders.models import Order, OrderEvent, OrderLine, OrderStatus

# What an order is made from and its timeline live in their own modules; they stay
# importable from here, the public path (resolvers, workers, bench).
from domain.orders.order_data import OrderData as OrderData
from domain.orders.order_data import clean_text, delivery_address, order_channel, order_totals
from domain.orders.repository import OrderRepository
from domain.orders.timeline import emit as emit
from domain.orders.timeline import order_payload as order_payload
from domain.orders.timeline import timeline as timeline
from domain.orders.workflow import StaleVersion, check

# no delivery left to schedule
SETTLED = frozenset({OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.RETURNED})


def repo(tx: Tx) -> OrderRepository:
    return OrderRepository(tx.session, tx.viewer, now=tx.now())


async def create_order(tx: Tx, data: OrderData) -> Order:
    """Checks every field (all bad ones reported at once), computes the totals with the
    invoicing tax engine, copies the delivery address, takes the gapless number last and
    writes the order, its lines, the first timeline entry and `order.created`."""
    business_id = tx.viewer.require_business(Scope.ORDERS_WRITE)
    business = await invoicing.load_business(tx)
    customer = await CustomerRepository(tx.session, tx.viewer).get(data.customer_id)
    if customer is None:
        raise NotFound("customer", data.customer_id)
    errors = ErrorCollector()
    if customer.status != CustomerStatus.ACTIVE:
        errors.add("customerId", f"customer is {customer.status}", InvoicingCode.CUSTOMER_INACTIVE)
    validate_lines(data.lines, errors, document="order")
    notes = clean_text(data.notes, "notes", 5000, errors)
    channel = order_channel(tx, data.channel, errors)
    today = invoicing.local_today(tx, business)
    if data.expected_delivery is not None and data.expected_delivery < today:
        errors.add("expectedDeliveryDate", "is in the past", OrdersCode.DELIVERY_IN_PAST)
    address = await delivery_address(tx, data, customer, errors)
    currency, totals = order_totals(data, business, errors)
    errors.raise_if_any()
    assert totals is not None
    now = tx.now()
    order = Order(
        business_id=business_id,
        customer_id=customer.id,
        status=OrderStatus.DRAFT if data.draft else OrderStatus.PENDING,
        version=1,
        channel=channel,
        placed_by=tx.viewer.actor_label,
        currency=currency,
        prices_include_tax=data.prices_include_tax,
        place_of_supply=data.place_of_supply,
        subtotal=totals.subtotal,
        discount_total=totals.discount_total,
        tax_total=totals.tax_total,
        total=totals.total,
        tax_components=[component_json(c) for c in totals.components],
        delivery_address=address,
        delivery_address_id=data.delivery_address_id,
        expected_delivery=data.expected_delivery,
        notes=notes,
        placed_at=now,
        status_changed_at=now,
        updated_at=now,
    )
    order.number = format_number(business.order_prefix, await next_value(tx, business_id, "order"))
    r = repo(tx)
    await r.add(order)
    await r.add_all(
        (
            OrderLine(
                business_id=business_id,
                order_id=order.id,
                **line_columns(i, src, lt),
            )
            for i, (src, lt) in enumerate(zip(data.lines, totals.lines, strict=True))
        )
    )
    entry = timeline(tx, order, "created", None, expected_delivery=order.expected_delivery)
    await tx.session.flush()
    emit(tx, events.ORDER_CREATED, order, entry, channel=channel)
    return order


async def get_order(tx: Tx, order_id: int, *, lock: bool = False) -> Order:
    order = await repo(tx).get(order_id, lock=lock)
    if order is None:
        raise NotFound("order", order_id)
    return order


async def _for_change(tx: Tx, order_id: int, expected_version: int) -> Order:
    tx.viewer.require_business(Scope.ORDERS_WRITE)
    order = await get_order(tx, order_id, lock=True)
    if order.version != expected_version:
        raise StaleVersion(OrderStatus(order.status), order.version, expected_version)
    return order


@dataclass
class Change:
    order: Order
    entry: OrderEvent | None  # None when nothing changed (the same delivery date again)


async def change_status(
    tx: Tx,
    order_id: int,
    to: OrderStatus,
    expected_version: int,
    *,
    note: str | None = None,
    expected_delivery: date | None = None,
    reason: str | None = None,
) -> Change:
    """Moves the order one step of the workflow (or cancels/returns it). The version the
    client saw must still be the order's: otherwise nothing changes and the caller hears
    the current status. A cancellation needs a reason."""
    order = await _for_change(tx, order_id, expected_version)
    current = OrderStatus(order.status)
    check(current, to)
    errors = ErrorCollector()
    note = clean_text(note, "note", 2000, errors)
    if to is OrderStatus.CANCELLED:
        reason = clean_text(reason, "reason", 2000, errors)
        if reason is None and not errors.errors:
            errors.add("reason", "say why the order is cancelled", CoreCode.REQUIRED)
    new_date = await _new_delivery(tx, order, expected_delivery, errors)
    errors.raise_if_any()
    now = tx.now()
    order.status = to
    order.version += 1
    order.status_changed_at = now
    order.updated_at = now
    if new_date is not None:
        order.expected_delivery = new_date
    if to is OrderStatus.CANCELLED:
        order.cancel_reason = reason
        order.cancelled_at = now
    if to is OrderStatus.DELIVERED:
        order.delivered_at = now
    entry = timeline(tx, order, "status", current, note=note or reason, expected_delivery=new_date)
    await tx.session.flush()
    extra = {"from": current.value, "to": to.value}
    emit(tx, events.ORDER_STATUS_CHANGED, order, entry, **extra)
    if to is OrderStatus.CANCELLED:
        emit(tx, events.ORDER_CANCELLED, order, entry, reason=reason, **extra)
    if new_date is not None:
        emit(tx, events.ORDER_DELIVERY_CHANGED, order, entry)
    return Change(order, entry)


async def _new_delivery(
    tx: Tx, order: Order, wanted: date | None, errors: ErrorCollector
) -> date | None:
    """The new expected delivery date, or None when it does not change."""
    if wanted is None or wanted == order.expected_delivery:
        return None
    today = invoicing.local_today(tx, await invoicing.load_business(tx))
    if wanted < today:
        errors.add("expectedDeliveryDate", "is in the past", OrdersCode.DELIVERY_IN_PAST)
    return wanted


async def reschedule_delivery(
    tx: Tx, order_id: int, expected_version: int, new_date: date, note: str | None
) -> Change:
    """A new expected delivery date without a status change (still on the timeline)."""
    order = await _for_change(tx, order_id, expected_version)
    current = OrderStatus(order.status)
    if current in SETTLED:
        raise ValidationFailed.one(
            "orderId",
            f"a {current.name} order has no delivery to move",
            OrdersCode.ILLEGAL_TRANSITION,
        )
    errors = ErrorCollector()
    note = clean_text(note, "note", 2000, errors)
    changed = await _new_delivery(tx, order, new_date, errors)
    errors.raise_if_any()
    if changed is None:  # the same date: nothing to record
        return Change(order, None)
    order.expected_delivery = changed
    order.version += 1
    order.updated_at = tx.now()
    entry = timeline(tx, order, "delivery", current, note=note, expected_delivery=changed)
    await tx.session.flush()
    emit(tx, events.ORDER_DELIVERY_CHANGED, order, entry)
    return Change(order, entry)


async def _move_orders(tx: Tx, source: Customer, target: Customer) -> int:
    """Merge mover: the source's orders (and so their timelines) follow the target."""
    return await repo(tx).move_customer(source.id, target.id)


def _register() -> None:
    from domain.customers.merge import register_mover

    register_mover("orders", _move_orders)


_register()
