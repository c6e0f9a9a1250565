"""Orders queries: one order (by id or number), the orders connection, status counts."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import strawberry

from domain.core.errors import NotFound
from domain.core.pagination import clamp_first, decode_cursor, encode_cursor
from domain.core.viewer import Scope
from domain.invoicing.service import load_business
from domain.orders import queries
from domain.orders.models import OrderStatus as Status
from domain.orders.repository import OrderFilter, sort_value
from resolvers.access import needs
from resolvers.base import Info, reading
from resolvers.invoicing.views import _today
from resolvers.orders.views import order_view
from schema.relay import Edge, expect_id, page_info
from schema.types.common import SortDirection
from schema.types.orders.inputs import OrderFilterInput, OrderSortInput
from schema.types.orders.objects import (
    Order,
    OrderConnection,
    OrderStatusCount,
    OrderStatusCounts,
)


def _start_of(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone))


@strawberry.type
class OrderQueries:
    @strawberry.field(extensions=[needs(Scope.ORDERS_READ)])
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        async with reading(info) as tx:
            try:
                row = await queries.read_order(tx, expect_id(id, "Order"))
            except NotFound:
                return None
            return await order_view(info, tx, row)

    @strawberry.field(extensions=[needs(Scope.ORDERS_READ)])
    async def order_by_number(self, info: Info, number: str) -> Order | None:
        async with reading(info) as tx:
            row = await queries.order_by_number(tx, number)
            return await order_view(info, tx, row) if row else None

    @strawberry.field(
        description="Orders of the business: search, filters and sorts, keyset paginated.",
        extensions=[needs(Scope.ORDERS_READ)],
    )
    async def orders(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: OrderFilterInput | None = None,
        sort: OrderSortInput | None = None,
    ) -> OrderConnection:
        ctx = info.context
        sort = sort or OrderSortInput()
        f = filter or OrderFilterInput()
        async with reading(info) as tx:
            today = await _today(info, tx)
            zone = (await load_business(tx)).timezone
            domain_filter = OrderFilter(
                statuses=[s.value for s in f.status or []],
                customer_id=expect_id(f.customer_id, "Customer", "filter.customerId")
                if f.customer_id
                else None,
                placed_from=_start_of(f.placed_from, zone) if f.placed_from else None,
                placed_before=_start_of(f.placed_to + timedelta(days=1), zone)
                if f.placed_to
                else None,
                delivery_from=f.delivery_from,
                delivery_to=f.delivery_to,
                overdue_on=today if f.overdue else None,
                search=(f.search or "").strip()[:100] or None,
            )
            limit = clamp_first(first, ctx.rt.settings.max_page_size)
            field = sort.field.value
            key = f"ord:{field}:{sort.direction.value}"
            cursor = decode_cursor(after, key) if after else None
            if cursor is not None and field == "expected_delivery":
                cursor = (date.fromisoformat(str(cursor[0])), cursor[1])
            rows, more = await queries.order_page(
                tx, domain_filter, limit, cursor, field, sort.direction is SortDirection.DESC
            )

        def value(r: object) -> object:
            v = sort_value(r, field)  # type: ignore[arg-type]
            return v.isoformat() if isinstance(v, date) and not isinstance(v, datetime) else v

        cursors = [encode_cursor(key, value(r), r.id) for r in rows]

        async def count() -> int:
            async with reading(info) as tx:
                return await queries.count_orders(tx, domain_filter)

        return OrderConnection(
            edges=[
                Edge(cursor=c, node=Order.from_row(r, today))
                for r, c in zip(rows, cursors, strict=True)
            ],
            page_info=page_info(cursors, more, cursor is not None),
            count_fn=count,
        )

    @strawberry.field(
        description="How many orders are in each status, for a dashboard card.",
        extensions=[needs(Scope.ORDERS_READ)],
    )
    async def order_status_counts(self, info: Info) -> OrderStatusCounts:
        async with reading(info) as tx:
            counts = await queries.status_counts(tx)
        return OrderStatusCounts(
            by_status=[OrderStatusCount(status=s, count=n) for s, n in counts.by_status.items()],
            active=counts.active,
            overdue_deliveries=counts.overdue_deliveries,
            total=sum(counts.by_status.values()),
        )


__all__ = ["OrderQueries", "Status"]
