"""All SQL for orders, their lines and timeline. Every read goes through `read_policy`;
the portal's visibility rules (seed 002) are a named policy here, ready for the portal
issue to switch on for PERSON viewers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.repository import TenantRepository, ViewerKind, unauthenticated
from domain.core.viewer import Viewer
from domain.customers.models import Customer
from domain.customers.repository import escape_like
from domain.orders.models import Order, OrderEvent, OrderLine, OrderStatus
from domain.orders.workflow import AWAITING_DELIVERY

FAR_FUTURE = date(9999, 12, 31)  # orders without an expected date sort after every date


@dataclass(frozen=True)
class PortalVisibility:
    """What a customer sees of their orders in the portal (seed 002, "Order Visibility
    Rules"): their own orders placed in the last `history_months`; of those, cancelled
    ones only for `cancelled_days` after cancelling and drafts only for `draft_days`
    after placing."""

    history_months: int = 24
    cancelled_days: int = 90
    draft_days: int = 7

    def clause(self, person_id: int, now: datetime) -> ColumnElement[bool]:
        """The orders a portal person may see at `now`."""
        own = select(Customer.id).where(Customer.person_id == person_id)
        return and_(
            Order.customer_id.in_(own),
            Order.placed_at >= months_before(now, self.history_months),
            or_(
                Order.status != OrderStatus.CANCELLED,
                Order.cancelled_at >= now - timedelta(days=self.cancelled_days),
            ),
            or_(
                Order.status != OrderStatus.DRAFT,
                Order.placed_at >= now - timedelta(days=self.draft_days),
            ),
        )


PORTAL_VISIBILITY = PortalVisibility()


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day when
    that month is shorter)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


@dataclass
class OrderFilter:
    statuses: Sequence[str] = ()
    customer_id: int | None = None
    placed_from: datetime | None = None  # inclusive
    placed_before: datetime | None = None  # exclusive
    delivery_from: date | None = None
    delivery_to: date | None = None
    overdue_on: date | None = None  # awaiting delivery, expected before this local date
    search: str | None = None
    ids: Sequence[int] = field(default_factory=tuple)


SORTS: dict[str, Any] = {
    "placed_at": Order.placed_at,
    "expected_delivery": func.coalesce(Order.expected_delivery, literal(FAR_FUTURE)),
    "total": Order.total,
    "status_changed_at": Order.status_changed_at,
    "number": Order.number,
}


def sort_value(order: Order, sort: str) -> Any:
    if sort == "expected_delivery":
        return order.expected_delivery or FAR_FUTURE
    return getattr(order, sort)


class OrderRepository(TenantRepository):
    def __init__(
        self,
        session: AsyncSession,
        viewer: Viewer,
        *,
        portal: PortalVisibility | None = None,
        now: datetime | None = None,
    ) -> None:
        """`portal` is the policy PERSON viewers read through (None: they see nothing,
        as today); `now` is the clock's time the portal policy is evaluated at."""
        super().__init__(session, viewer)
        self.portal = portal
        self.now = now

    def read_policy(self, model: Any) -> ColumnElement[bool]:
        """Orders, lines and timeline entries this viewer may read."""
        v = self.viewer
        match v.kind:
            case ViewerKind.STAFF | ViewerKind.API_KEY | ViewerKind.SYSTEM:
                # a system actor reads orders only while acting for a business
                return self.business_rows(model)
            case ViewerKind.PERSON:
                if self.portal is None or v.person_id is None or self.now is None:
                    return false()
                visible = self.portal.clause(v.person_id, self.now)
                if model is Order:
                    return visible
                return model.order_id.in_(select(Order.id).where(visible))  # type: ignore[no-any-return]
            case _:
                raise unauthenticated(v)

    async def move_customer(self, source_id: int, target_id: int) -> int:
        """A merge: the source customer's orders become the target's."""
        result = await self.s.execute(
            update(Order)
            .where(self.read_policy(Order), Order.customer_id == source_id)
            .values(customer_id=target_id)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def get(self, order_id: int, *, lock: bool = False) -> Order | None:
        return await self.get_row(Order, order_id, lock=lock)

    async def by_number(self, number: str) -> Order | None:
        return await self.s.scalar(self.readable(Order).where(Order.number == number))

    def _filtered(self, f: OrderFilter) -> Any:
        conditions: list[ColumnElement[bool]] = []
        if f.statuses:
            conditions.append(Order.status.in_(f.statuses))
        if f.customer_id is not None:
            conditions.append(Order.customer_id == f.customer_id)
        if f.placed_from is not None:
            conditions.append(Order.placed_at >= f.placed_from)
        if f.placed_before is not None:
            conditions.append(Order.placed_at < f.placed_before)
        if f.delivery_from is not None:
            conditions.append(Order.expected_delivery >= f.delivery_from)
        if f.delivery_to is not None:
            conditions.append(Order.expected_delivery <= f.delivery_to)
        if f.overdue_on is not None:
            conditions += [
                Order.status.in_(AWAITING_DELIVERY),
                Order.expected_delivery < f.overdue_on,
            ]
        if f.ids:
            conditions.append(Order.id.in_(f.ids))
        if f.search:
            conditions.append(self._search(f.search))
        return self.readable(Order).where(*conditions)

    def _search(self, text: str) -> ColumnElement[bool]:
        """Order number, or the customer's name or phone (digits anywhere in it)."""
        q = text.strip()
        options: list[ColumnElement[bool]] = [
            Order.number.like(f"%{escape_like(q.upper())}%", escape="\\")
        ]
        names = select(Customer.id).where(
            self.business_rows(Customer),
            Customer.name_search.like(f"%{escape_like(q.casefold())}%", escape="\\"),
        )
        options.append(Order.customer_id.in_(names))
        digits = "".join(ch for ch in q if ch.isdigit())
        if len(digits) >= 3:
            phones = select(Customer.id).where(
                self.business_rows(Customer), Customer.phone.like(f"%{digits}%")
            )
            options.append(Order.customer_id.in_(phones))
        return or_(*options)

    async def page(
        self,
        f: OrderFilter,
        first: int,
        after: tuple[Any, int] | None,
        sort: str,
        descending: bool,
    ) -> tuple[Sequence[Order], bool]:
        expr: Any = SORTS.get(sort, Order.id)
        stmt = self._filtered(f)
        if after is not None:
            value, last_id = after
            if descending:
                stmt = stmt.where(or_(expr < value, and_(expr == value, Order.id < last_id)))
            else:
                stmt = stmt.where(or_(expr > value, and_(expr == value, Order.id > last_id)))
        order = [expr.desc(), Order.id.desc()] if descending else [expr.asc(), Order.id.asc()]
        rows = (await self.s.scalars(stmt.order_by(*order).limit(first + 1))).all()
        return rows[:first], len(rows) > first

    async def count(self, f: OrderFilter) -> int:
        sub = self._filtered(f).with_only_columns(Order.id).subquery()
        return int((await self.s.execute(select(func.count()).select_from(sub))).scalar_one())

    async def counts_by_status(self, overdue_on: date) -> tuple[dict[str, int], int]:
        """How many orders are in each status, and how many deliveries are overdue."""
        rows = (
            await self.s.execute(
                self.readable(Order, Order.status, func.count(Order.id)).group_by(Order.status)
            )
        ).all()
        overdue = await self.count(OrderFilter(overdue_on=overdue_on))
        return {str(s): int(n) for s, n in rows}, overdue

    async def lines_for(self, order_ids: Sequence[int]) -> Sequence[OrderLine]:
        stmt = (
            self.readable(OrderLine)
            .where(OrderLine.order_id.in_(order_ids))
            .order_by(OrderLine.order_id, OrderLine.position)
        )
        return (await self.s.scalars(stmt)).all()

    async def events_for(self, order_ids: Sequence[int]) -> Sequence[OrderEvent]:
        stmt = (
            self.readable(OrderEvent)
            .where(OrderEvent.order_id.in_(order_ids))
            .order_by(OrderEvent.order_id, OrderEvent.id)
        )
        return (await self.s.scalars(stmt)).all()

    async def event(self, entry_id: int) -> OrderEvent | None:
        """One timeline entry (a live update names it by id)."""
        return await self.get_row(OrderEvent, entry_id)

    async def newest_per_customer(
        self, customer_ids: Sequence[int], per_customer: int
    ) -> Sequence[Order]:
        """The N most recently placed orders of each customer, in one statement."""
        ranked = (
            self.readable(
                Order,
                Order.id,
                func.row_number()
                .over(
                    partition_by=Order.customer_id,
                    order_by=(Order.placed_at.desc(), Order.id.desc()),
                )
                .label("rank"),
            )
            .where(Order.customer_id.in_(customer_ids))
            .subquery()
        )
        stmt = (
            select(Order)
            .join(ranked, ranked.c.id == Order.id)
            .where(ranked.c.rank <= per_customer)
            .order_by(Order.customer_id, Order.placed_at.desc(), Order.id.desc())
        )
        return (await self.s.scalars(stmt)).all()

    async def by_ids(self, ids: Sequence[int]) -> Sequence[Order]:
        return (await self.s.scalars(self.readable(Order).where(Order.id.in_(ids)))).all()


__all__ = ["PORTAL_VISIBILITY", "OrderFilter", "OrderRepository", "PortalVisibility"]
