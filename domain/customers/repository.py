"""All SQL for customers, their tags, addresses and merges (lists and searches are in
`search_repository`, on the same policy). Every read goes through `read_policy` (what the
viewer may see); no method takes a business id from its caller. Writes carry the business
id of the rows their service loaded through the policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.db import conflict_insert
from domain.core.orm import UTCDateTime
from domain.core.repository import TenantRepository
from domain.core.viewer import Viewer
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
    vip_modes: Sequence[str] = ()
    activity: str | None = None
    region: str = "IN"
    ids: Sequence[int] = field(default_factory=tuple)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def starts_with(column: Any, prefix: str, dialect: str) -> ColumnElement[bool]:
    """`column LIKE 'prefix%'`, answered by an index on both engines. SQLite's LIKE
    ignores ASCII case, so it never uses a (BINARY) index; there the same rows are a key
    range, prefix <= column < prefix with its last character bumped (byte order)."""
    if dialect == "sqlite" and prefix and ord(prefix[-1]) < 0xD7FF:
        return and_(column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1))
    return column.like(escape_like(prefix) + "%", escape="\\")


def search_key(name: str, name_alt: str | None) -> str:
    key = name.casefold().strip()
    return f"{key} | {name_alt.casefold().strip()}" if name_alt else key


def reversed_digits(phone: str | None) -> str | None:
    return "".join(ch for ch in reversed(phone) if ch.isdigit()) if phone else None


def sort_expression(sort: CustomerSort) -> Any:
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


class CustomerRepository(TenantRepository):
    """Customers, tags, addresses and merges are the business's own records (the default
    policy). There is no cross-business customer read, so a system actor without a
    business is refused like a staff member who chose none."""

    def __init__(self, session: AsyncSession, viewer: Viewer) -> None:
        super().__init__(session, viewer)
        bind = session.bind
        self.dialect = bind.dialect.name if bind is not None else "postgresql"

    # -- single rows -------------------------------------------------------------
    async def get(self, customer_id: int, *, lock: bool = False) -> Customer | None:
        return await self.get_row(Customer, customer_id, lock=lock)

    async def get_many(self, ids: Sequence[int], *, lock: bool = False) -> Sequence[Customer]:
        """With lock, rows are locked in id order: two writers locking overlapping sets
        queue instead of deadlocking."""
        stmt = self.readable(Customer).where(Customer.id.in_(ids))
        if lock:
            stmt = stmt.order_by(Customer.id).with_for_update()
        return (await self.s.scalars(stmt)).all()

    async def by_phone(self, phone: str) -> Customer | None:
        """The customer an owner means by this phone: active first, never a merged row."""
        stmt = (
            self.readable(Customer)
            .where(
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

    async def with_phones(self, phones: Sequence[str], limit: int = 10) -> Sequence[Customer]:
        """The customers (never merged rows) having any of these phones, as primary or
        secondary: active first, then oldest."""
        if not phones:
            return []
        stmt = (
            self.readable(Customer)
            .where(
                Customer.merged_into_id.is_(None),
                or_(Customer.phone.in_(phones), Customer.phone_secondary.in_(phones)),
            )
            .order_by(case((Customer.status == CustomerStatus.ACTIVE, 0), else_=1), Customer.id)
            .limit(limit)
        )
        return (await self.s.scalars(stmt)).all()

    def add_tags(self, customer: Customer) -> None:
        """A new customer's tag rows (it has none yet: nothing to delete)."""
        self.s.add_all(
            CustomerTag(customer_id=customer.id, tag=t, business_id=customer.business_id)
            for t in customer.tags
        )

    async def set_tags(self, customer: Customer) -> None:
        """The customer's tag rows become its `tags` list."""
        await self.s.execute(
            delete(CustomerTag).where(
                self.read_policy(CustomerTag), CustomerTag.customer_id == customer.id
            )
        )
        self.s.add_all(
            CustomerTag(customer_id=customer.id, tag=t, business_id=customer.business_id)
            for t in customer.tags
        )

    async def person_for_phone(self, phone: str, now: datetime) -> int:
        """Get-or-create the network Person for a phone, safe under concurrent inserts.
        A Person is the network identity shared by every business (not business-owned):
        only its id is handed back, to link the viewer's customer to it."""
        stmt = (
            conflict_insert(self.s, Person)
            .values(phone=phone, created_at=now)
            .on_conflict_do_nothing(index_elements=["phone"])
        )
        await self.s.execute(stmt)
        return int(
            (await self.s.execute(select(Person.id).where(Person.phone == phone))).scalar_one()
        )

    async def persons_for_phones(self, phones: Sequence[str], now: datetime) -> dict[str, int]:
        """`person_for_phone` for many phones in two statements (bulk import)."""
        if not phones:
            return {}
        unique = sorted(set(phones))
        await self.s.execute(
            conflict_insert(self.s, Person)
            .values([{"phone": p, "created_at": now} for p in unique])
            .on_conflict_do_nothing(index_elements=["phone"])
        )
        rows = await self.s.execute(select(Person.phone, Person.id).where(Person.phone.in_(unique)))
        return {phone: int(pid) for phone, pid in rows.all()}

    # -- summaries and export ---------------------------------------------------
    async def stats(self) -> dict[str, Any]:
        base = self.read_policy(Customer)
        # Merged-away rows are not customers any more: every count here leaves them out.
        by_status = dict(
            (
                await self.s.execute(
                    select(Customer.status, func.count())
                    .where(base, Customer.merged_into_id.is_(None))
                    .group_by(Customer.status)
                )
            ).all()
        )
        by_type = dict(
            (
                await self.s.execute(
                    select(Customer.profile_type, func.count())
                    .where(base, Customer.merged_into_id.is_(None))
                    .group_by(Customer.profile_type)
                )
            ).all()
        )
        totals = (
            await self.s.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((Customer.phone_verified, 1), else_=0)), 0),
                    func.coalesce(func.sum(Customer.outstanding), 0),
                    func.coalesce(func.sum(case((Customer.is_vip, 1), else_=0)), 0),
                    func.coalesce(func.sum(Customer.total_billed), 0),
                ).where(base, Customer.merged_into_id.is_(None))
            )
        ).one()
        top = (
            await self.s.scalars(
                select(Customer)
                .where(base, Customer.outstanding > 0, Customer.merged_into_id.is_(None))
                .order_by(Customer.outstanding.desc(), Customer.id)
                .limit(5)
            )
        ).all()
        return {
            "by_status": by_status,
            "by_type": by_type,
            "total": int(totals[0]),
            "verified": int(totals[1]),
            "outstanding": Decimal(totals[2]),
            "vip": int(totals[3]),
            "billed": Decimal(totals[4]),
            "top": top,
        }

    async def export_batch(self, after_id: int, size: int) -> Sequence[Customer]:
        stmt = (
            self.readable(Customer).where(Customer.id > after_id).order_by(Customer.id).limit(size)
        )
        return (await self.s.scalars(stmt)).all()

    # -- addresses ---------------------------------------------------------------
    async def addresses_for(self, customer_ids: Sequence[int]) -> Sequence[CustomerAddress]:
        stmt = (
            self.readable(CustomerAddress)
            .where(CustomerAddress.customer_id.in_(customer_ids))
            .order_by(
                CustomerAddress.customer_id, CustomerAddress.is_default.desc(), CustomerAddress.id
            )
        )
        return (await self.s.scalars(stmt)).all()

    async def address(self, address_id: int) -> CustomerAddress | None:
        return await self.get_row(CustomerAddress, address_id)

    async def clear_default(self, customer_id: int) -> None:
        await self.s.execute(
            update(CustomerAddress)
            .where(
                self.read_policy(CustomerAddress),
                CustomerAddress.customer_id == customer_id,
                CustomerAddress.is_default.is_(True),
            )
            .values(is_default=False)
        )
        await self.s.flush()

    async def delete_address(self, address: CustomerAddress) -> None:
        await self.s.delete(address)
        await self.s.flush()

    async def move_addresses(self, source_id: int, target_id: int) -> int:
        result = await self.s.execute(
            update(CustomerAddress)
            .where(self.read_policy(CustomerAddress), CustomerAddress.customer_id == source_id)
            .values(customer_id=target_id, is_default=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def merge(self, merge_id: int) -> CustomerMerge | None:
        return await self.get_row(CustomerMerge, merge_id)

    async def add_merge(self, merge: CustomerMerge) -> None:
        self.s.add(merge)
        await self.s.flush()
