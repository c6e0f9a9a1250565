"""Read-side use cases: the connection, counter search, duplicates and stats."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.core.contact import try_normalize_phone
from domain.core.pagination import Page, clamp_first, decode_cursor, encode_cursor
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers.models import Customer, CustomerAddress
from domain.customers.repository import (
    CustomerFilter,
    CustomerRepository,
    CustomerSort,
    sort_value,
)
from domain.customers.search import classify
from domain.customers.search_repository import CustomerSearchRepository
from domain.customers.service import get_customer, load_business


async def list_customers(
    tx: Tx,
    f: CustomerFilter,
    sort: CustomerSort,
    descending: bool,
    first: int | None,
    after: str | None,
    cap: int,
) -> Page[Customer]:
    tx.viewer.require_business(Scope.CUSTOMERS_READ)
    limit = clamp_first(first, cap)
    key = f"{sort.value}:{'d' if descending else 'a'}"
    cursor = decode_cursor(after, key) if after else None
    rows, more = await CustomerSearchRepository(tx.session, tx.viewer).page(
        f, sort, descending, limit, cursor
    )
    cursors = [encode_cursor(key, sort_value(c, sort), c.id) for c in rows]
    return Page(rows, cursors, has_next_page=more, has_previous_page=cursor is not None)


async def count_customers(tx: Tx, f: CustomerFilter) -> int:
    tx.viewer.require_business(Scope.CUSTOMERS_READ)
    return await CustomerSearchRepository(tx.session, tx.viewer).count(f)


@dataclass
class CreateHint:
    name: str | None
    phone: str | None
    email: str | None


@dataclass
class SearchResult:
    exact: Sequence[Customer]
    suggestions: Sequence[Customer]
    create_hint: CreateHint | None


async def search_customers(tx: Tx, term: str, limit: int = 10) -> SearchResult:
    """Seed feature 1: exact matches first, then suggestions; "create new" prefilled with
    what was typed when nothing matched exactly."""
    tx.viewer.require_business(Scope.CUSTOMERS_READ)
    term = term.strip()[:100]
    if not term:
        return SearchResult([], [], None)
    business = await load_business(tx)
    kind = classify(term, business.country)
    repo = CustomerSearchRepository(tx.session, tx.viewer)
    name = (
        kind.name if kind.e164 is None and kind.digits_rev is None and kind.email is None else None
    )
    exact = await repo.exact_matches(name, kind.e164, kind.email, kind.number, limit)
    suggestions = await repo.suggestions(term, business.country, [c.id for c in exact], limit)
    hint = None
    if not exact:
        hint = CreateHint(
            name=term if kind.name and not kind.number else None,
            phone=kind.e164
            or (try_normalize_phone(term, business.country) if kind.digits_rev else None),
            email=kind.email if kind.email and "." in kind.email.split("@")[-1] else None,
        )
    return SearchResult(exact, suggestions, hint)


@dataclass
class Duplicate:
    customer: Customer
    reasons: list[str]
    score: float


async def possible_duplicates(tx: Tx, customer_id: int, limit: int = 10) -> list[Duplicate]:
    customer = await get_customer(tx, customer_id)
    repo = CustomerSearchRepository(tx.session, tx.viewer)
    candidates = await repo.duplicate_candidates(customer)
    phones = {p for p in (customer.phone, customer.phone_secondary) if p}
    emails = {e for e in (customer.email, customer.email_secondary) if e}
    found: list[Duplicate] = []
    for other in candidates:
        reasons: list[str] = []
        if phones & {p for p in (other.phone, other.phone_secondary) if p}:
            reasons.append("same_phone")
        if emails & {e for e in (other.email, other.email_secondary) if e}:
            reasons.append("same_email")
        ratio = difflib.SequenceMatcher(
            None, customer.name.casefold(), other.name.casefold()
        ).ratio()
        if ratio >= 0.8:
            reasons.append("similar_name")
        if reasons:
            score = min(
                1.0, 0.5 * ("same_phone" in reasons) + 0.4 * ("same_email" in reasons) + 0.3 * ratio
            )
            found.append(Duplicate(other, reasons, round(score, 3)))
    found.sort(key=lambda d: (-d.score, d.customer.id))
    return found[:limit]


async def customer_stats(tx: Tx) -> dict[str, Any]:
    tx.viewer.require_business(Scope.CUSTOMERS_READ)
    business = await load_business(tx)
    stats = await CustomerRepository(tx.session, tx.viewer).stats()
    stats["currency"] = business.currency
    stats["outstanding"] = Decimal(stats["outstanding"])
    return stats


async def customers_by_ids(tx: Tx, ids: Sequence[int]) -> Sequence[Customer]:
    """The viewer's customers among `ids` (a DataLoader batch); foreign ids find nothing."""
    return await CustomerRepository(tx.session, tx.viewer).get_many(ids)


async def addresses_for(tx: Tx, customer_ids: Sequence[int]) -> Sequence[CustomerAddress]:
    return await CustomerRepository(tx.session, tx.viewer).addresses_for(customer_ids)
