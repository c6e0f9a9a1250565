"""All SQL for customers. Every method takes the business id first: tenancy lives here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from domain.core.orm import UTCDateTime
from domain.customers.models import (
    Customer,
    CustomerAddress,
    CustomerMerge,
    CustomerStatus,
    CustomerTag,
    Person,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CustomerSort(StrEnum):
    NAME = "name"
    OUTSTANDING = "outstanding"
    LAST_INVOICE = "last_invoice"
    CREATED = "created"


@dataclass
class CustomerFilter:
    search: str | None = None
    statuses: Sequence[str] = ()
    profile_types: Sequence[str] = ()
    tags: Sequence[str] = ()
    outstanding_min: Decimal | None = None
    outstanding_max: Decimal | None = None
    has_phone: bool | None = None
    has_email: bool | None = None
    vip: bool | None = None
    region: str = "IN"
    ids: Sequence[int] = field(default_factory=tuple)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_key(name: str, name_alt: str | None) -> str:
    key = name.casefold().strip()
    return f"{key} | {name_alt.casefold().strip()}" if name_alt else key


def reversed_digits(phone: str | None) -> str | None:
    return "".join(ch for ch in reversed(phone) if ch.isdigit()) if phone else None


def sort_expression(sort: CustomerSort) -> ColumnElement[Any]:
    if sort is CustomerSort.NAME:
        return Customer.name_search
    if sort is CustomerSort.OUTSTANDING:
        return Customer.outstanding
    if sort is CustomerSort.LAST_INVOICE:
        return func.coalesce(Customer.last_invoice_at, literal(EPOCH, UTCDateTime()))
    return Customer.id


def sort_value(customer: Customer, sort: CustomerSort) -> Any:
    if sort is CustomerSort.NAME:
        return customer.name_search
    if sort is CustomerSort.OUTSTANDING:
        return customer.outstanding
    if sort is CustomerSort.LAST_INVOICE:
        return customer.last_invoice_at or EPOCH
    return customer.id


class CustomerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # -- single rows -------------------------------------------------------------
    async def get(self, business_id: int, customer_id: int, *, lock: bool = False) -> Customer | None:
        stmt = select(Customer).where(
            Customer.business_id == business_id, Customer.id == customer_id
        )
        if lock:
            stmt = stmt.with_for_update()
        return await self.s.scalar(stmt)

    async def get_many(self, business_id: int, ids: Sequence[int]) -> Sequence[Customer]:
        stmt = select(Customer).where(Customer.business_id == business_id, Customer.id.in_(ids))
        return (await self.s.scalars(stmt)).all()

    async def by_phone(self, business_id: int, phone: str) -> Customer | None:
        """The customer an owner means by this phone: active first, never a merged row."""
        stmt = (
            select(Customer)
            .where(
                Customer.business_id == business_id,
                Customer.merged_into_id.is_(None),
                or_(Customer.phone == phone, Customer.phone_secondary == phone),
            )
            .order_by(
                case((Customer.status == CustomerStatus.ACTIVE, 0), else_=1),
                (Customer.phone == phone).desc(),
                Customer.id,
            )
            .limit(1)
        )
        return await self.s.scalar(stmt)

    async def add(self, row: object) -> None:
        self.s.add(row)
        await self.s.flush()

    async def set_tags(self, business_id: int, customer_id: int, tags: Sequence[str]) -> None:
        await self.s.execute(delete(CustomerTag).where(CustomerTag.customer_id == customer_id))
        self.s.add_all(
            CustomerTag(customer_id=customer_id, tag=t, business_id=business_id) for t in tags
        )

    async def person_for_phone(self, phone: str, now: datetime) -> int:
        """Get-or-create the network Person for a phone, safe under concurrent inserts."""
        dialect = self.s.bind.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = (
            insert(Person)
            .values(phone=phone, created_at=now)
            .on_conflict_do_nothing(index_elements=["phone"])
        )
        await self.s.execute(stmt)
        return int((await self.s.execute(select(Person.id).where(Person.phone == phone))).scalar_one())

    # -- lists -------------------------------------------------------------------
    def _filtered(self, business_id: int, f: CustomerFilter) -> Select[tuple[Customer]]:
        stmt = select(Customer).where(Customer.business_id == business_id)
        conditions: list[ColumnElement[bool]] = []
        if f.search:
            conditions.append(self.search_condition(f.search, f.region))
        if f.statuses:
            conditions.append(Customer.status.in_(f.statuses))
        if f.profile_types:
            conditions.append(Customer.profile_type.in_(f.profile_types))
        for tag in f.tags:
            conditions.append(
                select(CustomerTag.customer_id)
                .where(CustomerTag.business_id == business_id, CustomerTag.tag == tag,
                       CustomerTag.customer_id == Customer.id)
                .exists()
            )
        if f.outstanding_min is not None:
            conditions.append(Customer.outstanding >= f.outstanding_min)
        if f.outstanding_max is not None:
            conditions.append(Customer.outstanding <= f.outstanding_max)
        if f.has_phone is not None:
            conditions.append(Customer.phone.is_not(None) if f.has_phone else Customer.phone.is_(None))
        if f.has_email is not None:
            conditions.append(Customer.email.is_not(None) if f.has_email else Customer.email.is_(None))
        if f.vip is not None:
            conditions.append(Customer.is_vip.is_(f.vip))
        if f.ids:
            conditions.append(Customer.id.in_(f.ids))
        return stmt.where(*conditions)

    @staticmethod
    def search_condition(term: str, region: str) -> ColumnElement[bool]:
        from domain.customers.search import classify

        kind = classify(term, region)
        if kind.email is not None:
            return Customer.email.like(escape_like(kind.email) + "%", escape="\\")
        parts: list[ColumnElement[bool]] = []
        if kind.number is not None:
            parts.append(Customer.number == kind.number)
        if kind.e164 is not None:
            parts.extend([Customer.phone == kind.e164, Customer.phone_secondary == kind.e164])
        if kind.digits_rev is not None:
            parts.append(Customer.phone_rev.like(kind.digits_rev + "%"))
        if kind.name is not None:
            parts.append(Customer.name_search.like(f"%{escape_like(kind.name)}%", escape="\\"))
        return or_(*parts) if parts else literal(False)

    async def page(
        self,
        business_id: int,
        f: CustomerFilter,
        sort: CustomerSort,
        descending: bool,
        first: int,
        after: tuple[Any, int] | None,
    ) -> tuple[Sequence[Customer], bool]:
        expr = sort_expression(sort)
        stmt = self._filtered(business_id, f)
        if after is not None:
            value, last_id = after
            if sort is CustomerSort.CREATED:
                stmt = stmt.where(Customer.id < last_id if descending else Customer.id > last_id)
            elif descending:
                stmt = stmt.where(or_(expr < value, and_(expr == value, Customer.id < last_id)))
            else:
                stmt = stmt.where(or_(expr > value, and_(expr == value, Customer.id > last_id)))
        if sort is CustomerSort.CREATED:
            order = [Customer.id.desc() if descending else Customer.id.asc()]
        else:
            order = [expr.desc(), Customer.id.desc()] if descending else [expr.asc(), Customer.id.asc()]
        rows = (await self.s.scalars(stmt.order_by(*order).limit(first + 1))).all()
        return rows[:first], len(rows) > first

    async def count(self, business_id: int, f: CustomerFilter) -> int:
        sub = self._filtered(business_id, f).with_only_columns(Customer.id).subquery()
        return int((await self.s.execute(select(func.count()).select_from(sub))).scalar_one())

    async def exact_matches(
        self, business_id: int, name: str | None, e164: str | None, email: str | None,
        number: str | None, limit: int,
    ) -> Sequence[Customer]:
        parts: list[ColumnElement[bool]] = []
        if name:
            key = name.casefold().strip()
            parts += [Customer.name_search == key,
                      Customer.name_search.like(escape_like(key) + " | %", escape="\\")]
        if e164:
            parts += [Customer.phone == e164, Customer.phone_secondary == e164]
        if email:
            parts += [Customer.email == email, Customer.email_secondary == email]
        if number:
            parts.append(Customer.number == number)
        if not parts:
            return []
        stmt = (
            select(Customer)
            .where(Customer.business_id == business_id, Customer.merged_into_id.is_(None), or_(*parts))
            .order_by(case((Customer.status == CustomerStatus.ACTIVE, 0), else_=1), Customer.name_search, Customer.id)
            .limit(limit)
        )
        return (await self.s.scalars(stmt)).all()

    async def suggestions(
        self, business_id: int, term: str, region: str, exclude: Sequence[int], limit: int
    ) -> Sequence[Customer]:
        cond = self.search_condition(term, region)
        stmt = select(Customer).where(
            Customer.business_id == business_id, Customer.merged_into_id.is_(None), cond
        )
        if exclude:
            stmt = stmt.where(Customer.id.not_in(exclude))
        key = escape_like(term.casefold().strip())
        prefix_first = case((Customer.name_search.like(key + "%", escape="\\"), 0), else_=1)
        stmt = stmt.order_by(
            case((Customer.status == CustomerStatus.ACTIVE, 0), else_=1),
            prefix_first, Customer.name_search, Customer.id,
        ).limit(limit)
        return (await self.s.scalars(stmt)).all()

    async def duplicate_candidates(self, business_id: int, customer: Customer, limit: int = 200) -> Sequence[Customer]:
        parts: list[ColumnElement[bool]] = []
        for phone in filter(None, (customer.phone, customer.phone_secondary)):
            parts += [Customer.phone == phone, Customer.phone_secondary == phone]
        for email in filter(None, (customer.email, customer.email_secondary)):
            parts += [Customer.email == email, Customer.email_secondary == email]
        first_word = customer.name_search.split(" ")[0]
        if len(first_word) >= 2:
            parts.append(Customer.name_search.like(escape_like(first_word) + "%", escape="\\"))
        stmt = (
            select(Customer)
            .where(Customer.business_id == business_id, Customer.id != customer.id,
                   Customer.merged_into_id.is_(None), or_(*parts))
            .order_by(Customer.id)
            .limit(limit)
        )
        return (await self.s.scalars(stmt)).all()

    async def stats(self, business_id: int) -> dict[str, Any]:
        base = Customer.business_id == business_id
        # Merged-away rows are not customers any more: every count here leaves them out.
        by_status = dict((await self.s.execute(
            select(Customer.status, func.count()).where(base, Customer.merged_into_id.is_(None))
            .group_by(Customer.status))).all())
        by_type = dict((await self.s.execute(
            select(Customer.profile_type, func.count()).where(base, Customer.merged_into_id.is_(None))
            .group_by(Customer.profile_type))).all())
        totals = (await self.s.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((Customer.phone_verified, 1), else_=0)), 0),
                func.coalesce(func.sum(Customer.outstanding), 0),
                func.coalesce(func.sum(case((Customer.is_vip, 1), else_=0)), 0),
                func.coalesce(func.sum(Customer.total_billed), 0),
            ).where(base, Customer.merged_into_id.is_(None))
        )).one()
        top = (await self.s.scalars(
            select(Customer).where(base, Customer.outstanding > 0, Customer.merged_into_id.is_(None))
            .order_by(Customer.outstanding.desc(), Customer.id).limit(5))).all()
        return {
            "by_status": by_status, "by_type": by_type, "total": int(totals[0]),
            "verified": int(totals[1]), "outstanding": Decimal(totals[2]),
            "vip": int(totals[3]), "billed": Decimal(totals[4]), "top": top,
        }

    async def export_batch(self, business_id: int, after_id: int, size: int) -> Sequence[Customer]:
        stmt = (
            select(Customer)
            .where(Customer.business_id == business_id, Customer.id > after_id)
            .order_by(Customer.id)
            .limit(size)
        )
        return (await self.s.scalars(stmt)).all()

    # -- addresses ---------------------------------------------------------------
    async def addresses_for(self, business_id: int, customer_ids: Sequence[int]) -> Sequence[CustomerAddress]:
        stmt = (
            select(CustomerAddress)
            .where(CustomerAddress.business_id == business_id,
                   CustomerAddress.customer_id.in_(customer_ids))
            .order_by(CustomerAddress.customer_id, CustomerAddress.is_default.desc(), CustomerAddress.id)
        )
        return (await self.s.scalars(stmt)).all()

    async def address(self, business_id: int, address_id: int) -> CustomerAddress | None:
        return await self.s.scalar(
            select(CustomerAddress).where(
                CustomerAddress.business_id == business_id, CustomerAddress.id == address_id
            )
        )

    async def clear_default(self, customer_id: int) -> None:
        await self.s.execute(
            update(CustomerAddress)
            .where(CustomerAddress.customer_id == customer_id, CustomerAddress.is_default.is_(True))
            .values(is_default=False)
        )
        await self.s.flush()

    async def delete_address(self, address: CustomerAddress) -> None:
        await self.s.delete(address)
        await self.s.flush()

    async def move_addresses(self, source_id: int, target_id: int) -> int:
        result = await self.s.execute(
            update(CustomerAddress)
            .where(CustomerAddress.customer_id == source_id)
            .values(customer_id=target_id, is_default=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def add_merge(self, merge: CustomerMerge) -> None:
        self.s.add(merge)
        await self.s.flush()
