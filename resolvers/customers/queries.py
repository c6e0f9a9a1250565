"""Customer queries: one, pages, search, duplicates, stats."""

from __future__ import annotations

from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from domain.core.errors import NotFound
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers import imports, queries, service
from domain.customers.models import CustomerMerge
from domain.customers.repository import CustomerFilter, CustomerSort
from resolvers.access import needs
from resolvers.base import Info, business_currency, reading
from resolvers.customers.fields import prefetch_page
from schema.relay import Edge, expect_id, page_info, to_global_id
from schema.types.common import Money, SortDirection
from schema.types.customers.imports import CustomerImport
from schema.types.customers.inputs import (
    CustomerFilterInput,
    CustomerSortInput,
)
from schema.types.customers.objects import (
    CountByKey,
    CreateCustomerHint,
    Customer,
    CustomerConnection,
    CustomerMergeRecord,
    CustomerSearchResult,
    CustomerStats,
    DuplicateCandidate,
)


@strawberry.type
class CustomerQueries:
    @strawberry.field(
        description="A customer of the active business; null if not found.",
        extensions=[needs(Scope.CUSTOMERS_READ)],
    )
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        async with reading(info) as tx:
            try:
                row = await service.get_customer(tx, expect_id(id, "Customer"))
            except NotFound:
                return None
            return Customer.from_row(row, await business_currency(info, tx))

    @strawberry.field(
        description="A CSV import of the active business (status, counts, refused rows); "
        "null if not found.",
        extensions=[needs(Scope.CUSTOMERS_READ)],
    )
    async def customer_import(self, info: Info, id: strawberry.ID) -> CustomerImport | None:
        async with reading(info) as tx:
            try:
                row = await imports.get_import(tx, expect_id(id, "CustomerImport"))
            except NotFound:
                return None
            return CustomerImport.from_row(row)

    @strawberry.field(
        description="Keyset-paginated customers with search, filters and sorts.",
        extensions=[needs(Scope.CUSTOMERS_READ)],
    )
    async def customers(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Name piece, phone in any format or its last 4+ digits, "
                "email, or customer number."
            ),
        ] = None,
        filter: CustomerFilterInput | None = None,
        sort: CustomerSortInput | None = None,
    ) -> CustomerConnection:
        ctx = info.context
        sort = sort or CustomerSortInput()
        async with reading(info) as tx:
            currency = await business_currency(info, tx)
            region = ctx.business_cache[tx.business_id].country
            f = (filter or CustomerFilterInput()).to_domain(search, region)
            page = await queries.list_customers(
                tx,
                f,
                CustomerSort(sort.field.value),
                sort.direction is SortDirection.DESC,
                first,
                after,
                ctx.rt.settings.max_page_size,
            )
        viewer = tx.viewer

        async def count(f: CustomerFilter = f) -> int:
            async with ctx.rt.db.read() as session:
                return await queries.count_customers(Tx(session, viewer, ctx.rt.clock), f)

        edges = [
            Edge(cursor=c, node=Customer.from_row(r, currency))
            for r, c in zip(page.items, page.cursors, strict=True)
        ]
        await prefetch_page(info, [e.node for e in edges])
        return CustomerConnection(
            edges=edges,
            page_info=page_info(list(page.cursors), page.has_next_page, page.has_previous_page),
            count_fn=count,
        )

    @strawberry.field(
        description="Counter search: exact matches first, then suggestions.",
        extensions=[needs(Scope.CUSTOMERS_READ)],
    )
    async def search_customers(
        self, info: Info, term: str, limit: int = 10
    ) -> CustomerSearchResult:
        async with reading(info) as tx:
            found = await queries.search_customers(tx, term, max(1, min(limit, 50)))
            currency = await business_currency(info, tx)
        hint = found.create_hint
        return CustomerSearchResult(
            exact=[Customer.from_row(c, currency) for c in found.exact],
            suggestions=[Customer.from_row(c, currency) for c in found.suggestions],
            create_new=CreateCustomerHint(name=hint.name, phone=hint.phone, email=hint.email)
            if hint
            else None,
        )

    @strawberry.field(
        description="Same phone or email, or a similar name.",
        extensions=[needs(Scope.CUSTOMERS_READ)],
    )
    async def customer_duplicates(
        self, info: Info, id: strawberry.ID, limit: int = 10
    ) -> list[DuplicateCandidate]:
        async with reading(info) as tx:
            try:
                found = await queries.possible_duplicates(
                    tx, expect_id(id, "Customer"), max(1, min(limit, 50))
                )
            except NotFound:
                return []
            currency = await business_currency(info, tx)
        return [
            DuplicateCandidate(
                customer=Customer.from_row(d.customer, currency), reasons=d.reasons, score=d.score
            )
            for d in found
        ]

    @strawberry.field(extensions=[needs(Scope.CUSTOMERS_READ)])
    async def customer_stats(self, info: Info) -> CustomerStats:
        async with reading(info) as tx:
            s = await queries.customer_stats(tx)
        cur = s["currency"]
        return CustomerStats(
            total=s["total"],
            by_status=[CountByKey(key=k, count=v) for k, v in sorted(s["by_status"].items())],
            by_profile_type=[CountByKey(key=k, count=v) for k, v in sorted(s["by_type"].items())],
            verified=s["verified"],
            vip=s["vip"],
            total_billed=Money.of(s["billed"], cur),
            outstanding=Money.of(s["outstanding"], cur),
            top_by_outstanding=[Customer.from_row(c, cur) for c in s["top"]],
        )


def _merge_record(m: CustomerMerge) -> CustomerMergeRecord:
    return CustomerMergeRecord(
        id=to_global_id("CustomerMerge", m.id),
        source_id=to_global_id("Customer", m.source_id),  # type: ignore[attr-defined]
        target_id=to_global_id("Customer", m.target_id),
        reason=m.reason,  # type: ignore[attr-defined]
        counts=cast(JSON, m.counts),
        merged_by=m.merged_by,
        created_at=m.created_at,  # type: ignore[attr-defined]
    )
