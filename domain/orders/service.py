"""Order rules: numbering, totals through the invoicing tax engine, the delivery address
copied onto the order, and every status change checked against the workflow and the
version the client saw, written to the timeline and the outbox in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.accounts.models import Business
from domain.core import outbox
from domain.core.codes import CoreCode
from domain.core.counters import format_number, next_value
from domain.core.errors import ErrorCollector, NotFound, ValidationFailed
from domain.core.gst import gst_state_code
from domain.core.money import is_currency_code
from domain.core.tx import Tx
from domain.core.viewer import Scope, ViewerKind
from domain.customers.fields import AddressInput, validate_address
from domain.customers.models import Customer, CustomerAddress, CustomerStatus
from domain.customers.repository import CustomerRepository
from domain.customers.service import load_business as customers_business
from domain.invoicing import service as invoicing
from domain.invoicing.codes import InvoicingCode
from domain.invoicing.service import LineData, component_json, line_columns
from domain.orders import events
from domain.orders.codes import OrdersCode
from domain.orders.models import Order, OrderChannel, OrderEvent, OrderLine, OrderStatus
from domain.orders.repository import OrderRepository
from domain.orders.workflow import StaleVersion, check

MAX_LINES = 200
# no delivery left to schedule
SETTLED = frozenset({OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.RETURNED})
ADDRESS_KEYS = (
    "kind",
    "label",
    "building",
    "street",
    "area",
    "city",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "delivery_notes",
)


@dataclass
class OrderData:
    customer_id: int
    lines: list[LineData]
    currency: str | None = None
    prices_include_tax: bool = False
    place_of_supply: str | None = None
    delivery_address_id: int | None = None
    delivery_address: AddressInput | None = None  # a one-off address
    expected_delivery: date | None = None
    notes: str | None = None
    channel: str | None = None  # default: INTEGRATION for API keys, COUNTER otherwise
    draft: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def repo(tx: Tx) -> OrderRepository:
    return OrderRepository(tx.session, tx.viewer, now=tx.now())


def order_payload(order: Order, **extra: Any) -> dict[str, Any]:
    """Raw ids in camelCase plus what a live update shows without a query."""
    return {
        "orderId": order.id,
        "customerId": order.customer_id,
        "number": order.number,
        "status": order.status,
        "version": order.version,
        "expectedDeliveryDate": (
            order.expected_delivery.isoformat() if order.expected_delivery else None
        ),
    } | extra


def emit(tx: Tx, topic: str, order: Order, entry: OrderEvent, **extra: Any) -> None:
    """A status change also runs the notification job (the customer's order status
    message): the payload carries all it needs (number, customerId, from, to). The
    snapshot is the order and the timeline entry the change wrote, as committed."""
    outbox.emit(
        tx,
        topic,
        order_payload(order, timelineEntryId=entry.id, **extra),
        business_id=order.business_id,
        job="send_notification" if topic == events.ORDER_STATUS_CHANGED else None,
        snapshot=lambda: events.snapshot(order, entry),
    )


def timeline(
    tx: Tx,
    order: Order,
    kind: str,
    from_status: str | None,
    *,
    note: str | None = None,
    expected_delivery: date | None = None,
) -> OrderEvent:
    entry = OrderEvent(
        business_id=order.business_id,
        order_id=order.id,
        kind=kind,
        from_status=from_status,
        to_status=order.status,
        actor=tx.viewer.actor_label,
        note=note,
        expected_delivery=expected_delivery,
        version=order.version,
        created_at=tx.now(),
    )
    tx.session.add(entry)
    return entry


def _text(value: str | None, name: str, limit: int, errors: ErrorCollector) -> str | None:
    text = (value or "").strip() or None
    if text is not None and len(text) > limit:
        errors.add(name, f"must be at most {limit} characters", CoreCode.TOO_LONG)
    return text


def _check_lines(lines: list[LineData], errors: ErrorCollector) -> None:
    if not lines:
        errors.add("lines", "an order needs at least one line", CoreCode.REQUIRED)
    if len(lines) > MAX_LINES:
        errors.add("lines", f"at most {MAX_LINES} lines", CoreCode.TOO_MANY)
    for i, line in enumerate(lines):
        if not line.description.strip():
            errors.add(f"lines.{i}.description", "is required", CoreCode.REQUIRED)
        elif len(line.description) > 500:
            errors.add(
                f"lines.{i}.description", "must be at most 500 characters", CoreCode.TOO_LONG
            )
        if line.unit is not None and len(line.unit) > 20:
            errors.add(f"lines.{i}.unit", "must be at most 20 characters", CoreCode.TOO_LONG)


def _channel(tx: Tx, given: str | None, errors: ErrorCollector) -> str:
    if given is None:
        api = tx.viewer.kind is ViewerKind.API_KEY
        return OrderChannel.INTEGRATION if api else OrderChannel.COUNTER
    if given not in set(OrderChannel):
        errors.add("channel", "is not an order channel", CoreCode.INVALID_CHOICE)
    return given


async def _address(
    tx: Tx, data: OrderData, customer: Customer, errors: ErrorCollector
) -> dict[str, Any] | None:
    """The delivery address as copied onto the order: one of the customer's addresses or
    a one-off address; without either, the customer's default address (if any)."""
    if data.delivery_address_id is not None and data.delivery_address is not None:
        errors.add(
            "deliveryAddress",
            "give deliveryAddressId or deliveryAddress, not both",
            OrdersCode.ADDRESS_CONFLICT,
        )
        return None
    if data.delivery_address is not None:
        business = await customers_business(tx)
        return validate_address(data.delivery_address, business, errors, "deliveryAddress.")
    crepo = CustomerRepository(tx.session, tx.viewer)
    chosen: CustomerAddress | None = None
    if data.delivery_address_id is not None:
        chosen = await crepo.address(data.delivery_address_id)
        if chosen is None or chosen.customer_id != customer.id:
            errors.add(
                "deliveryAddressId", "is not an address of this customer", CoreCode.INVALID_ID
            )
            return None
    else:
        chosen = next((a for a in await crepo.addresses_for([customer.id]) if a.is_default), None)
    if chosen is None:
        return None
    return {key: getattr(chosen, key) for key in ADDRESS_KEYS}


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
    _check_lines(data.lines, errors)
    notes = _text(data.notes, "notes", 5000, errors)
    channel = _channel(tx, data.channel, errors)
    today = invoicing.local_today(tx, business)
    if data.expected_delivery is not None and data.expected_delivery < today:
        errors.add("expectedDeliveryDate", "is in the past", OrdersCode.DELIVERY_IN_PAST)
    address = await _address(tx, data, customer, errors)
    currency, totals = _totals(data, business, errors)
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


