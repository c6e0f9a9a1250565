"""GraphQL shapes of a business's delivery settings (email fallback, monthly statements)
and of the statement email."""

from __future__ import annotations

from datetime import date

import strawberry

from domain.notifications.business_settings import DeliverySettings as Domain


@strawberry.type(
    description="How the business's messages are delivered beyond the templates: email "
    "fallback of an SMS that cannot reach the customer, and the monthly statement email."
)
class DeliverySettings:
    email_fallback_transactional: bool = strawberry.field(
        description="An invoice, receipt or order SMS that fails (no phone, opted out, "
        "invalid number, undelivered) is sent as email instead. Default on."
    )
    email_fallback_marketing: bool = strawberry.field(
        description="The same for marketing SMS. Default off."
    )
    monthly_statements: bool = strawberry.field(
        description="On the 1st of each month (business timezone) every customer with "
        "activity last month gets that month's statement PDF by email. Default off."
    )

    @classmethod
    def of(cls, s: Domain) -> DeliverySettings:
        return cls(
            email_fallback_transactional=s.email_fallback_transactional,
            email_fallback_marketing=s.email_fallback_marketing,
            monthly_statements=s.monthly_statements,
        )


@strawberry.input(description="Changes the delivery settings; an omitted field stays.")
class UpdateDeliverySettingsInput:
    email_fallback_transactional: bool | None = None
    email_fallback_marketing: bool | None = None
    monthly_statements: bool | None = None


@strawberry.type
class DeliverySettingsPayload:
    settings: DeliverySettings


@strawberry.input(
    description="Emails the customer's statement of the period (business timezone dates, "
    "both included) with the statement PDF attached."
)
class SendStatementInput:
    customer_id: strawberry.ID
    start: date = strawberry.field(name="from")
    end: date = strawberry.field(name="to")
    idempotency_key: str | None = strawberry.field(
        default=None, description="The same key (and input) replays the first answer."
    )


@strawberry.type
class SendStatementPayload:
    request_id: strawberry.ID = strawberry.field(
        description="The outbox event delivering it: the ledger rows of the email carry it."
    )
    replayed: bool
