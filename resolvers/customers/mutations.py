"""Customer mutations: create, update, addresses, merge, import, lifecycle."""

from __future__ import annotations

import strawberry

from domain.core import idempotency
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers import addresses, import_rows, imports, merge, registration, service
from domain.customers.models import CustomerAddress
from resolvers.access import needs
from resolvers.base import Info, business_currency, mutate
from resolvers.customers.queries import _merge_record
from schema.errors import result
from schema.relay import expect_id
from schema.types.customers.errors import DuplicateCustomerError
from schema.types.customers.imports import CustomerImport
from schema.types.customers.inputs import (
    AddCustomerAddressInput,
    AutoRegisterCustomerInput,
    CreateCustomerInput,
    DeactivateCustomerInput,
    ImportCustomersInput,
    MergeCustomersInput,
    ReactivateCustomerInput,
    RemoveCustomerAddressInput,
    SetDefaultCustomerAddressInput,
    UpdateCustomerAddressInput,
    UpdateCustomerInput,
    UpgradeCustomerInput,
)
from schema.types.customers.objects import (
    Address,
    Customer,
)
from schema.types.customers.payloads import (
    AddressPayload,
    AutoRegisterPayload,
    CustomerPayload,
    ImportPayload,
    MergePayload,
)


async def _customer_payload(info: Info, tx: Tx, row: object) -> CustomerPayload:
    return CustomerPayload(customer=Customer.from_row(row, await business_currency(info, tx)))  # type: ignore[arg-type]


async def _address_payload(info: Info, tx: Tx, row: CustomerAddress) -> AddressPayload:
    """The address as written and its customer as it is now (its default may have moved)."""
    customer = await service.get_customer(tx, row.customer_id)
    return AddressPayload(
        address=Address.from_row(row),
        customer=Customer.from_row(customer, await business_currency(info, tx)),
    )


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(extensions=[needs(Scope.CUSTOMERS_WRITE)])
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> result(
        "CreateCustomerResult", CustomerPayload, DuplicateCustomerError
    ):
        async def run(tx: Tx) -> CustomerPayload | DuplicateCustomerError:
            data, allow = input.to_domain(), input.allow_duplicate_phone
            try:
                outcome = await idempotency.once(
                    tx,
                    "createCustomer",
                    input.idempotency_key,
                    {"customer": data, "allowDuplicatePhone": allow},
                    create=lambda: service.create_customer(tx, data, allow_duplicate_phone=allow),
                    load=lambda id: service.get_customer(tx, id),
                )
            except service.PossibleDuplicates as exc:  # refused before anything is written
                currency = await business_currency(info, tx)
                return DuplicateCustomerError(
                    code=exc.code,
                    message=exc.message,
                    field=exc.field,
                    duplicates=[Customer.from_row(c, currency) for c in exc.customers],
                )
            payload = await _customer_payload(info, tx, outcome.record)
            payload.replayed = outcome.replayed
            return payload

        return await mutate(info, run)

    @strawberry.mutation(extensions=[needs(Scope.CUSTOMERS_WRITE)])
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> result(
        "UpdateCustomerResult", CustomerPayload
    ):
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
    async def deactivate_customer(self, info: Info, input: DeactivateCustomerInput) -> result(
        "DeactivateCustomerResult", CustomerPayload
    ):
        id, reason = input.id, input.reason

        async def run(tx: Tx) -> CustomerPayload:
            return await _customer_payload(
                info, tx, await service.set_active(tx, expect_id(id, "Customer"), False, reason)
            )

        return await mutate(info, run)

    @strawberry.mutation(extensions=[needs(Scope.CUSTOMERS_WRITE)])
    async def reactivate_customer(self, info: Info, input: ReactivateCustomerInput) -> result(
        "ReactivateCustomerResult", CustomerPayload
    ):
        id = input.id

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
    ):
        async def run(tx: Tx) -> CustomerPayload:
            row = await service.upgrade_customer(
                tx, expect_id(input.id, "Customer"), input.to.value, input.changes()
            )
            return await _customer_payload(info, tx, row)

        return await mutate(info, run)

    @strawberry.mutation(extensions=[needs(Scope.CUSTOMERS_WRITE)])
    async def add_customer_address(self, info: Info, input: AddCustomerAddressInput) -> result(
        "AddCustomerAddressResult", AddressPayload
    ):
        customer_id, address = input.customer_id, input.address

        async def run(tx: Tx) -> AddressPayload:
            cid = expect_id(customer_id, "Customer", "customerId")
            row = await addresses.add_address(tx, cid, address.to_domain())
            return await _address_payload(info, tx, row)

        return await mutate(info, run)

    @strawberry.mutation(extensions=[needs(Scope.CUSTOMERS_WRITE)])
    async def update_customer_address(
        self, info: Info, input: UpdateCustomerAddressInput
    ) -> result("UpdateCustomerAddressResult", AddressPayload):
        id, address = input.id, input.address

        async def run(tx: Tx) -> AddressPayload:
            row = await addresses.update_address(tx, expect_id(id, "Address"), address.to_domain())
            return await _address_payload(info, tx, row)

        return await mutate(info, run)

    @strawberry.mutation(
        description="Removing the default promotes the oldest remaining address.",
        extensions=[needs(Scope.CUSTOMERS_WRITE)],
    )
    async def remove_customer_address(
        self, info: Info, input: RemoveCustomerAddressInput
    ) -> result("RemoveCustomerAddressResult", CustomerPayload):
        id = input.id

        async def run(tx: Tx) -> CustomerPayload:
            cid = await addresses.remove_address(tx, expect_id(id, "Address"))
            return await _customer_payload(info, tx, await service.get_customer(tx, cid))

        return await mutate(info, run)

    @strawberry.mutation(extensions=[needs(Scope.CUSTOMERS_WRITE)])
    async def set_default_customer_address(
        self, info: Info, input: SetDefaultCustomerAddressInput
    ) -> result("SetDefaultCustomerAddressResult", AddressPayload):
        id = input.id

        async def run(tx: Tx) -> AddressPayload:
            row = await addresses.set_default_address(tx, expect_id(id, "Address"))
            return await _address_payload(info, tx, row)

        return await mutate(info, run)

    @strawberry.mutation(
        description="Find by phone or create a stub; twice with one phone gives one customer.",
        extensions=[needs(Scope.CUSTOMERS_WRITE)],
    )
    async def auto_register_customer(self, info: Info, input: AutoRegisterCustomerInput) -> result(
        "AutoRegisterCustomerResult", AutoRegisterPayload
    ):
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
    ):
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
        description="Checks the whole file (size, rows, header) at once, then imports it in "
        "the background: follow customerImport(id). Valid rows are kept; each bad row is "
        "reported in its errors and leaves nothing.",
        extensions=[needs(Scope.CUSTOMERS_WRITE)],
    )
    async def import_customers(self, info: Info, input: ImportCustomersInput) -> result(
        "ImportCustomersResult", ImportPayload
    ):
        async def run(tx: Tx) -> ImportPayload:
            imp = await imports.start_import(
                tx, input.csv, import_rows.OnDuplicate(input.on_duplicate.value)
            )
            return ImportPayload(customer_import=CustomerImport.from_row(imp))

        return await mutate(info, run)
