"""Each customer's message preferences for the business they are a customer of: consent
per channel and kind (transactional apart from marketing), language, quiet hours, and
the timezone those hours are read in.

Customers had no timezone; now they may have one. Until someone sets it, it is derived:
the zone of the phone number's region (phonenumbers' timezone data) when that region has
exactly one zone or the business's zone is among them, else the business's.

Who may change them: staff and API keys through updateNotificationPreferences (source
"staff"); the delivery pipeline on inbound STOP/START (`set_channel_consent`, source
"inbound_sms"); the portal, once portal persons can see their customer rows, calls
`update_preferences` with source "portal" — the repository's PERSON branch is the one
place to open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from babel.core import Locale, UnknownLocaleError
from phonenumbers import timezone as phone_timezones

from domain.accounts import queries as accounts
from domain.core import audit
from domain.core.codes import CoreCode
from domain.core.errors import ErrorCollector, NotFound
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers import service as customers
from domain.customers.models import Customer
from domain.notifications import policy
from domain.notifications.policy import Preferences
from domain.notifications.template_models import NotificationPreference
from domain.notifications.template_repository import TemplateRepository
from domain.notifications.vocabulary import Channel, MessageKind


class Source(StrEnum):
    STAFF = "staff"
    PORTAL = "portal"
    INBOUND_SMS = "inbound_sms"


UNSET: object = object()


@dataclass
class PreferenceChanges:
    """Only what the caller named changes; `timezone=None` and quiet hours of None go
    back to the derived default."""

    sms_transactional: bool | None = None
    sms_marketing: bool | None = None
    email_transactional: bool | None = None
    email_marketing: bool | None = None
    language: str | None = None
    timezone: str | object | None = UNSET
    quiet_hours: tuple[time, time] | object | None = UNSET


def is_zone(name: str) -> bool:
    """An IANA zone the system's tz database knows ("Etc/Unknown", phonenumbers' answer
    for a number without a region, is none)."""
    if not name or len(name) > 64 or name.startswith("Etc/Unknown"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


# phonenumbers answers some zones by their old names; tzdata keeps those as links, but a
# customer's zone is shown and compared by its current name.
RENAMED_ZONES = {
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Asia/Dacca": "Asia/Dhaka",
    "Asia/Thimbu": "Asia/Thimphu",
    "Europe/Kiev": "Europe/Kyiv",
    "America/Godthab": "America/Nuuk",
    "Atlantic/Faeroe": "Atlantic/Faroe",
    "Pacific/Truk": "Pacific/Chuuk",
    "Pacific/Ponape": "Pacific/Pohnpei",
}


def phone_timezone(phone: str | None, business_timezone: str) -> str:
    if phone:
        try:
            zones = phone_timezones.time_zones_for_number(phonenumbers.parse(phone))
        except phonenumbers.NumberParseException:
            zones = ()
        known = [RENAMED_ZONES.get(z, z) for z in zones if is_zone(z)]
        if business_timezone in known:
            return business_timezone
        if len(known) == 1:
            return known[0]
    return business_timezone


def customer_timezone(customer: Customer, business_timezone: str) -> str:
    return customer.timezone or phone_timezone(customer.phone, business_timezone)


def effective(
    customer: Customer, row: NotificationPreference | None, business_timezone: str
) -> Preferences:
    zone = customer_timezone(customer, business_timezone)
    if row is None:
        return Preferences(timezone=zone, language=customer.language)
    return Preferences(
        timezone=zone,
        language=customer.language,
        sms_transactional=row.sms_transactional,
        sms_marketing=row.sms_marketing,
        email_transactional=row.email_transactional,
        email_marketing=row.email_marketing,
        quiet_start=row.quiet_start or policy.DEFAULT_QUIET_START,
        quiet_end=row.quiet_end or policy.DEFAULT_QUIET_END,
    )


@dataclass(frozen=True)
class CustomerPreferences:
    customer: Customer
    prefs: Preferences
    timezone_derived: bool  # True when no one has set the customer's timezone
    row: NotificationPreference | None


async def _business_timezone(tx: Tx) -> str:
    business = await accounts.viewer_business(tx)
    if business is None:
        raise NotFound("business")
    return business.timezone


async def get_preferences(
    tx: Tx, customer_id: int, business_timezone: str | None = None
) -> CustomerPreferences:
    """`business_timezone`: the caller has the business already (the send rules), so it
    is not read again."""
    tx.viewer.require_business(Scope.NOTIFICATIONS_READ)
    customer = await customers.get_customer(tx, customer_id)
    row = await TemplateRepository(tx.session, tx.viewer).preference(customer_id)
    prefs = effective(customer, row, business_timezone or await _business_timezone(tx))
    return CustomerPreferences(customer, prefs, customer.timezone is None, row)


async def update_preferences(
    tx: Tx, customer_id: int, changes: PreferenceChanges, source: Source = Source.STAFF
) -> CustomerPreferences:
    tx.viewer.require_business(Scope.NOTIFICATIONS_WRITE)
    _validate(changes)
    customer = await customers.get_customer(tx, customer_id, lock=True)
    repo = TemplateRepository(tx.session, tx.viewer)
    row = await repo.preference(customer_id) or await _new_row(tx, repo, customer)
    before = _consents(row)
    for name in ("sms_transactional", "sms_marketing", "email_transactional", "email_marketing"):
        value = getattr(changes, name)
        if value is not None:
            setattr(row, name, value)
    if changes.quiet_hours is not UNSET:
        hours = changes.quiet_hours
        row.quiet_start, row.quiet_end = hours if isinstance(hours, tuple) else (None, None)
    if changes.language is not None:
        customer.language = changes.language
    if changes.timezone is not UNSET:
        customer.timezone = changes.timezone if isinstance(changes.timezone, str) else None
    if changes.language is not None or changes.timezone is not UNSET:
        customer.updated_at = tx.now()
    row.updated_by, row.source, row.updated_at = tx.viewer.actor_label, source, tx.now()
    await tx.session.flush()
    if _consents(row) != before:  # consent changes are the auditable part
        audit.record(
            tx,
            "notifications.consent_changed",
            target_type="customer",
            target_id=customer.id,
            data={"source": source.value, "before": before, "after": _consents(row)},
        )
    return await get_preferences(tx, customer_id)


async def set_channel_consent(
    tx: Tx, customer_id: int, channel: Channel, allowed: bool, source: Source
) -> CustomerPreferences:
    """STOP / START on a channel: both kinds of message follow."""
    changes = PreferenceChanges()
    setattr(changes, f"{channel.value}_transactional", allowed)
    setattr(changes, f"{channel.value}_marketing", allowed)
    return await update_preferences(tx, customer_id, changes, source)


async def _new_row(tx: Tx, repo: TemplateRepository, customer: Customer) -> NotificationPreference:
    row = NotificationPreference(
        customer_id=customer.id,
        business_id=customer.business_id,
        sms_transactional=True,
        sms_marketing=True,
        email_transactional=True,
        email_marketing=True,
        updated_by=tx.viewer.actor_label,
        source=Source.STAFF,
        updated_at=tx.now(),
    )
    await repo.add(row)
    return row


def _consents(row: NotificationPreference) -> dict[str, bool]:
    return {
        "smsTransactional": row.sms_transactional,
        "smsMarketing": row.sms_marketing,
        "emailTransactional": row.email_transactional,
        "emailMarketing": row.email_marketing,
    }


def _validate(changes: PreferenceChanges) -> None:
    errors = ErrorCollector()
    if isinstance(changes.timezone, str) and not is_zone(changes.timezone):
        errors.add("timezone", "is not an IANA time zone", CoreCode.INVALID_TIMEZONE)
    if changes.language is not None:
        try:
            Locale.parse(changes.language)
        except (UnknownLocaleError, ValueError):
            errors.add("language", "is not a known language code", CoreCode.INVALID_CHOICE)
        if len(changes.language) > 12:
            errors.add("language", "must be at most 12 characters", CoreCode.TOO_LONG)
    errors.raise_if_any()


async def decision_now(
    tx: Tx,
    customer_id: int,
    channel: Channel,
    kind: MessageKind,
    marketing_sent_today: int = 0,
) -> policy.Decision:
    """policy.decide for this customer at the clock's now."""
    found = await get_preferences(tx, customer_id)
    return policy.decide(
        kind, channel, found.prefs, tx.now(), marketing_sent_today=marketing_sent_today
    )
