"""A customer's addresses: at most one default, and a customer with addresses always has
exactly one."""

from __future__ import annotations

import math

from domain.core.codes import CoreCode
from domain.core.errors import Conflict, ErrorCollector, NotFound, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers.fields import MAX_ADDRESSES, AddressInput, validate_address
from domain.customers.models import CustomerAddress
from domain.customers.repository import CustomerRepository
from domain.customers.service import emit_change, get_customer, load_business


async def add_address(tx: Tx, customer_id: int, data: AddressInput) -> CustomerAddress:
    tx.viewer.require_business(Scope.CUSTOMERS_WRITE)
    customer = await get_customer(tx, customer_id, lock=True)
    if customer.merged_into_id is not None:
        raise Conflict("customer was merged into another; add the address there")
    business = await load_business(tx)
    errors = ErrorCollector()
    fields = validate_address(data, business, errors, "")
    errors.raise_if_any()
    repo = CustomerRepository(tx.session, tx.viewer)
    existing = await repo.addresses_for([customer.id])
    if len(existing) >= MAX_ADDRESSES:
        raise ValidationFailed.one(
            "address", f"at most {MAX_ADDRESSES} addresses a customer", CoreCode.TOO_MANY
        )
    make_default = data.is_default or not existing
    if make_default:
        await repo.clear_default(customer.id)
    row = CustomerAddress(
        business_id=customer.business_id,
        customer_id=customer.id,
        is_default=make_default,
        created_at=tx.now(),
        **fields,
    )
    await repo.add(row)
    emit_change(tx, "customer.updated", customer, {"fields": ["addresses"]})
    return row


async def get_address(tx: Tx, address_id: int) -> CustomerAddress:
    tx.viewer.require_business(Scope.CUSTOMERS_READ)
    row = await CustomerRepository(tx.session, tx.viewer).address(address_id)
    if row is None:
        raise NotFound("address", address_id)
    return row


async def _address(tx: Tx, address_id: int) -> CustomerAddress:
    tx.viewer.require_business(Scope.CUSTOMERS_WRITE)
    row = await CustomerRepository(tx.session, tx.viewer).address(address_id)
    if row is None:
        raise NotFound("address", address_id)
    await get_customer(tx, row.customer_id, lock=True)
    return row


async def update_address(tx: Tx, address_id: int, data: AddressInput) -> CustomerAddress:
    row = await _address(tx, address_id)
    business = await load_business(tx)
    errors = ErrorCollector()
    fields = validate_address(data, business, errors, "")
    errors.raise_if_any()
    for key, value in fields.items():
        setattr(row, key, value)
    if data.is_default and not row.is_default:
        await set_default_address(tx, address_id)
    await tx.session.flush()
    return row


async def remove_address(tx: Tx, address_id: int) -> int:
    """Removing the default promotes the oldest remaining address, so a customer with
    addresses always has exactly one default."""
    row = await _address(tx, address_id)
    repo = CustomerRepository(tx.session, tx.viewer)
    customer_id, was_default = row.customer_id, row.is_default
    await repo.delete_address(row)
    if was_default:
        rest = await repo.addresses_for([customer_id])
        if rest:
            oldest = min(rest, key=lambda a: a.id)
            oldest.is_default = True
            await tx.session.flush()
    return customer_id


async def set_default_address(tx: Tx, address_id: int) -> CustomerAddress:
    row = await _address(tx, address_id)
    repo = CustomerRepository(tx.session, tx.viewer)
    await repo.clear_default(row.customer_id)
    await tx.session.refresh(row)
    row.is_default = True
    await tx.session.flush()
    return row


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), for "nearest first" delivery lists."""
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))
