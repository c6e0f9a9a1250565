"""Payloads of the purchases context's mutations."""

from __future__ import annotations

import strawberry

from schema.types.customers.objects import Customer
from schema.types.purchases.objects import CustomerStatusRules, Purchase


@strawberry.type
class PurchasePayload:
    purchase: Purchase
    customer: Customer = strawberry.field(description="With its totals as they are now.")
    replayed: bool = strawberry.field(
        default=False, description="True when the idempotency key was seen before."
    )


@strawberry.type
class DeletePurchasePayload:
    deleted_id: strawberry.ID
    customer: Customer


@strawberry.type
class CustomerStatusRulesPayload:
    rules: CustomerStatusRules
