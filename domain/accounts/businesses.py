"""Businesses (tenants): what a new one needs (country, currency, time zone, prefixes,
India's GST state) and creating one with its owner and counters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import available_timezones

import phonenumbers
from babel.numbers import get_territory_currencies, list_currencies

from domain.accounts.codes import AccountsCode
from domain.accounts.models import Business, Membership, User
from domain.accounts.repository import AccountsRepository
from domain.core import audit
from domain.core.codes import CoreCode
from domain.core.counters import Counter
from domain.core.errors import (
    ErrorCollector,
    Unauthenticated,
)
from domain.core.gst import HINT as GST_HINT
from domain.core.gst import gst_state_code, gstin_state
from domain.core.tx import Tx
from domain.core.viewer import Role

COUNTER_KINDS = ("customer", "invoice", "credit_note", "order")
DEFAULT_CURRENCY = {"IN": "INR", "KE": "KES", "OM": "OMR", "ZA": "ZAR"}
DEFAULT_TIMEZONE = {
    "IN": "Asia/Kolkata",
    "KE": "Africa/Nairobi",
    "OM": "Asia/Muscat",
    "ZA": "Africa/Johannesburg",
}
_PREFIX = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def _default_currency(country: str) -> str:
    """Our markets first, then the territory's legal tender per CLDR (USD for US...)."""
    if country in DEFAULT_CURRENCY:
        return DEFAULT_CURRENCY[country]
    found = get_territory_currencies(country, tender=True) if len(country) == 2 else []
    return found[0] if found else ""


@dataclass
class BusinessInput:
    name: str
    country: str
    currency: str | None = None
    timezone: str | None = None
    tax_id: str | None = None
    invoice_prefix: str = "INV"
    customer_prefix: str = "CUST"
    order_prefix: str = "ORD"
    state_code: str | None = None


def validate_business(data: BusinessInput, errors: ErrorCollector, base: str) -> BusinessInput:
    name = data.name.strip()
    if not name or len(name) > 200:
        errors.add(f"{base}name", "is required (at most 200 characters)")
    country = data.country.strip().upper()
    known_country = country in phonenumbers.SUPPORTED_REGIONS
    if not known_country:
        errors.add(f"{base}country", "is not an ISO 3166 country code", CoreCode.INVALID_COUNTRY)
    currency = (data.currency or _default_currency(country)).strip().upper()
    if data.currency and currency not in _currencies():
        errors.add(f"{base}currency", "is not an ISO 4217 currency", CoreCode.INVALID_CURRENCY)
    elif not currency and known_country:
        errors.add(
            f"{base}currency", "has no default for this country; give one", CoreCode.REQUIRED
        )
    timezone = data.timezone or DEFAULT_TIMEZONE.get(country, "UTC")
    if timezone not in _timezones():
        errors.add(f"{base}timezone", "is not an IANA time zone", CoreCode.INVALID_TIMEZONE)
    for key, path in (
        ("invoice_prefix", "invoicePrefix"),
        ("customer_prefix", "customerPrefix"),
        ("order_prefix", "orderPrefix"),
    ):
        if not _PREFIX.match(getattr(data, key)):
            errors.add(f"{base}{path}", "must be 1-10 capital letters or digits, letter first")
    tax_id = (data.tax_id or "").strip() or None
    state_code = _state_code(data, country, tax_id, errors, base)
    return BusinessInput(
        name=name,
        country=country,
        currency=currency,
        timezone=timezone,
        tax_id=tax_id,
        invoice_prefix=data.invoice_prefix,
        customer_prefix=data.customer_prefix,
        order_prefix=data.order_prefix,
        state_code=state_code,
    )


def _state_code(
    data: BusinessInput, country: str, tax_id: str | None, errors: ErrorCollector, base: str
) -> str | None:
    """India: the GST state, for invoices with a place of supply. A GSTIN's state is used
    when there is one; a state given as well must agree with it."""
    given = (data.state_code or "").strip()
    if not given:
        return None
    if country != "IN":
        errors.add(f"{base}stateCode", "is only used for India's GST", AccountsCode.NOT_APPLICABLE)
        return None
    code = gst_state_code(given)
    if code is None:
        errors.add(f"{base}stateCode", f"must be {GST_HINT}", CoreCode.INVALID_STATE)
        return None
    from_gstin = gstin_state(tax_id)
    if from_gstin is not None and from_gstin != code:
        errors.add(
            f"{base}stateCode",
            f"differs from the GSTIN's state ({from_gstin})",
            AccountsCode.MISMATCH,
        )
    return code


async def found_business(tx: Tx, data: BusinessInput, owner: User) -> Business:
    repo = AccountsRepository(tx.session, tx.viewer)
    business = Business(
        name=data.name,
        country=data.country,
        currency=data.currency or "",
        timezone=data.timezone or "UTC",
        tax_id=data.tax_id,
        state_code=data.state_code,
        invoice_prefix=data.invoice_prefix,
        customer_prefix=data.customer_prefix,
        order_prefix=data.order_prefix,
        created_at=tx.now(),
    )
    await repo.add(business)
    await repo.add_all(
        [
            Membership(
                business_id=business.id, user_id=owner.id, role=Role.OWNER, created_at=tx.now()
            ),
            *(Counter(business_id=business.id, kind=k, last_value=0) for k in COUNTER_KINDS),
        ]
    )
    audit.record(
        tx,
        "business.created",
        target_type="business",
        target_id=business.id,
        business_id=business.id,
        actor=f"user:{owner.id}",
    )
    return business


async def create_business(tx: Tx, data: BusinessInput) -> Business:
    user_id = tx.viewer.require_user()
    errors = ErrorCollector()
    clean = validate_business(data, errors, "")
    errors.raise_if_any()
    user = await AccountsRepository(tx.session, tx.viewer).user(user_id)
    if user is None:
        raise Unauthenticated("sign in first")
    return await found_business(tx, clean, user)
