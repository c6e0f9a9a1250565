"""Customer lists and searches: the filtered, sorted, keyset-paged connection, the
counter search (exact matches, then suggestions) and duplicate candidates. Each lookup is
shaped so that an index answers it on both engines; the read policy is the customer
repository's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, union_all
from sqlalchemy.sql import Select
from sqlalchemy.sql.util import ClauseAdapter

from domain.customers.models import Customer, CustomerStatus, CustomerTag
from domain.customers.repository import (
    CustomerFilter,
    CustomerRepository,
    CustomerSort,
    escape_like,
    sort_expression,
    starts_with,
)
from domain.customers.search import classify


class CustomerSearchRepository(CustomerRepository):
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
        if f.vip_modes:
            conditions.append(Customer.vip_mode.in_(f.vip_modes))
        if f.activity is not None:
            conditions.append(Customer.activity == f.activity)
        if f.ids:
            conditions.append(Customer.id.in_(f.ids))
        return stmt.where(*conditions)

    def search_condition(self, term: str, region: str) -> ColumnElement[bool]:
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
            and not f.vip_modes
            and f.activity is None
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
