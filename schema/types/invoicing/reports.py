"""Invoicing's report types: aging, statements, invoice stats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import strawberry

from schema.types.common import Money

if TYPE_CHECKING:
    pass


@strawberry.type
class AgingBuckets:
    current: Money
    days_1_to_30: Money = strawberry.field(description="1 to 30 days past due.")
    days_31_to_60: Money = strawberry.field(description="31 to 60 days past due.")
    days_61_to_90: Money = strawberry.field(description="61 to 90 days past due.")
    days_over_90: Money = strawberry.field(description="More than 90 days past due.")

    # The first names, which camel case ran together; kept answering for old clients.
    @strawberry.field(name="days130", deprecation_reason="Use `days1To30`.")
    def days_1_30(self) -> Money:
        return self.days_1_to_30

    @strawberry.field(name="days3160", deprecation_reason="Use `days31To60`.")
    def days_31_60(self) -> Money:
        return self.days_31_to_60

    @strawberry.field(name="days6190", deprecation_reason="Use `days61To90`.")
    def days_61_90(self) -> Money:
        return self.days_61_to_90

    @classmethod
    def of(cls, aging: dict[str, Decimal], currency: str) -> AgingBuckets:
        m = lambda k: Money.of(aging.get(k, Decimal(0)), currency)  # noqa: E731
        return cls(
            current=m("current"),
            days_1_to_30=m("1-30"),
            days_31_to_60=m("31-60"),
            days_61_to_90=m("61-90"),
            days_over_90=m("90+"),
        )


@strawberry.type
class StatementEntry:
    date: date
    kind: str
    reference: str
    description: str
    debit: Money
    credit: Money
    balance: Money


@strawberry.type
class Statement:
    customer_id: strawberry.ID
    currency: str
    start: date
    end: date
    opening_balance: Money
    entries: list[StatementEntry]
    closing_balance: Money
    aging: AgingBuckets
    pdf_url: str | None
    currencies: list[str] = strawberry.field(
        description="Every currency the customer was billed or paid in: one statement each."
    )
    csv_of: strawberry.Private[Callable[[], str]]

    @strawberry.field
    def csv(self) -> str:
        """Written only when asked for: a long statement's CSV costs as much as its entries."""
        return self.csv_of()


@strawberry.type
class InvoiceStats:
    currency: str
    issued_count: int
    issued_total: Money
    collected: Money
    outstanding: Money
    overdue_count: int
    overdue_total: Money
    aging: AgingBuckets
