"""Customer-side GraphQL types. Scalars are plain attributes (cheap); only relations go
through per-request DataLoaders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from importlib import import_module
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON

from domain.core.contact import format_phone, mask_phone
from domain.customers import models
from domain.customers.addresses import distance_km
from schema.relay import Edge, Node, PageInfo, to_global_id
from schema.types.common import (
    AddressKind,
    CustomerStatus,
    Money,
    PaymentMethod,
    PaymentStatus,
    PaymentTerms,
    ProfileType,
)
from schema.types.customers.status import Activity, PurchaseSummary, VipMode
from schema.types.invoicing.objects import Invoice

if TYPE_CHECKING:
    from schema.context import Context
    from schema.types.invoicing.recurring import RecurringSchedule
    from schema.types.orders.objects import Order

ORDERS = "schema.types.orders.objects"  # orders name customers too: imported lazily
RECURRING = "schema.types.invoicing.recurring"  # schedules name customers too


MAX_NEWEST_INVOICES = 20
HUNDREDTH = Decimal("0.01")  # average days to pay, as stored (a money column has 3 places)


@strawberry.type
class Address(Node):
    kind: AddressKind
    label: str | None
    building: str | None
    street: str | None
    area: str | None
    city: str | None
    postal_code: str | None
    country: str
    latitude: float | None
    longitude: float | None
    delivery_notes: str | None
    is_default: bool

    @strawberry.field(description="Great-circle distance in km from a point, for nearest-first.")
    def distance_km(self, latitude: float, longitude: float) -> float | None:
        if self.latitude is None or self.longitude is None:
            return None
        return round(distance_km(latitude, longitude, self.latitude, self.longitude), 3)

    @classmethod
    def from_row(cls, a: models.CustomerAddress) -> Address:
        return cls(
            id=to_global_id("Address", a.id),
            kind=AddressKind(a.kind),
            label=a.label,
            building=a.building,
            street=a.street,
            area=a.area,
            city=a.city,
            postal_code=a.postal_code,
            country=a.country,
            latitude=a.latitude,
            longitude=a.longitude,
            delivery_notes=a.delivery_notes,
            is_default=a.is_default,
        )


@strawberry.type(description="Money billed, paid and owed in one currency.")
class CurrencyTotals:
    currency: str
    total_billed: Money
    total_paid: Money
    outstanding: Money
    invoice_count: int


@strawberry.type(
    description="totalBilled, totalPaid and outstanding are in the business's currency and "
    "count its invoices only; otherCurrencies sums the rest per currency. Counts, dates "
    "and the payment status cover every invoice."
)
class FinancialSummary:
    total_billed: Money
    total_paid: Money
    outstanding: Money
    invoice_count: int
    last_invoice_at: datetime | None
    average_days_to_pay: Decimal | None
    oldest_open_due: date | None = strawberry.field(
        description="Earliest due date of the customer's unpaid invoices."
    )
    stored_status: strawberry.Private[str]
    business_id: strawberry.Private[int]
    customer_id: strawberry.Private[int]

    @strawberry.field(
        description="Invoices in currencies other than the business's, summed per currency "
        "(voided invoices left out); empty when there are none."
    )
    async def other_currencies(self, info: strawberry.Info[Context, None]) -> list[CurrencyTotals]:
        rows = await info.context.loaders.other_currency_totals.load(self.customer_id)
        return [
            CurrencyTotals(
                currency=r.currency,
                total_billed=Money.of(r.billed, r.currency),
                total_paid=Money.of(r.paid, r.currency),
                outstanding=Money.of(r.outstanding, r.currency),
                invoice_count=r.invoices,
            )
            for r in rows
        ]

    @strawberry.field(
        description="OVERDUE from the day after oldestOpenDue (the business's calendar), "
        "else WARNING with a partly paid invoice, GOOD, or NONE before the first invoice."
    )
    async def payment_status(self, info: strawberry.Info[Context, None]) -> PaymentStatus:
        today = await info.context.loaders.business_today(self.business_id)
        return models.payment_status_on(self.stored_status, self.oldest_open_due, today)


@strawberry.type
class Customer(Node):
    number: str
    profile_type: ProfileType
    status: CustomerStatus
    is_vip: bool = strawberry.field(
        description="Effective VIP: vipMode applied to the business's threshold rule."
    )
    vip_mode: VipMode
    activity: Activity
    is_walk_in: bool = strawberry.field(
        description="The business's walk-in guest: counter sales without a known customer."
    )
    purchases: PurchaseSummary
    name: str
    name_alt: str | None
    phone: str | None = strawberry.field(description="E.164, e.g. +919876543210.")
    # Computed when asked for (phone parsing is the costliest part of a customer view).
    phone_masked: str | None = strawberry.field(resolver=lambda root: mask_phone(root.phone))
    phone_display: str | None = strawberry.field(resolver=lambda root: format_phone(root.phone))
    secondary_phone: str | None
    email: str | None
    secondary_email: str | None
    phone_verified: bool
    email_verified: bool
    business_type: str | None
    tax_id: str | None
    tags: list[str]
    notes: str | None
    payment_terms: PaymentTerms
    credit_limit: Money | None
    preferred_payment_method: PaymentMethod | None
    auto_send_invoices: bool
    reminders_enabled: bool
    language: str
    preferences: JSON
    financial: FinancialSummary
    merged_into_id: strawberry.ID | None
    deactivated_at: datetime | None
    created_at: datetime
    updated_at: datetime
    row_id: strawberry.Private[int]
    credit: strawberry.Private[Money]
    other_credits: strawberry.Private[dict[str, str]]
    # (how many newest, views) when a customers page fetched them for all its customers
    prefetched_invoices: strawberry.Private[tuple[int, list[Invoice]] | None] = None

    @strawberry.field
    async def addresses(self, info: strawberry.Info[Context, None]) -> list[Address]:
        rows = await info.context.loaders.addresses.load(self.row_id)
        return [Address.from_row(a) for a in rows]

    @strawberry.field(description="The newest invoices of this customer (at most 20).")
    def invoices(self, info: strawberry.Info[Context, None], first: int = 5) -> list[Invoice]:
        """Synchronous when the customers page prefetched them (see resolvers.customers.fields);
        otherwise an awaitable the executor awaits (one window query per request)."""
        per = max(1, min(first, MAX_NEWEST_INVOICES))
        known = self.prefetched_invoices
        if known is not None and per <= known[0]:
            return known[1][:per]
        return self._load_invoices(info, per)  # type: ignore[return-value]

    async def _load_invoices(self, info: strawberry.Info[Context, None], per: int) -> list[Invoice]:
        rows = await info.context.loaders.customer_invoices.load((self.row_id, per))
        url = info.context.rt.settings.public_url
        if not rows:
            return []
        # "today" is the business's own date (overdue by its calendar), never UTC's
        today = await info.context.loaders.business_today(rows[0].business_id)
        return [Invoice.view(r, today, url) for r in rows]

    @strawberry.field(
        description="The most recently placed orders of this customer (at most 20); the "
        "`orders` query pages through all of them (filter.customerId)."
    )
    async def orders(
        self, info: strawberry.Info[Context, None], first: int = 5
    ) -> list[Annotated[Order, strawberry.lazy(ORDERS)]]:
        per = max(1, min(first, MAX_NEWEST_INVOICES))
        rows = await info.context.loaders.customer_orders.load((self.row_id, per))
        if not rows:
            return []
        order: type[Order] = import_module(ORDERS).Order
        today = await info.context.loaders.business_today(rows[0].business_id)
        return [order.from_row(r, today) for r in rows]

    @strawberry.field(description="This customer's recurring invoice schedules, newest first.")
    async def recurring_schedules(
        self, info: strawberry.Info[Context, None]
    ) -> list[Annotated[RecurringSchedule, strawberry.lazy(RECURRING)]]:
        rows = await info.context.loaders.customer_schedules.load(self.row_id)
        schedule: type[RecurringSchedule] = import_module(RECURRING).RecurringSchedule
        return [schedule.from_row(r) for r in rows]

    @strawberry.field(description="Credit kept for this customer in the business's currency.")
    def credit_balance(self) -> Money:
        return self.credit

    @strawberry.field(
        description="Credit kept for this customer (overpayments, credit notes on paid "
        "invoices), one entry per currency: the business's own first, even at zero. Credit "
        "pays invoices in its own currency only."
    )
    def credits(self) -> list[Money]:
        home = self.credit.currency
        return [
            Money.of(amount, currency)
            for currency, amount in models.credit_list(home, self.credit.amount, self.other_credits)
        ]

    @strawberry.field
    async def default_address(self, info: strawberry.Info[Context, None]) -> Address | None:
        rows = await info.context.loaders.addresses.load(self.row_id)
        return next((Address.from_row(a) for a in rows if a.is_default), None)

    @classmethod
    def from_row(cls, c: models.Customer, currency: str) -> Customer:
        return cls(
            id=to_global_id("Customer", c.id),
            row_id=c.id,
            credit=Money.of(c.credit_balance, currency),
            other_credits=c.other_credits,
            number=c.number,
            profile_type=ProfileType(c.profile_type),
            status=CustomerStatus(c.status),
            is_vip=c.is_vip,
            vip_mode=VipMode(c.vip_mode),
            activity=Activity(c.activity),
            is_walk_in=c.is_walk_in,
            purchases=PurchaseSummary.of(c, currency),
            name=c.name,
            name_alt=c.name_alt,
            phone=c.phone,
            secondary_phone=c.phone_secondary,
            email=c.email,
            secondary_email=c.email_secondary,
            phone_verified=c.phone_verified,
            email_verified=c.email_verified,
            business_type=c.business_type,
            tax_id=c.tax_id,
            tags=list(c.tags),
            notes=c.notes,
            payment_terms=PaymentTerms(c.payment_terms),
            credit_limit=Money.of(c.credit_limit, currency) if c.credit_limit is not None else None,
            preferred_payment_method=PaymentMethod(c.preferred_payment_method)
            if c.preferred_payment_method
            else None,
            auto_send_invoices=c.auto_send_invoices,
            reminders_enabled=c.reminders_enabled,
            language=c.language,
            preferences=cast(JSON, c.preferences),
            financial=FinancialSummary(
                total_billed=Money.of(c.total_billed, currency),
                total_paid=Money.of(c.total_paid, currency),
                outstanding=Money.of(c.outstanding, currency),
                invoice_count=c.invoice_count,
                last_invoice_at=c.last_invoice_at,
                average_days_to_pay=None
                if c.avg_days_to_pay is None
                else c.avg_days_to_pay.quantize(HUNDREDTH),
                oldest_open_due=c.oldest_open_due,
                stored_status=c.payment_status,
                business_id=c.business_id,
                customer_id=c.id,
            ),
            merged_into_id=to_global_id("Customer", c.merged_into_id) if c.merged_into_id else None,
            deactivated_at=c.deactivated_at,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


@strawberry.type
class CustomerConnection:
    """When a page's nodes ask for `invoices`, the customers query has fetched them for
    every customer on the page (resolvers.customers.fields) before the nodes resolve."""

    edges: list[Edge[Customer]]
    page_info: PageInfo
    count_fn: strawberry.Private[object]

    @strawberry.field(
        description="Rows matching the filters; costs one COUNT, so ask only when shown."
    )
    async def total_count(self) -> int:
        return await self.count_fn()  # type: ignore[operator,no-any-return]


@strawberry.type
class CreateCustomerHint:
    name: str | None
    phone: str | None
    email: str | None


@strawberry.type
class CustomerSearchResult:
    exact: list[Customer]
    suggestions: list[Customer]
    create_new: CreateCustomerHint | None = strawberry.field(
        description="Present when nothing matched exactly: prefill for 'create new'."
    )


@strawberry.type
class DuplicateCandidate:
    customer: Customer
    reasons: list[str]
    score: float


@strawberry.type
class CountByKey:
    key: str
    count: int


@strawberry.type
class CustomerStats:
    total: int
    by_status: list[CountByKey]
    by_profile_type: list[CountByKey]
    verified: int
    vip: int
    total_billed: Money
    outstanding: Money
    top_by_outstanding: list[Customer]


@strawberry.type
class CustomerMergeRecord(Node):
    source_id: strawberry.ID
    target_id: strawberry.ID
    reason: str | None
    counts: JSON
    merged_by: str
    created_at: datetime


@strawberry.type
class CustomerEvent:
    event_id: str
    topic: str
    customer_id: strawberry.ID
    number: str
    name: str
    profile_type: ProfileType
    status: CustomerStatus
    changed_fields: list[str]
    cursor: str = strawberry.field(description="Pass as `after` to resume after this event.")
