"""The customer status rules as GraphQL types (domain.customers.status): the owner's VIP
mode, the computed activity, and the purchase side of the customer's totals."""

from __future__ import annotations

from datetime import date

import strawberry

from domain.customers import models
from domain.customers.models import Activity, VipMode
from domain.customers.status import last_sale_on, total_spent
from schema.types.common import Money

strawberry.enum(
    VipMode,
    name="VipMode",
    description="ALWAYS / NEVER: the owner's say; AUTO: VIP once total spent reaches the "
    "business's VIP threshold.",
)
strawberry.enum(
    Activity,
    name="CustomerActivity",
    description="Computed from sales: LAPSED after the business's lapse days without a "
    "purchase or invoice (checked daily in its time zone). Not the soft-delete status.",
)


@strawberry.type(
    description="Sales counted once each: invoices at their billed amount (totalBilled) "
    "plus counter purchases; payments settle invoices and are never added. Money in the "
    "business's currency."
)
class PurchaseSummary:
    total_spent: Money
    purchase_total: Money = strawberry.field(description="Counter purchases only.")
    purchase_count: int = strawberry.field(description="Counter purchases only.")
    sales_count: int = strawberry.field(description="Counter purchases plus live invoices.")
    first_purchase_on: date | None = strawberry.field(description="First counter purchase.")
    last_purchase_on: date | None = strawberry.field(description="Last counter purchase.")
    last_sale_on: date | None = strawberry.field(
        description="Last counter purchase or invoice: what the lapse rule reads."
    )

    @classmethod
    def of(cls, c: models.Customer, currency: str) -> PurchaseSummary:
        return cls(
            total_spent=Money.of(total_spent(c), currency),
            purchase_total=Money.of(c.purchase_total, currency),
            purchase_count=c.purchase_count,
            sales_count=c.purchase_count + c.invoice_count,
            first_purchase_on=c.first_purchase_on,
            last_purchase_on=c.last_purchase_on,
            last_sale_on=last_sale_on(c),
        )


__all__ = ["Activity", "PurchaseSummary", "VipMode"]
