"""Purchase mutations: record (idempotent), edit, delete; the owner's VIP mode and the
business's status rules."""

from __future__ import annotations

import strawberry

from domain.core import idempotency
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers.service import get_customer
from domain.purchases import rules, service
from resolvers.access import needs
from resolvers.base import Info, business_currency, mutate
from schema.errors import result
from schema.relay import expect_id, to_global_id
from schema.types.customers.objects import Customer
from schema.types.customers.payloads import CustomerPayload
from schema.types.purchases.inputs import (
    DeletePurchaseInput,
    RecordPurchaseInput,
    SetCustomerStatusRulesInput,
    SetCustomerVipModeInput,
    UpdatePurchaseInput,
)
from schema.types.purchases.objects import CustomerStatusRules, Purchase
from schema.types.purchases.payloads import (
    CustomerStatusRulesPayload,
    DeletePurchasePayload,
    PurchasePayload,
)


async def _payload(info: Info, tx: Tx, row: object, replayed: bool = False) -> PurchasePayload:
    purchase = Purchase.from_row(row)  # type: ignore[arg-type]
    customer = await get_customer(tx, purchase.row_customer_id)
    return PurchasePayload(
        purchase=purchase,
        customer=Customer.from_row(customer, await business_currency(info, tx)),
        replayed=replayed,
    )


@strawberry.type
class PurchaseMutations:
    @strawberry.mutation(
        description="A counter sale paid at once, for a customer or the walk-in guest.",
        extensions=[needs(Scope.PURCHASES_WRITE)],
    )
    async def record_purchase(self, info: Info, input: RecordPurchaseInput) -> result(
        "RecordPurchaseResult", PurchasePayload
    ):
        async def run(tx: Tx) -> PurchasePayload:
            data = service.PurchaseData(
                items=[i.to_domain() for i in input.items],
                method=input.method.value,
                customer_id=expect_id(input.customer_id, "Customer", "customerId")
                if input.customer_id
                else None,
                purchased_at=input.purchased_at,
                currency=input.currency,
                notes=input.notes,
            )
            outcome = await idempotency.once(
                tx,
                "recordPurchase",
                input.idempotency_key,
                data,
                create=lambda: service.record_purchase(tx, data),
                load=lambda id: service.get_purchase(tx, id),
            )
            return await _payload(info, tx, outcome.record, outcome.replayed)

        return await mutate(info, run)

    @strawberry.mutation(
        description="Edit items, method, time or notes; audited, totals recomputed.",
        extensions=[needs(Scope.PURCHASES_WRITE)],
    )
    async def update_purchase(self, info: Info, input: UpdatePurchaseInput) -> result(
        "UpdatePurchaseResult", PurchasePayload
    ):
        async def run(tx: Tx) -> PurchasePayload:
            changes = service.PurchaseChanges(
                items=[i.to_domain() for i in input.items] if input.items is not None else None,
                method=input.method.value if input.method is not None else None,
                purchased_at=input.purchased_at,
                notes=input.notes or None,
                clear_notes=input.notes == "",
            )
            row = await service.update_purchase(tx, expect_id(input.id, "Purchase"), changes)
            return await _payload(info, tx, row)

        return await mutate(info, run)

    @strawberry.mutation(
        description="Delete a purchase (kept in the audit trail); totals recomputed.",
        extensions=[needs(Scope.PURCHASES_WRITE)],
    )
    async def delete_purchase(self, info: Info, input: DeletePurchaseInput) -> result(
        "DeletePurchaseResult", DeletePurchasePayload
    ):
        async def run(tx: Tx) -> DeletePurchasePayload:
            row = await service.delete_purchase(tx, expect_id(input.id, "Purchase"))
            customer = await get_customer(tx, row.customer_id)
            return DeletePurchasePayload(
                deleted_id=to_global_id("Purchase", row.id),
                customer=Customer.from_row(customer, await business_currency(info, tx)),
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="The owner's say on VIP: ALWAYS, NEVER, or AUTO (the threshold rule).",
        extensions=[needs(Scope.CUSTOMERS_WRITE)],
    )
    async def set_customer_vip_mode(self, info: Info, input: SetCustomerVipModeInput) -> result(
        "SetCustomerVipModeResult", CustomerPayload
    ):
        async def run(tx: Tx) -> CustomerPayload:
            row = await rules.set_vip_mode(
                tx, expect_id(input.customer_id, "Customer", "customerId"), input.mode.value
            )
            return CustomerPayload(
                customer=Customer.from_row(row, await business_currency(info, tx))
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Owner/admin: the VIP threshold and lapse days; every customer follows "
        "at once.",
        extensions=[needs(Scope.PURCHASES_WRITE)],
    )
    async def set_customer_status_rules(
        self, info: Info, input: SetCustomerStatusRulesInput
    ) -> result("SetCustomerStatusRulesResult", CustomerStatusRulesPayload):
        async def run(tx: Tx) -> CustomerStatusRulesPayload:
            business = await rules.set_status_rules(
                tx,
                rules.RulesChange(
                    vip_threshold=input.vip_threshold,
                    default_threshold=input.use_default_vip_threshold,
                    lapse_days=input.lapse_days,
                ),
            )
            return CustomerStatusRulesPayload(rules=CustomerStatusRules.of(business))

        return await mutate(info, run)
