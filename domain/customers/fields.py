"""What a customer or address may hold: the inputs, their validation (each error names
the GraphQL input field the caller typed), the profile levels and the derived columns."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.core.codes import CoreCode
from domain.core.contact import mask_phone, normalize_email, normalize_phone
from domain.core.errors import ErrorCollector, ValidationFailed
from domain.core.money import parse_amount, quantize
from domain.customers.codes import CustomersCode
from domain.customers.models import (
    AddressKind,
    Customer,
    CustomerStatus,
    PaymentMethod,
    PaymentTerms,
    ProfileType,
    VipMode,
)
from domain.customers.repository import reversed_digits, search_key

WALK_IN = "Walk-in Customer"
MAX_TAGS = 20
MAX_ADDRESSES = 20  # created with or added one by one; a merge keeps every address
CUSTOMER_FIELDS = (
    "name",
    "name_alt",
    "phone",
    "phone_secondary",
    "email",
    "email_secondary",
    "business_type",
    "tax_id",
    "tags",
    "notes",
    "payment_terms",
    "credit_limit",
    "preferred_payment_method",
    "auto_send_invoices",
    "reminders_enabled",
    "language",
    "is_vip",
    "preferences",
    "status",
)
# GraphQL input names, so a field error points at what the caller typed.
FIELD_NAMES = {
    "name_alt": "nameAlt",
    "phone_secondary": "secondaryPhone",
    "email_secondary": "secondaryEmail",
    "business_type": "businessType",
    "tax_id": "taxId",
    "payment_terms": "paymentTerms",
    "credit_limit": "creditLimit",
    "preferred_payment_method": "preferredPaymentMethod",
    "auto_send_invoices": "autoSendInvoices",
    "reminders_enabled": "remindersEnabled",
    "is_vip": "isVip",
    "vip_mode": "vipMode",
    "profile_type": "profileType",
    "postal_code": "postalCode",
    "delivery_notes": "deliveryNotes",
    "is_default": "isDefault",
}


def placeholder_name(phone: str | None) -> str:
    """The name of a new customer given none (absent, null, empty or only spaces): its
    masked phone, or "Walk-in Customer" without one; createCustomer, autoRegisterCustomer
    and imports alike. updateCustomer cannot clear a name (REQUIRED)."""
    return f"Customer {mask_phone(phone)}" if phone else WALK_IN


def gql(name: str) -> str:
    return FIELD_NAMES.get(name, name)


@dataclass
class AddressInput:
    kind: str = AddressKind.HOME
    label: str | None = None
    building: str | None = None
    street: str | None = None
    area: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    delivery_notes: str | None = None
    is_default: bool = False


@dataclass
class CustomerInput:
    name: str | None = None
    profile_type: str | None = None
    name_alt: str | None = None
    phone: str | None = None
    phone_secondary: str | None = None
    email: str | None = None
    email_secondary: str | None = None
    business_type: str | None = None
    tax_id: str | None = None
    tags: list[str] = field(default_factory=list)
    notes: str | None = None
    payment_terms: str = PaymentTerms.DUE_ON_RECEIPT
    credit_limit: Decimal | str | None = None
    preferred_payment_method: str | None = None
    auto_send_invoices: bool = False
    reminders_enabled: bool = True
    language: str = "en"
    is_vip: bool = False
    preferences: dict[str, Any] = field(default_factory=dict)
    addresses: list[AddressInput] = field(default_factory=list)

    def changes(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("addresses")
        data.pop("profile_type")
        return data


@dataclass
class Business:
    id: int
    country: str
    currency: str
    customer_prefix: str
    name: str


def _text(
    value: Any, name: str, errors: ErrorCollector, limit: int, required: bool = False
) -> str | None:
    if value is None:
        if required:
            errors.add(gql(name), "is required", CoreCode.REQUIRED)
        return None
    text = str(value).strip()
    if not text:
        if required:
            errors.add(gql(name), "is required", CoreCode.REQUIRED)
        return None
    if len(text) > limit:
        errors.add(gql(name), f"must be at most {limit} characters", CoreCode.TOO_LONG)
    return text


def enum_value(value: Any, name: str, enum: type[StrEnum], errors: ErrorCollector) -> str | None:
    if value is None:
        return None
    try:
        return str(enum(value).value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        errors.add(gql(name), f"must be one of {allowed}", CoreCode.INVALID_CHOICE)
        return None


def clean_tags(raw: list[str], errors: ErrorCollector) -> list[str]:
    tags: list[str] = []
    for tag in raw:
        t = tag.strip().lower()
        if not t:
            continue
        if len(t) > 40:
            errors.add("tags", f"tag '{t[:20]}…' is longer than 40 characters", CoreCode.TOO_LONG)
        elif t not in tags:
            tags.append(t)
    if len(tags) > MAX_TAGS:
        errors.add("tags", f"at most {MAX_TAGS} tags", CoreCode.TOO_MANY)
    return tags


# field name -> longest text it takes
TEXT_LIMITS = {"name_alt": 200, "business_type": 60, "tax_id": 40, "notes": 5000}
FLAGS = ("auto_send_invoices", "reminders_enabled", "is_vip")


def apply_fields(
    customer: Customer,
    changes: dict[str, Any],
    business: Business,
    errors: ErrorCollector,
    *,
    new: bool = False,
) -> set[str]:
    """Validate and assign the provided fields; returns the names that really changed.
    A name that is empty or only spaces is no name: a `new` customer gets
    `placeholder_name`, an existing one keeps its name and the change is refused."""
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        try:
            clean[key] = _clean_field(key, value, business, errors, new)
        except ValidationFailed as exc:  # a phone, an email or an amount that does not parse
            errors.errors.extend(exc.errors)
    if new and "name" in clean and clean["name"] is None:
        clean["name"] = placeholder_name(clean.get("phone", customer.phone))
    if clean.get("phone") and clean.get("phone") == clean.get("phone_secondary"):
        errors.add("secondaryPhone", "is the same as the phone", CustomersCode.DUPLICATE)
    changed = {k for k, v in clean.items() if getattr(customer, k, None) != v}
    for key, value in clean.items():
        setattr(customer, key, value)
    if "is_vip" in clean:  # the old manual flag: true is the owner's "always", false "auto"
        mode = VipMode.ALWAYS if clean["is_vip"] else VipMode.AUTO
        if customer.vip_mode != mode:
            customer.vip_mode = mode
            changed.add("vip_mode")
    return changed


def _clean_field(
    key: str, value: Any, business: Business, errors: ErrorCollector, new: bool
) -> Any:
    """One field's clean value; problems are added to `errors` (or raised, for values that
    do not parse)."""
    if key == "name":
        return _text(value, key, errors, 200, required=not new)
    if key in TEXT_LIMITS:
        return _text(value, key, errors, TEXT_LIMITS[key])
    if key in ("phone", "phone_secondary"):
        text = _text(value, key, errors, 40)
        return normalize_phone(text, business.country, gql(key)) if text else None
    if key in ("email", "email_secondary"):
        text = _text(value, key, errors, 254)
        return normalize_email(text, gql(key)) if text else None
    if key == "tags":
        return clean_tags(list(value or []), errors)
    if key == "payment_terms":
        return enum_value(value or PaymentTerms.DUE_ON_RECEIPT, key, PaymentTerms, errors)
    if key == "preferred_payment_method":
        return enum_value(value, key, PaymentMethod, errors)
    if key == "status":
        return enum_value(value or CustomerStatus.ACTIVE, key, CustomerStatus, errors)
    if key == "credit_limit":
        return _credit_limit(value, business, errors)
    if key == "language":
        return _text(value or "en", key, errors, 12) or "en"
    if key in FLAGS:
        return bool(value)
    if key == "preferences":
        return dict(value or {})
    raise KeyError(key)


def _credit_limit(value: Any, business: Business, errors: ErrorCollector) -> Decimal | None:
    if value is None:
        return None
    amount = parse_amount(value, gql("credit_limit"))
    if amount < 0:
        errors.add(gql("credit_limit"), "must not be negative", CoreCode.NEGATIVE)
    return quantize(amount, business.currency)


def check_profile(customer: Customer, errors: ErrorCollector) -> None:
    kind = ProfileType(customer.profile_type)
    if kind is ProfileType.STUB and not customer.phone:
        errors.add("phone", "a stub profile needs a phone", CoreCode.REQUIRED)
    if kind is ProfileType.FULL:
        if not customer.phone:
            errors.add("phone", "a full profile needs a phone", CoreCode.REQUIRED)
        if not customer.email:
            errors.add("email", "a full profile needs an email", CoreCode.REQUIRED)


def infer_profile(customer: Customer) -> str:
    if customer.phone and customer.email:
        return ProfileType.FULL if customer.phone_verified else ProfileType.STUB
    return ProfileType.STUB if customer.phone else ProfileType.GUEST


def refresh_derived(customer: Customer) -> None:
    customer.name_search = search_key(customer.name, customer.name_alt)
    customer.phone_rev = reversed_digits(customer.phone)


def validate_address(
    data: AddressInput, business: Business, errors: ErrorCollector, base: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["kind"] = (
        enum_value(data.kind or AddressKind.HOME, "kind", AddressKind, errors) or AddressKind.HOME
    )
    for name, limit in (
        ("label", 60),
        ("building", 120),
        ("street", 200),
        ("area", 120),
        ("city", 120),
        ("postal_code", 20),
        ("delivery_notes", 1000),
    ):
        sub = ErrorCollector()
        out[name] = _text(getattr(data, name), name, sub, limit)
        errors.errors.extend(type(e)(f"{base}{e.field}", e.message, e.code) for e in sub.errors)
    country = (data.country or business.country).strip().upper()
    if len(country) != 2 or not country.isalpha():
        errors.add(f"{base}country", "must be an ISO 3166 alpha-2 code", CoreCode.INVALID_COUNTRY)
    out["country"] = country
    lat, lon = data.latitude, data.longitude
    if (lat is None) != (lon is None):
        errors.add(
            f"{base}latitude",
            "give both latitude and longitude, or neither",
            CustomersCode.INCOMPLETE,
        )
    if lat is not None and (not math.isfinite(lat) or not -90 <= lat <= 90):
        errors.add(f"{base}latitude", "must be between -90 and 90", CoreCode.OUT_OF_RANGE)
    if lon is not None and (not math.isfinite(lon) or not -180 <= lon <= 180):
        errors.add(f"{base}longitude", "must be between -180 and 180", CoreCode.OUT_OF_RANGE)
    out["latitude"], out["longitude"] = lat, lon
    if (
        not any(out.get(k) for k in ("building", "street", "area", "city", "postal_code"))
        and lat is None
    ):
        errors.add(
            f"{base}street",
            "an address needs a place: street, area, city or GPS",
            CoreCode.REQUIRED,
        )
    return out
