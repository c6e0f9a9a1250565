"""What an order is made from (`OrderData`) and the checks made before one is written:
its channel, the delivery address copied onto it, its totals by the invoicing tax engine
(the same rules an invoice of these lines would get)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.accounts.models import Business
from domain.core.codes import CoreCode
from domain.core.errors import ErrorCollector, ValidationFailed
from domain.core.money import is_currency_code
from domain.core.tx import Tx
from domain.core.viewer import ViewerKind
from domain.customers.fields import AddressInput, validate_address
from domain.customers.models import Customer, CustomerAddress
from domain.customers.repository import CustomerRepository
from domain.customers.service import load_business as customers_business
from domain.invoicing.invoice_data import (
    InvoiceData,
    LineData,
    checked_place_of_supply,
    compute,
)
from domain.orders.codes import OrdersCode
from domain.orders.models import OrderChannel

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


def clean_text(value: str | None, name: str, limit: int, errors: ErrorCollector) -> str | None:
    text = (value or "").strip() or None
    if text is not None and len(text) > limit:
        errors.add(name, f"must be at most {limit} characters", CoreCode.TOO_LONG)
    return text


def order_channel(tx: Tx, given: str | None, errors: ErrorCollector) -> str:
    if given is None:
        api = tx.viewer.kind is ViewerKind.API_KEY
        return OrderChannel.INTEGRATION if api else OrderChannel.COUNTER
    if given not in set(OrderChannel):
        errors.add("channel", "is not an order channel", CoreCode.INVALID_CHOICE)
    return given


async def delivery_address(
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


def order_totals(data: OrderData, business: Business, errors: ErrorCollector) -> tuple[str, Any]:
    """Currency and totals, by the invoicing tax engine (the same rules an invoice of
    these lines would get)."""
    currency = (data.currency or business.currency).upper()
    if not is_currency_code(currency):
        errors.add("currency", "is not an ISO 4217 code", CoreCode.INVALID_CURRENCY)
        return currency, None
    data.place_of_supply, storable = checked_place_of_supply(data.place_of_supply, business, errors)
    if not storable:
        return currency, None
    if not data.lines or errors.errors:
        return currency, None
    invoice_like = InvoiceData(
        customer_id=data.customer_id,
        lines=data.lines,
        currency=currency,
        prices_include_tax=data.prices_include_tax,
        place_of_supply=data.place_of_supply,
    )
    try:
        return currency, compute(invoice_like, business, currency)
    except ValidationFailed as exc:
        errors.merge(exc)
        return currency, None
