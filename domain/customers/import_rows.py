"""Writing one chunk of an import's rows: new customers, and rows whose phone matches an
existing customer skipped or merged into it (onDuplicate), each refused row reported
with every bad field."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.core.contact import try_normalize_phone
from domain.core.counters import format_number, next_value
from domain.core.errors import ErrorCollector, ValidationFailed
from domain.core.tx import Tx
from domain.customers.csv_rows import ParsedRow, row_input
from domain.customers.fields import (
    Business,
    CustomerInput,
    apply_fields,
    clean_tags,
    refresh_derived,
)
from domain.customers.models import Customer, CustomerStatus
from domain.customers.repository import CustomerRepository
from domain.customers.service import add_customers, build_customer, load_business


class OnDuplicate(StrEnum):
    SKIP = "skip"
    MERGE = "merge"


@dataclass
class ChunkCounts:
    created: int = 0
    merged: int = 0
    skipped: int = 0
    errors: list[tuple[int, list[dict[str, str]]]] = field(default_factory=list)
    new: list[Customer] = field(default_factory=list)  # created, in file order


async def _merge_into(tx: Tx, existing: Customer, data: CustomerInput) -> None:
    """Fill only what the existing customer lacks; union the tags."""
    business = await load_business(tx)
    fills: dict[str, Any] = {}
    for key, value in data.changes().items():
        if key in (
            "tags",
            "payment_terms",
            "language",
            "reminders_enabled",
            "auto_send_invoices",
            "is_vip",
            "preferences",
            "phone",
        ):
            continue
        if value not in (None, "") and getattr(existing, key) in (None, ""):
            fills[key] = value
    errors = ErrorCollector()
    fills["tags"] = list(dict.fromkeys([*existing.tags, *clean_tags(data.tags, errors)]))
    apply_fields(existing, fills, business, errors)
    errors.raise_if_any()
    refresh_derived(existing)
    existing.updated_at = tx.now()
    await CustomerRepository(tx.session, tx.viewer).set_tags(existing)
    await tx.session.flush()


class _PhoneIndex:
    """Which customer a row's phone means, as `CustomerRepository.by_phone` answers it
    (never a merged row; active first, then a primary-phone match, then the oldest), over
    the customers read for the chunk and those the chunk creates."""

    def __init__(self) -> None:
        self.by_phone: dict[str, list[Customer]] = {}
        self.seq: dict[int, int] = {}

    def add(self, customer: Customer) -> None:
        self.seq.setdefault(id(customer), len(self.seq))
        for phone in {customer.phone, customer.phone_secondary} - {None}:
            same = self.by_phone.setdefault(str(phone), [])
            if customer not in same:
                same.append(customer)

    def best(self, phone: str) -> Customer | None:
        candidates = self.by_phone.get(phone)
        if not candidates:
            return None
        return min(
            candidates,
            key=lambda c: (c.status != CustomerStatus.ACTIVE, c.phone != phone, self.seq[id(c)]),
        )


async def import_rows(
    tx: Tx,
    business: Business,
    batch: list[ParsedRow],
    on_duplicate: OnDuplicate,
    counts: ChunkCounts,
    import_id: int,
) -> None:
    """The chunk's rows in file order, written in a few statements: existing customers
    are read for all the chunk's phones at once, new ones are validated one by one and
    written together at the end. Their numbers are taken from the counter then, in one
    step, just before commit: other writers of the business wait on the counter row for
    that moment only, and the numbers stay gapless, in file order."""
    repo = CustomerRepository(tx.session, tx.viewer)
    inputs = [(row, row_input(row.values)) for row in batch]
    phones = {
        row.line: try_normalize_phone(data.phone, business.country) if data.phone else None
        for row, data in inputs
    }
    index = _PhoneIndex()
    wanted = sorted({p for p in phones.values() if p})
    for found in sorted(await repo.with_phones(wanted, limit=100 * len(batch)), key=_id):
        index.add(found)
    pending: list[tuple[Customer, list[dict[str, Any]]]] = []
    for n, (row, data) in enumerate(inputs):
        if n % 25 == 24:
            # checking rows is CPU work with nothing to await: let the requests that share
            # this event loop (embedded mode) run in between
            await asyncio.sleep(0)
        try:
            e164 = phones[row.line]  # a phone that does not parse is reported below
            existing = index.best(e164) if e164 else None
            if existing is not None and on_duplicate is OnDuplicate.SKIP:
                counts.skipped += 1
                continue
            if existing is not None:
                if existing.id is None:  # created earlier in this chunk: write it first
                    await add_customers(tx, pending)
                    pending = []
                # a merge changes a loaded customer before it knows every field is
                # valid: a savepoint takes a failing row's changes back
                async with tx.session.begin_nested():
                    await _merge_into(tx, existing, data)
                index.add(existing)
                counts.merged += 1
                continue
            # onDuplicate was decided above; a secondary phone may match another.
            customer, addresses = build_customer(tx, data, business)
        except ValidationFailed as exc:
            problems = [
                {"field": e.field, "message": e.message, "code": e.code} for e in exc.errors
            ]
            counts.errors.append((row.line, problems))
            continue
        customer.number = f"~{import_id}-{row.line}"  # unique until the real one is set
        pending.append((customer, addresses))
        index.add(customer)
        counts.new.append(customer)
        counts.created += 1
    if counts.new:
        last = await next_value(tx, business.id, "customer", len(counts.new))
        first = last - len(counts.new) + 1
        for offset, customer in enumerate(counts.new):
            customer.number = format_number(business.customer_prefix, first + offset)
    await add_customers(tx, pending)


def _id(customer: Customer) -> int:
    return int(customer.id)
