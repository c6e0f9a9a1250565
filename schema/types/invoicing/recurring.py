"""Recurring invoice schedules: the object, its connection, inputs and payloads."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain.invoicing.invoice_data import InvoiceOptions
from domain.invoicing.recurring import models
from domain.invoicing.recurring.template import template_lines, template_options
from schema.relay import Edge, Node, PageInfo, to_global_id
from schema.types.common import Money
from schema.types.invoicing.inputs import InvoiceLineInput
from schema.types.invoicing.objects import Invoice

if TYPE_CHECKING:
    from schema.context import Context
    from schema.types.customers.objects import Customer

CUSTOMERS = "schema.types.customers.objects"  # customers list schedules: imported lazily
MAX_SCHEDULE_INVOICES = 50


@strawberry.enum
class RecurringFrequency(Enum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"


@strawberry.enum
class RecurringScheduleStatus(Enum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


@strawberry.enum
class Weekday(Enum):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


@strawberry.type
class RecurringLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str | None
    discount_percent: Decimal | None
    discount_amount: Decimal | None
    tax_rate: Decimal | None


@strawberry.type(description="What each occurrence's invoice is made of.")
class RecurringTemplate:
    lines: list[RecurringLine]
    currency: str
    prices_include_tax: bool
    place_of_supply: str | None
    discount_percent: Decimal | None
    discount_amount: Decimal | None
    notes: str | None
    terms: str | None
    due_in_days: int | None = strawberry.field(
        description="Days from issue to due; null: the customer's payment terms."
    )


@strawberry.type(
    description="Issues an invoice from its template on each occurrence (a business-local "
    "date): weekly on a weekday, or every `interval` months on `dayOfMonth` (29-31 fall on "
    "the last day of shorter months)."
)
class RecurringSchedule(Node):
    customer_id: strawberry.ID
    frequency: RecurringFrequency
    interval: int = strawberry.field(description="Every this many weeks or months.")
    weekday: Weekday | None
    day_of_month: int | None
    start_date: date
    end_date: date | None
    count: int | None = strawberry.field(description="Ends after this many invoices.")
    created_count: int = strawberry.field(description="Invoices issued so far.")
    next_date: date | None = strawberry.field(description="Null once ended.")
    last_date: date | None
    status: RecurringScheduleStatus
    send_on_create: bool
    send_channels: list[str]
    last_error: str | None = strawberry.field(
        description="Why the schedule paused itself (an occurrence the invoicing refused)."
    )
    template: RecurringTemplate
    estimated_total: Money = strawberry.field(description="Each invoice's total as saved.")
    created_at: datetime
    updated_at: datetime
    row_id: strawberry.Private[int]
    customer_row_id: strawberry.Private[int]

    @strawberry.field(description="The invoices this schedule issued, newest first.")
    async def invoices(
        self, info: strawberry.Info[Context, None], first: int = 10
    ) -> list[Invoice]:
        rows = await info.context.loaders.schedule_invoices.load(self.row_id)
        if not rows:
            return []
        today = await info.context.loaders.business_today(rows[0].business_id)
        url = info.context.rt.settings.public_url
        per = max(1, min(first, MAX_SCHEDULE_INVOICES))
        return [Invoice.view(r, today, url) for r in rows[:per]]

    @strawberry.field
    async def customer(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[Customer, strawberry.lazy(CUSTOMERS)] | None:
        from schema.types.customers.objects import Customer

        row = await info.context.loaders.customers.load(self.customer_row_id)
        if row is None:
            return None
        return Customer.from_row(row, await info.context.loaders.business_currency())

    @classmethod
    def from_row(cls, s: models.RecurringSchedule) -> RecurringSchedule:
        t = s.template
        return cls(
            id=to_global_id("RecurringSchedule", s.id),
            row_id=s.id,
            customer_row_id=s.customer_id,
            customer_id=to_global_id("Customer", s.customer_id),
            frequency=RecurringFrequency(s.frequency),
            interval=s.interval,
            weekday=Weekday(s.weekday) if s.weekday is not None else None,
            day_of_month=s.day_of_month,
            start_date=s.start_date,
            end_date=s.end_date,
            count=s.max_count,
            created_count=s.created_count,
            next_date=s.next_date,
            last_date=s.last_date,
            status=RecurringScheduleStatus(s.status),
            send_on_create=s.send_on_create,
            send_channels=list(s.send_channels),
            last_error=s.last_error,
            template=RecurringTemplate(
                lines=[RecurringLine(**asdict(line)) for line in template_lines(t)],
                # the saved currency: the business's when the template names none
                **(template_options(t) | {"currency": s.currency}),
                due_in_days=t.get("due_in_days"),
            ),
            estimated_total=Money.of(s.estimated_total, s.currency),
            created_at=s.created_at,
            updated_at=s.updated_at,
        )


@strawberry.type
class RecurringScheduleConnection:
    edges: list[Edge[RecurringSchedule]]
    page_info: PageInfo


IDEMPOTENCY = (
    "Optional (1-120 characters): a retry with the same key returns the first result "
    "(replayed: true); the same key with a different input is a ConflictError."
)


@strawberry.input
class CreateRecurringScheduleInput(InvoiceOptions):
    customer_id: strawberry.ID
    frequency: RecurringFrequency
    start_date: date = strawberry.field(description="The business's date; not in the past.")
    lines: list[InvoiceLineInput]
    interval: int = 1
    weekday: Weekday | None = strawberry.field(
        default=None, description="Weekly: default the start date's weekday."
    )
    day_of_month: int | None = strawberry.field(
        default=None,
        description="Monthly, 1-31 (default the start date's day); past a month's end the "
        "occurrence falls on its last day.",
    )
    end_date: date | None = None
    count: int | None = None
    due_in_days: int | None = None
    send_on_create: bool = False
    send_channels: list[str] = strawberry.field(default_factory=lambda: ["sms"])
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input(description="Only the fields given change; null clears an optional one.")
class UpdateRecurringScheduleInput:
    id: strawberry.ID
    frequency: RecurringFrequency | None = strawberry.UNSET
    start_date: date | None = strawberry.UNSET
    lines: list[InvoiceLineInput] | None = strawberry.UNSET
    interval: int | None = strawberry.UNSET
    weekday: Weekday | None = strawberry.UNSET
    day_of_month: int | None = strawberry.UNSET
    end_date: date | None = strawberry.UNSET
    count: int | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    prices_include_tax: bool | None = strawberry.UNSET
    place_of_supply: str | None = strawberry.UNSET
    discount_percent: Decimal | None = strawberry.UNSET
    discount_amount: Decimal | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    terms: str | None = strawberry.UNSET
    due_in_days: int | None = strawberry.UNSET
    send_on_create: bool | None = strawberry.UNSET
    send_channels: list[str] | None = strawberry.UNSET
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input
class RecurringScheduleActionInput:
    id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input
class CreateRecurringScheduleFromSuggestionInput:
    customer_id: strawberry.ID
    suggestion_key: str = strawberry.field(description="`key` of a suggestInvoices entry.")
    start_date: date | None = strawberry.field(
        default=None, description="Default: the pattern's next date (from today)."
    )
    end_date: date | None = None
    count: int | None = None
    due_in_days: int | None = None
    send_on_create: bool = False
    send_channels: list[str] = strawberry.field(default_factory=lambda: ["sms"])
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.type
class RecurringSchedulePayload:
    schedule: RecurringSchedule
    replayed: bool = False


@strawberry.type
class DeleteRecurringSchedulePayload:
    deleted_id: strawberry.ID
    replayed: bool = False
