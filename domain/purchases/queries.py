"""Reads of the purchases context: pages of purchases, the customer timeline, and rows by
id for the request's loaders. Cursors are opaque (base64 JSON) and keyset."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from domain.core.codes import CoreCode
from domain.core.errors import NotFound, ValidationFailed
from domain.core.pagination import clamp_first
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers.repository import CustomerRepository
from domain.invoicing.models import Invoice, Payment
from domain.orders.models import Order
from domain.purchases.models import Purchase
from domain.purchases.repository import (
    KIND_NAMES,
    PurchaseRepository,
    TimelineKey,
    TimelineRow,
)

PURCHASES_CURSOR, TIMELINE_CURSOR = "purchases", "timeline"


def encode(tag: str, at: datetime, kind: int, row_id: int) -> str:
    raw = orjson.dumps([tag, at.isoformat(), kind, row_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, tag: str) -> TimelineKey:
    """A cursor from a client: only the shape we hand out, else BAD_CURSOR."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        got, at, kind, row_id = orjson.loads(raw)
        when = datetime.fromisoformat(at)
        ok = (
            got == tag
            and when.tzinfo is not None
            and isinstance(kind, int)
            and not isinstance(kind, bool)
            and (kind in KIND_NAMES or (tag == PURCHASES_CURSOR and kind == 0))
            and isinstance(row_id, int)
            and not isinstance(row_id, bool)
            and 0 < row_id < 2**63
        )
        if not ok:
            raise ValueError
        return TimelineKey(when, kind, row_id)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise ValidationFailed.one(
            "after", "cursor is malformed or belongs to another list", CoreCode.BAD_CURSOR
        ) from None


@dataclass
class Paged:
    items: Sequence[Any]
    cursors: list[str]
    has_next_page: bool


async def _customer_id(tx: Tx, customer_id: int) -> int:
    if await CustomerRepository(tx.session, tx.viewer).get(customer_id) is None:
        raise NotFound("customer", customer_id)
    return customer_id


async def purchases_page(
    tx: Tx, customer_id: int | None, first: int | None, after: str | None, cap: int
) -> Paged:
    """Newest first; for one customer or across the business."""
    tx.viewer.require_business(Scope.PURCHASES_READ)
    size = clamp_first(first, cap)
    key = decode(after, PURCHASES_CURSOR) if after else None
    if customer_id is not None:
        await _customer_id(tx, customer_id)
    rows = await PurchaseRepository(tx.session, tx.viewer).page(
        customer_id, size, (key.at, key.id) if key else None
    )
    items = list(rows[:size])
    return Paged(
        items,
        [encode(PURCHASES_CURSOR, p.purchased_at, 0, p.id) for p in items],
        len(rows) > size,
    )


async def count_purchases(tx: Tx, customer_id: int | None) -> int:
    tx.viewer.require_business(Scope.PURCHASES_READ)
    return await PurchaseRepository(tx.session, tx.viewer).count(customer_id)


async def timeline_page(
    tx: Tx, customer_id: int, first: int | None, after: str | None, cap: int
) -> Paged:
    """The customer's purchases, invoices, payments and orders in one newest-first list.
    It shows invoice, payment and order amounts, so it needs INVOICES_READ and
    ORDERS_READ as well."""
    tx.viewer.require_business(Scope.PURCHASES_READ)
    tx.viewer.require_business(Scope.INVOICES_READ)
    tx.viewer.require_business(Scope.ORDERS_READ)
    size = clamp_first(first, cap)
    key = decode(after, TIMELINE_CURSOR) if after else None
    await _customer_id(tx, customer_id)
    rows: list[TimelineRow] = await PurchaseRepository(tx.session, tx.viewer).timeline(
        customer_id, size, key
    )
    items = rows[:size]
    return Paged(
        items, [encode(TIMELINE_CURSOR, r.at, r.kind, r.id) for r in items], len(rows) > size
    )


async def purchases_by_ids(tx: Tx, ids: Sequence[int]) -> Sequence[Purchase]:
    tx.viewer.require_business(Scope.PURCHASES_READ)
    return await PurchaseRepository(tx.session, tx.viewer).get_many(ids)


async def invoices_by_ids(tx: Tx, ids: Sequence[int]) -> Sequence[Invoice]:
    tx.viewer.require_business(Scope.INVOICES_READ)
    return await PurchaseRepository(tx.session, tx.viewer).rows_by_ids(Invoice, ids)


async def orders_by_ids(tx: Tx, ids: Sequence[int]) -> Sequence[Order]:
    tx.viewer.require_business(Scope.ORDERS_READ)
    return await PurchaseRepository(tx.session, tx.viewer).rows_by_ids(Order, ids)


async def payments_by_ids(tx: Tx, ids: Sequence[int]) -> Sequence[Payment]:
    tx.viewer.require_business(Scope.INVOICES_READ)
    return await PurchaseRepository(tx.session, tx.viewer).rows_by_ids(Payment, ids)
