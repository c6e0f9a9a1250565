"""Customer queries, mutations and the live customer-event subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from domain.core.errors import NotFound
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers import addresses, csv_io, merge, queries, registration, service
from domain.customers.models import CustomerMerge
from domain.customers.repository import CustomerFilter, CustomerSort
from resolvers.access import needs
from resolvers.base import Info, business_currency, mutate, reading
from resolvers.customer_inputs import (
    AddressInput,
    AutoRegisterCustomerInput,
    CreateCustomerInput,
    CustomerFilterInput,
    CustomerSortInput,
    ImportCustomersInput,
    MergeCustomersInput,
    UpdateCustomerInput,
    UpgradeCustomerInput,
)
from schema.errors import FieldProblem, result
from schema.relay import Edge, expect_id, page_info, to_global_id
from schema.types.common import Money, SortDirection
from schema.types.customers import (
    Address,
    CountByKey,
    CreateCustomerHint,
    Customer,
    CustomerConnection,
    CustomerEvent,
    CustomerMergeRecord,
    CustomerSearchResult,
    CustomerStats,
    DuplicateCandidate,
    DuplicateCustomerError,
)


@strawberry.type
class CustomerPayload:
    customer: Customer


@strawberry.type
class AutoRegisterPayload:
    customer: Customer
    created: bool = strawberry.field(
        description="False when the phone already belonged to a customer."
    )
    welcome_sms_queued: bool


@strawberry.type
class AddressPayload:
    address: Address
    customer: Customer


@strawberry.type
class MergePayload:
    customer: Customer
    merge: CustomerMergeRecord


@strawberry.type
class ImportRow:
    line: int
    status: str
    customer: Customer | None
    errors: list[FieldProblem]


@strawberry.type
class ImportPayload:
    created: int
    merged: int
    skipped: int
    failed: int
    rows: list[ImportRow]


async def _customer_payload(info: Info, tx: Tx, row: object) -> CustomerPayload:
    return CustomerPayload(customer=Customer.from_row(row, await business_currency(info, tx)))  # type: ignore[arg-type]


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


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(extensions=[needs(Scope.CUSTOMERS_WRITE)])
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> result(
        "CreateCustomerResult", CustomerPayload, DuplicateCustomerError
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> CustomerPayload | DuplicateCustomerError:
            try:
                row = await service.create_customer(
                    tx, input.to_domain(), allow_duplicate_phone=input.allow_duplicate_phone
                )
            except service.PossibleDuplicates as exc:  # refused before anything is written
                currency = await business_currency(info, tx)
                return DuplicateCustomerError(
                    code=exc.code,
                    message=exc.message,
                    field=exc.field,
                    duplicates=[Customer.from_row(c, currency) for c in exc.customers],
                )
            return await _customer_payload(info, tx, row)

        return await mutate(info, run)

    @strawberry.mutation(extensions=[needs(Scope.CUSTOMERS_WRITE)])
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> result(
        "UpdateCustomerResult", CustomerPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> CustomerPayload:
            profile = (
                input.profile_type.value
                if input.profile_type not in (strawberry.UNSET, None)
                else None
            )  # type: ignore[union-attr]
            row = await service.update_customer(
                tx, expect_id(input.id, "Customer"), input.changes(), profile
            )
            return await _customer_payload(info, tx, row)

        return await mutate(info, run)

    @strawberry.mutation(
        description="Soft delete: history stays, the customer leaves active lists.",
        extensions=[needs(Scope.CUSTOMERS_WRITE)],
    )
    async def deactivate_customer(
        self, info: Info, id: strawberry.ID, reason: str | None = None
    ) -> result("DeactivateCustomerResult", CustomerPayload):  # type: ignore[valid-type]
        async def run(tx: Tx) -> CustomerPayload:
            return await _customer_payload(
                info, tx, await service.set_active(tx, expect_id(id, "Customer"), False, reason)
            )

        return await mutate(info, run)

    @strawberry.mutation(extensions=[needs(Scope.CUSTOMERS_WRITE)])
    async def reactivate_customer(self, info: Info, id: strawberry.ID) -> result(
        "ReactivateCustomerResult", CustomerPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> CustomerPayload:
            return await _customer_payload(
                info, tx, await service.set_active(tx, expect_id(id, "Customer"), True)
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="guest -> stub -> full, giving what the new level needs.",
        extensions=[needs(Scope.CUSTOMERS_WRITE)],
    )
    async def upgrade_customer(self, info: Info, input: UpgradeCustomerInput) -> result(
        "UpgradeCustomerResult", CustomerPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> CustomerPayload:
            row = await service.upgrade_customer(
                tx, expect_id(input.id, "Customer"), input.to.value, input.changes()
            )
            return await _customer_payload(info, tx, row)

        return await mutate(info, run)

    @strawberry.mutation(extensions=[needs(Scope.CUSTOMERS_WRITE)])
    async def add_customer_address(
        self, info: Info, customer_id: strawberry.ID, input: AddressInput
    ) -> result("AddCustomerAddressResult", AddressPayload):  # type: ignore[valid-type]
        async def run(tx: Tx) -> AddressPayload:
            cid = expect_id(customer_id, "Customer", "customerId")
            row = await addresses.add_address(tx, cid, input.to_domain())
            customer = await service.get_customer(tx, cid)
            return AddressPayload(
                address=Address.from_row(row),
                customer=Customer.from_row(customer, await business_currency(info, tx)),
            )

        return await mutate(info, run)

    @strawberry.mutation(extensions=[needs(Scope.CUSTOMERS_WRITE)])
    async def update_customer_address(
        self, info: Info, id: strawberry.ID, input: AddressInput
    ) -> result("UpdateCustomerAddressResult", AddressPayload):  # type: ignore[valid-type]
        async def run(tx: Tx) -> AddressPayload:
            row = await addresses.update_address(tx, expect_id(id, "Address"), input.to_domain())
            customer = await service.get_customer(tx, row.customer_id)
            return AddressPayload(
                address=Address.from_row(row),
                customer=Customer.from_row(customer, await business_currency(info, tx)),
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Removing the default promotes the oldest remaining address.",
        extensions=[needs(Scope.CUSTOMERS_WRITE)],
    )
    async def remove_customer_address(self, info: Info, id: strawberry.ID) -> result(
        "RemoveCustomerAddressResult", CustomerPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> CustomerPayload:
            cid = await addresses.remove_address(tx, expect_id(id, "Address"))
            return await _customer_payload(info, tx, await service.get_customer(tx, cid))

        return await mutate(info, run)

    @strawberry.mutation(extensions=[needs(Scope.CUSTOMERS_WRITE)])
    async def set_default_customer_address(self, info: Info, id: strawberry.ID) -> result(
        "SetDefaultCustomerAddressResult", AddressPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> AddressPayload:
            row = await addresses.set_default_address(tx, expect_id(id, "Address"))
            customer = await service.get_customer(tx, row.customer_id)
            return AddressPayload(
                address=Address.from_row(row),
                customer=Customer.from_row(customer, await business_currency(info, tx)),
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Find by phone or create a stub; twice with one phone gives one customer.",
        extensions=[needs(Scope.CUSTOMERS_WRITE)],
    )
    async def auto_register_customer(self, info: Info, input: AutoRegisterCustomerInput) -> result(
        "AutoRegisterCustomerResult", AutoRegisterPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> AutoRegisterPayload:
            done = await registration.auto_register(
                tx,
                phone=input.phone,
                name=input.name,
                business_type=input.business_type,
                email=input.email,
                send_welcome=input.send_welcome_sms,
            )
            currency = await business_currency(info, tx)
            return AutoRegisterPayload(
                customer=Customer.from_row(done.customer, currency),
                created=done.created,
                welcome_sms_queued=done.welcome_queued,
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Owner/admin: move everything of source into target.",
        extensions=[needs(Scope.CUSTOMERS_WRITE)],
    )
    async def merge_customers(self, info: Info, input: MergeCustomersInput) -> result(
        "MergeCustomersResult", MergePayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> MergePayload:
            target, record = await merge.merge_customers(
                tx,
                expect_id(input.source_id, "Customer", "sourceId"),
                expect_id(input.target_id, "Customer", "targetId"),
                input.reason,
            )
            return MergePayload(
                customer=Customer.from_row(target, await business_currency(info, tx)),
                merge=_merge_record(record),
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Valid rows are kept; each bad row is reported and leaves nothing.",
        extensions=[needs(Scope.CUSTOMERS_WRITE)],
    )
    async def import_customers(self, info: Info, input: ImportCustomersInput) -> result(
        "ImportCustomersResult", ImportPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> ImportPayload:
            report = await csv_io.import_customers(
                tx, input.csv, csv_io.OnDuplicate(input.on_duplicate.value)
            )
            currency = await business_currency(info, tx)
            return ImportPayload(
                created=report.created,
                merged=report.merged,
                skipped=report.skipped,
                failed=report.failed,
                rows=[
                    ImportRow(
                        line=r.row,
                        status=r.status,
                        customer=Customer.from_row(r.customer, currency) if r.customer else None,
                        errors=[
                            FieldProblem(field=e.field, message=e.message, code=e.code)
                            for e in r.errors
                        ],
                    )
                    for r in report.rows
                ],
            )

        return await mutate(info, run)


@strawberry.type
class CustomerSubscriptions:
    @strawberry.subscription(description="Live customer changes of the active business.")
    async def customer_events(self, info: Info) -> AsyncGenerator[CustomerEvent, None]:
        viewer = await info.context.require_viewer()
        business_id = viewer.require_business(Scope.CUSTOMERS_READ)
        async with info.context.rt.hub.subscribe(service.channel_for(business_id)) as events:
            async for message in events:
                p = message["payload"]
                if "customerId" not in p:
                    continue
                yield CustomerEvent(
                    event_id=message["id"],
                    topic=message["topic"],
                    customer_id=to_global_id("Customer", p["customerId"]),
                    number=p["number"],
                    name=p["name"],
                    profile_type=p["profileType"],
                    status=p["status"],
                    changed_fields=list(p.get("fields", [])),
                )