def _totals(data: OrderData, business: Business, errors: ErrorCollector) -> tuple[str, Any]:
    """Currency and totals, by the invoicing tax engine (the same rules an invoice of
    these lines would get)."""
    currency = (data.currency or business.currency).upper()
    if not is_currency_code(currency):
        errors.add("currency", "is not an ISO 4217 code", CoreCode.INVALID_CURRENCY)
        return currency, None
    if data.place_of_supply is not None and not data.place_of_supply.strip():
        data.place_of_supply = None
    if data.place_of_supply is not None and business.country == "IN":
        data.place_of_supply = gst_state_code(data.place_of_supply) or data.place_of_supply
    if data.place_of_supply is not None and len(data.place_of_supply) > 10:
        errors.add("placeOfSupply", "must be at most 10 characters", CoreCode.TOO_LONG)
        return currency, None
    if not data.lines or errors.errors:
        return currency, None
    invoice_like = invoicing.InvoiceData(
        customer_id=data.customer_id,
        lines=data.lines,
        currency=currency,
        prices_include_tax=data.prices_include_tax,
        place_of_supply=data.place_of_supply,
    )
    try:
        return currency, invoicing.compute(invoice_like, business, currency)
    except ValidationFailed as exc:
        seen = {e.field for e in errors.errors}
        errors.errors.extend(e for e in exc.errors if e.field not in seen)
        return currency, None


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
    note = _text(note, "note", 2000, errors)
    if to is OrderStatus.CANCELLED:
        reason = _text(reason, "reason", 2000, errors)
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
    note = _text(note, "note", 2000, errors)
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
