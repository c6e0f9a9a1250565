"""Payloads of the customers context's mutations."""

from __future__ import annotations

import strawberry

from schema.types.customers.imports import CustomerImport
from schema.types.customers.objects import (
    Address,
    Customer,
    CustomerMergeRecord,
)


@strawberry.type
class CustomerPayload:
    customer: Customer
    replayed: bool = strawberry.field(
        default=False, description="True when a create's idempotency key was seen before."
    )


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
class ImportPayload:
    customer_import: CustomerImport = strawberry.field(
        description="Queued: the rows are imported in the background."
    )
