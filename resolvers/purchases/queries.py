"""Purchase queries: one, pages (per customer or across the business), the customer
timeline, the business's status rules."""

from __future__ import annotations

import strawberry

from domain.core.errors import NotFound
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.purchases import queries, service
from resolvers.access import needs
from resolvers.base import Info, reading
from schema.relay import Edge, expect_id, page_info
from schema.types.purchases.objects import (
    CustomerStatusRules,
    Purchase,
    PurchaseConnection,
    TimelineConnection,
    TimelineEntry,
)


@strawberry.type
class PurchaseQueries:
    @strawberry.field(
        description="A counter purchase of the active business; null if not found.",
        extensions=[needs(Scope.PURCHASES_READ)],
    )
    async def purchase(self, info: Info, id: strawberry.ID) -> Purchase | None:
        async with reading(info) as tx:
            try:
                return Purchase.from_row(await service.get_purchase(tx, expect_id(id, "Purchase")))
            except NotFound:
                return None

    @strawberry.field(
        description="Counter purchases, newest first: one customer's, or the business's "
        "recent ones without customerId. Keyset-paginated.",
        extensions=[needs(Scope.PURCHASES_READ)],
    )
    async def purchases(
        self,
        info: Info,
        customer_id: strawberry.ID | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> PurchaseConnection:
        ctx = info.context
        async with reading(info) as tx:
            cid = expect_id(customer_id, "Customer", "customerId") if customer_id else None
            page = await queries.purchases_page(
                tx, cid, first, after, ctx.rt.settings.max_page_size
            )
        viewer = tx.viewer

        async def count() -> int:
            async with ctx.rt.db.read() as session:
                return await queries.count_purchases(Tx(session, viewer, ctx.rt.clock), cid)

        return PurchaseConnection(
            edges=[
                Edge(cursor=c, node=Purchase.from_row(p))
                for p, c in zip(page.items, page.cursors, strict=True)
            ],
            page_info=page_info(page.cursors, page.has_next_page, after is not None),
            count_fn=count,
        )

    @strawberry.field(
        description="The customer's counter purchases, invoices, payments and orders in one "
        "chronological list, newest first (ties: purchase, payment, invoice, order, then "
        "newest id). Keyset-paginated on (time, kind, id); needs INVOICES_READ and "
        "ORDERS_READ too.",
        extensions=[needs(Scope.PURCHASES_READ)],
    )
    async def customer_timeline(
        self,
        info: Info,
        customer_id: strawberry.ID,
        first: int | None = 20,
        after: str | None = None,
    ) -> TimelineConnection:
        async with reading(info) as tx:
            page = await queries.timeline_page(
                tx,
                expect_id(customer_id, "Customer", "customerId"),
                first,
                after,
                info.context.rt.settings.max_page_size,
            )
        return TimelineConnection(
            edges=[
                Edge(cursor=c, node=TimelineEntry.from_row(r))
                for r, c in zip(page.items, page.cursors, strict=True)
            ],
            page_info=page_info(page.cursors, page.has_next_page, after is not None),
        )

    @strawberry.field(
        description="The active business's VIP threshold and lapse days.",
        extensions=[needs(Scope.PURCHASES_READ)],
    )
    async def customer_status_rules(self, info: Info) -> CustomerStatusRules:
        async with reading(info) as tx:
            return CustomerStatusRules.of(await service.load_business(tx))
