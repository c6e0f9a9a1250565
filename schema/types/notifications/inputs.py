"""GraphQL inputs of message templates, previews, preferences and SMS limits."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import strawberry

from domain.core.errors import ErrorCollector
from domain.notifications.dlt import DltRegistration
from domain.notifications.preferences import UNSET, PreferenceChanges
from domain.notifications.quota import Limits
from domain.notifications.template_service import PreviewValues
from domain.notifications.templates import TemplateText
from domain.notifications.vocabulary import Channel, Event

MAX_VALUE = {"offer": 300, "link": 300, "status": 60, "invoiceNumber": 40, "orderNumber": 40}


@strawberry.input(description="India (TRAI DLT): ids and text as registered on the DLT portal.")
class DltRegistrationInput:
    entity_id: str
    template_id: str
    sender_id: str = strawberry.field(description="The 6-character registered header.")
    registered_text: str = strawberry.field(description="With `{#var#}` for each variable.")


@strawberry.input(
    description="The business's text for one channel, event and language (replaces any "
    "saved before). Placeholders: `{{name}}`, `{{amount}}`, `{{due_date}}`, `{{link}}`, "
    "`{{business}}`, `{{offer}}`, `{{invoice_number}}`, `{{order_number}}`, `{{status}}`, "
    "`{{date}}`, as the event offers them."
)
class SaveNotificationTemplateInput:
    channel: Channel
    event: Event
    body: str
    language: str = "en"
    subject: str | None = strawberry.field(default=None, description="Email only.")
    dlt: DltRegistrationInput | None = None

    def to_domain(self) -> TemplateText:
        d = self.dlt
        reg = (
            None
            if d is None
            else DltRegistration(
                d.entity_id.strip(), d.template_id.strip(), d.sender_id.strip(), d.registered_text
            )
        )
        return TemplateText(
            self.channel, self.event, self.language.strip(), self.body, self.subject, reg
        )


@strawberry.input
class DeleteNotificationTemplateInput:
    id: strawberry.ID


@strawberry.input(
    description="Renders a saved template (`templateId`), an unsaved one (`template`), or "
    "the one a message of `channel` and `event` would use for the customer. Values not "
    "given come from the customer and the business, or a sample."
)
class PreviewNotificationInput:
    customer_id: strawberry.ID
    template_id: strawberry.ID | None = None
    template: SaveNotificationTemplateInput | None = None
    channel: Channel | None = None
    event: Event | None = None
    amount: Decimal | None = None
    due_date: date | None = None
    link: str | None = None
    offer: str | None = None
    invoice_number: str | None = None
    order_number: str | None = None
    status: str | None = None

    def values(self) -> PreviewValues:
        errors = ErrorCollector()
        for name, value in (
            ("offer", self.offer),
            ("link", self.link),
            ("status", self.status),
            ("invoiceNumber", self.invoice_number),
            ("orderNumber", self.order_number),
        ):
            if value is not None and len(value) > MAX_VALUE[name]:
                errors.add(name, f"must be at most {MAX_VALUE[name]} characters")
        if self.amount is not None and self.amount < 0:
            errors.add("amount", "must not be negative")
        errors.raise_if_any()
        return PreviewValues(
            amount=self.amount,
            due_date=self.due_date,
            link=self.link,
            offer=self.offer,
            invoice_number=self.invoice_number,
            order_number=self.order_number,
            status=self.status,
        )


@strawberry.input(
    description="Quiet from `start` to `end` (24-hour `HH:MM`) in the customer's timezone; "
    "equal times: no quiet hours."
)
class QuietHoursInput:
    start: str
    end: str

    def times(self) -> tuple[time, time]:
        errors = ErrorCollector()
        start = _clock_time(self.start, "quietHours.start", errors)
        end = _clock_time(self.end, "quietHours.end", errors)
        errors.raise_if_any()
        assert start is not None and end is not None
        return start, end


def _clock_time(value: str, field: str, errors: ErrorCollector) -> time | None:
    text = value.strip()
    if len(text) == 5 and text[2] == ":" and text.replace(":", "", 1).isdigit():
        hour, minute = int(text[:2]), int(text[3:])
        if hour < 24 and minute < 60:
            return time(hour, minute)
    errors.add(field, "must be a time of day as HH:MM (00:00 to 23:59)")
    return None


@strawberry.input(
    description="Only the fields given change. `timezone: null` and `quietHours: null` go "
    "back to the defaults (timezone from the phone's country or the business; 21:00-08:00)."
)
class UpdateNotificationPreferencesInput:
    customer_id: strawberry.ID
    sms_transactional: bool | None = None
    sms_marketing: bool | None = None
    email_transactional: bool | None = None
    email_marketing: bool | None = None
    language: str | None = None
    timezone: str | None = strawberry.UNSET
    quiet_hours: QuietHoursInput | None = strawberry.UNSET

    def changes(self) -> PreferenceChanges:
        hours: object = UNSET
        if self.quiet_hours is None:
            hours = None
        elif self.quiet_hours is not strawberry.UNSET:
            hours = self.quiet_hours.times()
        return PreferenceChanges(
            sms_transactional=self.sms_transactional,
            sms_marketing=self.sms_marketing,
            email_transactional=self.email_transactional,
            email_marketing=self.email_marketing,
            language=None if self.language is None else self.language.strip(),
            timezone=UNSET if self.timezone is strawberry.UNSET else self.timezone,
            quiet_hours=hours,
        )


@strawberry.input(
    description="Replaces the business's SMS limits; null removes a limit. A spend cap "
    "needs the price of one segment (business currency, up to 3 decimals)."
)
class UpdateSmsLimitsInput:
    sms_monthly_quota: int | None = None
    sms_spend_cap: Decimal | None = None
    sms_segment_price: Decimal | None = None

    def to_domain(self) -> Limits:
        return Limits(self.sms_monthly_quota, self.sms_spend_cap, self.sms_segment_price)
