"""Inputs of the purchases context's mutations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from domain.purchases.service import ItemData
from schema.types.common import PaymentMethod, idempotency_field
from schema.types.customers.status import VipMode


@strawberry.input
class PurchaseItemInput:
    name: str
    quantity: Decimal = Decimal(1)
    unit_price: Decimal

    def to_domain(self) -> ItemData:
        return ItemData(self.name, self.quantity, self.unit_price)


@strawberry.input
class RecordPurchaseInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Omit for the business's walk-in guest (made on first use)."
    )
    items: list[PurchaseItemInput]
    method: PaymentMethod
    purchased_at: datetime | None = strawberry.field(
        default=None, description="When the sale happened; now by default, never later."
    )
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217; the business's by default."
    )
    notes: str | None = None
    idempotency_key: str | None = idempotency_field("recording again")


@strawberry.input
class UpdatePurchaseInput:
    id: strawberry.ID
    items: list[PurchaseItemInput] | None = None
    method: PaymentMethod | None = None
    purchased_at: datetime | None = None
    notes: str | None = strawberry.field(default=None, description="An empty text clears it.")


@strawberry.input
class DeletePurchaseInput:
    id: strawberry.ID


@strawberry.input
class SetCustomerVipModeInput:
    customer_id: strawberry.ID
    mode: VipMode


@strawberry.input
class SetCustomerStatusRulesInput:
    vip_threshold: Decimal | None = strawberry.field(
        default=None, description="In the business's currency."
    )
    use_default_vip_threshold: bool = strawberry.field(
        default=False, description="Back to the default for the currency."
    )
    lapse_days: int | None = None
