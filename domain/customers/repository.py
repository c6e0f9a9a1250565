"""All SQL for customers, their tags, addresses and merges. Every read goes through
`read_policy` (what the viewer may see); no method takes a business id from its caller.
Writes carry the business id of the rows their service loaded through the policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    case,
    delete,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import Select
from sqlalchemy.sql.util import ClauseAdapter

from domain.core import bulk
from domain.core.orm import UTCDateTime
from domain.core.repository import TenantRepository, ViewerKind, unauthenticated
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
    def __init__(self, session: AsyncSession, viewer: Viewer) -> None:
        super().__init__(session, viewer)
        bind = session.bind
        self.dialect = bind.dialect.name if bind is not None else "postgresql"

    def read_policy(self, model: Any) -> ColumnElement[bool]:
        """Customers, tags, addresses and merges are the business's own records: anyone
        acting for a business (staff, its API keys, a job or webhook acting for it) reads
        that business's rows. There is no cross-business customer read, so a system actor
        without a business is refused like a staff member who chose none."""
        v = self.viewer
        match v.kind:
            case ViewerKind.STAFF | ViewerKind.API_KEY | ViewerKind.SYSTEM:
                return self.business_rows(model)
            case ViewerKind.PERSON:
                return false()  # the portal issue: the customers linked to the person
            case _:
                raise unauthenticated(v)

    # -- single rows -------------------------------------------------------------
    async def get(self, customer_id: int, *, lock: bool = False) -> Customer | None:
        stmt = self.readable(Customer).where(Customer.id == customer_id)
        if lock:
            stmt = stmt.with_for_update()
        return await self.s.scalar(stmt)

    async def get_many(self, ids: Sequence[int], *, lock: bool = False) -> Sequence[Customer]:
        """With lock, rows are locked in id order: two writers locking overlapping sets
        queue instead of deadlocking."""
        stmt = self.readable(Customer).where(Customer.id.in_(ids))
        if lock:
            stmt = stmt.order_by(Customer.id).with_for_update()
        return (await self.s.scalars(stmt)).all()

    async def write_columns(
        self,
        customers: Sequence[Customer],
        values: Sequence[dict[str, Any]],
        *,
        into: bulk.Writes | None = None,
    ) -> None:
        """Sets columns of loaded customers with one UPDATE per set of column names,
        leaving the objects clean (no second write at flush): a batch of invoices updates
        many customers' summaries at once. With `into`, the UPDATEs are written by that
        batch of writes when it runs."""
        by_columns: dict[tuple[str, ...], tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
        for customer, row in zip(customers, values, strict=True):
            for key, value in row.items():
                set_committed_value(customer, key, value)
            keys, vals = by_columns.setdefault(tuple(row), ([], []))
            keys.append({"id": customer.id, "business_id": customer.business_id})
            vals.append(row)
        table = cast(Table, Customer.__table__)
        for keys, vals in by_columns.values():
            if into is not None:
                into.update(table, keys, vals)
            else:
                await bulk.update_rows(self.s, table, keys, vals)

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

    async def add(self, row: object) -> None:
        self.s.add(row)
        await self.s.flush()

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
        dialect = self.s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = (
            insert(Person)
            .values(phone=phone, created_at=now)
            .on_conflict_do_nothing(index_elements=["phone"])
        )
        await self.s.execute(stmt)
        return int(
            (await self.s.execute(select(Person.id).where(Person.phone == phone))).scalar_one()
        )

    # -- lists -------------------------------------------------------------------
    def _filtered(self, f: CustomerFilter) -> Select[Any]:
        stmt = self.readable(Customer)
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
                .where(
                    self.read_policy(CustomerTag),
                    CustomerTag.tag == tag,
                    CustomerTag.customer_id == Customer.id,
                )
                .exists()
            )
        if f.outstanding_min is not None:
            conditions.append(Customer.outstanding >= f.outstanding_min)
        if f.outstanding_max is not None:
            conditions.append(Customer.outstanding <= f.outstanding_max)
        if f.has_phone is not None:
            conditions.append(
                Customer.phone.is_not(None) if f.has_phone else Customer.phone.is_(None)
            )
        if f.has_email is not None:
            conditions.append(
                Customer.email.is_not(None) if f.has_email else Customer.email.is_(None)
            )
        if f.vip is not None:
            conditions.append(Customer.is_vip.is_(f.vip))
        if f.ids:
            conditions.append(Customer.id.in_(f.ids))
        return stmt.where(*conditions)

    def search_condition(self, term: str, region: str) -> ColumnElement[bool]:
        from domain.customers.search import classify

        kind = classify(term, region)
        if kind.email is not None:
            return starts_with(Customer.email, kind.email, self.dialect)
        parts: list[ColumnElement[bool]] = []
        if kind.number is not None:
            parts.append(Customer.number == kind.number)
        if kind.e164 is not None:
            parts.extend([Customer.phone == kind.e164, Customer.phone_secondary == kind.e164])
        if kind.digits_rev is not None:
            parts.append(starts_with(Customer.phone_rev, kind.digits_rev, self.dialect))
        if kind.name is not None:
            parts.append(Customer.name_search.like(f"%{escape_like(kind.name)}%", escape="\\"))
        return or_(*parts) if parts else literal(False)

    async def page(
        self,
        f: CustomerFilter,
        sort: CustomerSort,
        descending: bool,
        first: int,
        after: tuple[Any, int] | None,
    ) -> tuple[Sequence[Customer], bool]:
        expr = sort_expression(sort)
        stmt = self._filtered(f)
        keyset: list[ColumnElement[bool]] = []
        if after is not None:
            value, last_id = after
            if sort is CustomerSort.CREATED:
                keyset.append(Customer.id < last_id if descending else Customer.id > last_id)
            elif descending:
                keyset.append(or_(expr < value, and_(expr == value, Customer.id < last_id)))
            else:
                keyset.append(or_(expr > value, and_(expr == value, Customer.id > last_id)))
            stmt = stmt.where(*keyset)
        if sort is CustomerSort.CREATED:
            order = [Customer.id.desc() if descending else Customer.id.asc()]
        else:
            order = (
                [expr.desc(), Customer.id.desc()] if descending else [expr.asc(), Customer.id.asc()]
            )
        ids: Select[Any] | Sequence[int] | None = None
        if f.search and self.search_is_narrow(f.search, f.region):
            # A phone (suffix), an email or a number: its own index finds a handful of
            # rows, but the planner guesses such a LIKE prefix ~100x too common and would
            # walk the name index in order instead, reading every row (65 ms for 4 digits).
            ids = self._ranked(stmt, expr, descending, first + 1)
        elif f.search and sort is CustomerSort.NAME and self._name_and_status_only(f):
            # A name piece in name order: walking the name index finds the page at once
            # when matches are spread out ("sharma"), but a first name sits in one stretch
            # of the alphabet ("sanjay": 70,000 entries before the first match, 18 ms).
            # Look in the next PROBE_WINDOW entries; if the page is not there, rank all
            # the matches instead (trigram index; cost follows the number of matches).
            ids = await self._name_walk(
                keyset,
                [self.search_condition(f.search, f.region), *self._status_in(f)],
                descending,
                first + 1,
            )
            if ids is None:
                ids = self._ranked(stmt, expr, descending, first + 1)
        else:
            ids = stmt.with_only_columns(Customer.id).order_by(*order).limit(first + 1)
        rows = (await self.s.scalars(self._rows_for(ids, order))).all()
        return rows[:first], len(rows) > first

    # How far a name-ordered walk looks before ranking all matches instead: ~1 ms of
    # index-only scan, enough for any piece found in more than ~0.5% of the names.
    PROBE_WINDOW = 5_000

    @staticmethod
    def _name_and_status_only(f: CustomerFilter) -> bool:
        """Filters the covering name index can answer on its own (see the model)."""
        from domain.customers.search import classify

        kind = classify(f.search or "", f.region)
        return (
            kind.name is not None
            and kind.number is None
            and not f.profile_types
            and not f.tags
            and f.outstanding_min is None
            and f.outstanding_max is None
            and f.has_phone is None
            and f.has_email is None
            and f.vip is None
            and not f.ids
        )

    @staticmethod
    def _status_in(f: CustomerFilter) -> list[ColumnElement[bool]]:
        return [Customer.status.in_(f.statuses)] if f.statuses else []

    async def _name_walk(
        self,
        keyset: Sequence[ColumnElement[bool]],
        conditions: Sequence[ColumnElement[bool]],
        descending: bool,
        limit: int,
    ) -> Sequence[int] | None:
        """The first `limit` ids in name order if they lie within the next PROBE_WINDOW
        entries of ix_customers_business_name (an index-only scan of a fixed length: the
        conditions may use only the columns it covers), else None."""
        direction = (lambda c: c.desc()) if descending else (lambda c: c.asc())
        window = (
            self.readable(
                Customer,
                Customer.id,
                Customer.name_search,
                Customer.status,
                Customer.merged_into_id,
            )
            .where(*keyset)
            .order_by(direction(Customer.name_search), direction(Customer.id))
            .limit(self.PROBE_WINDOW)
            .subquery("name_window")
        )
        adapt = ClauseAdapter(window).traverse
        found = (
            await self.s.scalars(
                select(window.c.id)
                .where(*(adapt(c) for c in conditions))
                .order_by(direction(window.c.name_search), direction(window.c.id))
                .limit(limit)
            )
        ).all()
        return found if len(found) >= limit else None

    @staticmethod
    def _ranked(stmt: Select[Any], expr: Any, descending: bool, limit: int) -> Select[Any]:
        """Ids of stmt's first rows by (expr, id), matching done first: OFFSET 0 fences the
        match into a subquery of its own, so the planner cannot walk an index in sort
        order instead (it does, when it overestimates the matches)."""
        matches = (
            stmt.with_only_columns(Customer.id.label("id"), expr.label("sort_key"))
            .offset(0)
            .subquery("matches")
        )
        key, key_id = matches.c.sort_key, matches.c.id
        order = [key.desc(), key_id.desc()] if descending else [key.asc(), key_id.asc()]
        return select(key_id).order_by(*order).limit(limit)

    @staticmethod
    def _rows_for(ids: Select[Any] | Sequence[int], order: Sequence[Any]) -> Select[Any]:
        """Ids first, rows after. The id query of a name search reads only business_id,
        name_search, id, status and merged_into_id, which ix_customers_business_name
        covers, so it walks (or sorts) that index alone, never the table: walking the
        index and reading each row to test the name cost 100+ ms when a piece's matches
        sit late in the alphabet ("zaina" among 100,000 customers)."""
        return select(Customer).where(Customer.id.in_(ids)).order_by(*order)

    @staticmethod
    def search_is_narrow(term: str, region: str) -> bool:
        """Phones, phone suffixes, emails and numbers: a handful of rows found through
        their own indexes (a number-shaped term also matches names, through trigrams)."""
        from domain.customers.search import classify

        kind = classify(term, region)
        return kind.name is None or kind.number is not None

    async def count(self, f: CustomerFilter) -> int:
        sub = self._filtered(f).with_only_columns(Customer.id).subquery()
        return int((await self.s.execute(select(func.count()).select_from(sub))).scalar_one())

    async def exact_matches(
        self,
        name: str | None,
        e164: str | None,
        email: str | None,
        number: str | None,
        limit: int,
    ) -> Sequence[Customer]:
        parts: list[ColumnElement[bool]] = []
        if name:
            key = name.casefold().strip()
            parts += [
                Customer.name_search == key,
                starts_with(Customer.name_search, key + " | ", self.dialect),
            ]
        if e164:
            parts += [Customer.phone == e164, Customer.phone_secondary == e164]
        if email:
            parts += [Customer.email == email, Customer.email_secondary == email]
        if number:
            parts.append(Customer.number == number)
        if not parts:
            return []
        # One index lookup per way of matching, instead of one OR: without statistics
        # (SQLite is never ANALYZEd) the planner reads the OR as "every row of the business
        # then filter", 85 ms on 100,000 customers; PostgreSQL plans both the same.
        matching = union_all(
            *(
                self.readable(Customer, Customer.id).where(Customer.merged_into_id.is_(None), part)
                for part in parts
            )
        )
        stmt = (
            select(Customer)
            .where(Customer.id.in_(matching))
            .order_by(
                case((Customer.status == CustomerStatus.ACTIVE, 0), else_=1),
                Customer.name_search,
                Customer.id,
            )
            .limit(limit)
        )
        return (await self.s.scalars(stmt)).all()

    async def suggestions(
        self, term: str, region: str, exclude: Sequence[int], limit: int
    ) -> Sequence[Customer]:
        """Active before inactive, names starting with the term before names containing
        it, then by name; never merged rows."""
        conditions = [Customer.merged_into_id.is_(None), self.search_condition(term, region)]
        if exclude:
            conditions.append(Customer.id.not_in(exclude))
        prefix = starts_with(Customer.name_search, term.casefold().strip(), self.dialect)
        active = Customer.status == CustomerStatus.ACTIVE
        scoped = self.readable(Customer, Customer.id)
        if self.search_is_narrow(term, region):  # a handful of rows: rank them all at once
            order = [
                case((active, 0), else_=1),
                case((prefix, 0), else_=1),
                Customer.name_search,
                Customer.id,
            ]
            ranked = scoped.where(*conditions).order_by(*order).limit(limit)
            return (await self.s.scalars(self._rows_for(ranked, order))).all()
        # A name piece: the ranking is four bands (active or not x starts with the piece or
        # only contains it), each in name order. Fill them in turn and stop at the limit.
        # A "starts with" band is a range of the covering name index and usually fills the
        # list by itself; ranking every match at once read all ~10,000 rows holding "ami"
        # to return 10 (15 ms). A "contains" band is looked up like a page (see page()).
        found: list[int] = []
        for status, starts in ((active, True), (active, False), (~active, True), (~active, False)):
            band = [*conditions, status, prefix if starts else ~prefix]
            want = limit - len(found)
            band_ids: Sequence[int] | None = None
            if starts:
                band_ids = (
                    await self.s.scalars(
                        scoped.where(*band).order_by(Customer.name_search, Customer.id).limit(want)
                    )
                ).all()
            else:
                band_ids = await self._name_walk([], band, False, want)
                if band_ids is None:
                    in_order = self._ranked(scoped.where(*band), Customer.name_search, False, want)
                    band_ids = (await self.s.scalars(in_order)).all()
            found += band_ids
            if len(found) >= limit:
                break
        if not found:
            return []
        # By primary key alone: the ids come from the policy's queries above, and SQLite
        # without statistics would rather scan the business for `business_id = ? AND id IN`.
        loaded = (await self.s.scalars(select(Customer).where(Customer.id.in_(found)))).all()
        rows = {c.id: c for c in loaded}
        return [rows[i] for i in found]

    async def duplicate_candidates(
        self, customer: Customer, limit: int = 200
    ) -> Sequence[Customer]:
        parts: list[ColumnElement[bool]] = []
        for phone in filter(None, (customer.phone, customer.phone_secondary)):
            parts += [Customer.phone == phone, Customer.phone_secondary == phone]
        for email in filter(None, (customer.email, customer.email_secondary)):
            parts += [Customer.email == email, Customer.email_secondary == email]
        first_word = customer.name_search.split(" ")[0]
        if len(first_word) >= 2:
            parts.append(starts_with(Customer.name_search, first_word, self.dialect))
        stmt = (
            self.readable(Customer)
            .where(
                Customer.id != customer.id,
                Customer.merged_into_id.is_(None),
                or_(*parts),
            )
            .order_by(Customer.id)
            .limit(limit)
        )
        return (await self.s.scalars(stmt)).all()

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
        return await self.s.scalar(
            self.readable(CustomerAddress).where(CustomerAddress.id == address_id)
        )

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
        return await self.s.scalar(self.readable(CustomerMerge).where(CustomerMerge.id == merge_id))

    async def add_merge(self, merge: CustomerMerge) -> None:
        self.s.add(merge)
        await self.s.flush()
