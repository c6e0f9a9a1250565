"""Customer rules: progressive profiles (guest -> stub -> full), contact validation,
addresses with one default, auto-registration, numbering and the network Person link."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.accounts.repository import AccountsRepository
from domain.core import audit, outbox
from domain.core.contact import mask_phone, normalize_email, normalize_phone
from domain.core.counters import format_number, lock_counter, next_value
from domain.core.errors import Conflict, ErrorCollector, NotFound, ValidationFailed
from domain.core.money import parse_amount, quantize
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers.models import (
    PROFILE_RANK,
    AddressKind,
    Customer,
    CustomerAddress,
    CustomerMerge,
    CustomerStatus,
    PaymentMethod,
    PaymentTerms,
    ProfileType,
)
from domain.customers.repository import CustomerRepository, reversed_digits, search_key

WALK_IN = "Walk-in Customer"
MAX_ADDRESSES = 20  # created with or added one by one; a merge keeps every address
MAX_TAGS = 20
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
    "profile_type": "profileType",
    "postal_code": "postalCode",
    "delivery_notes": "deliveryNotes",
    "is_default": "isDefault",
}


class PossibleDuplicates(Conflict):
    """Another customer of the business has this phone: the caller sees them and may
    create the customer anyway (`allowDuplicatePhone`)."""

    code = "DUPLICATE_PHONE"

    def __init__(self, customers: list[Customer], field: str = "phone") -> None:
        super().__init__(
            "another customer of this business has this phone; send allowDuplicatePhone: "
            "true to create this one anyway"
        )
        self.customers = customers
        self.field = field  # the input field whose phone is taken


def placeholder_name(phone: str | None) -> str:
    """The name of a new customer given none (absent, null, empty or only spaces): its
    masked phone, or "Walk-in Customer" without one; createCustomer, autoRegisterCustomer
    and imports alike. updateCustomer cannot clear a name (REQUIRED)."""
    return f"Customer {mask_phone(phone)}" if phone else WALK_IN


def gql(name: str) -> str:
    return FIELD_NAMES.get(name, name)


def channel_for(business_id: int) -> str:
    return f"business:{business_id}:customers"


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


async def load_business(tx: Tx) -> Business:
    row = await AccountsRepository(tx.session).business(tx.business_id)
    if row is None:
        raise NotFound("business")
    return Business(row.id, row.country, row.currency, row.customer_prefix, row.name)


def _text(
    value: Any, name: str, errors: ErrorCollector, limit: int, required: bool = False
) -> str | None:
    if value is None:
        if required:
            errors.add(gql(name), "is required", "REQUIRED")
        return None
    text = str(value).strip()
    if not text:
        if required:
            errors.add(gql(name), "is required", "REQUIRED")
        return None
    if len(text) > limit:
        errors.add(gql(name), f"must be at most {limit} characters", "TOO_LONG")
    return text


def _enum(value: Any, name: str, enum: type[StrEnum], errors: ErrorCollector) -> str | None:
    if value is None:
        return None
    try:
        return str(enum(value).value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        errors.add(gql(name), f"must be one of {allowed}", "INVALID_CHOICE")
        return None


def clean_tags(raw: list[str], errors: ErrorCollector) -> list[str]:
    tags: list[str] = []
    for tag in raw:
        t = tag.strip().lower()
        if not t:
            continue
        if len(t) > 40:
            errors.add("tags", f"tag '{t[:20]}…' is longer than 40 characters", "TOO_LONG")
        elif t not in tags:
            tags.append(t)
    if len(tags) > MAX_TAGS:
        errors.add("tags", f"at most {MAX_TAGS} tags", "TOO_MANY")
    return tags


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
    region = business.country
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "name":
            clean[key] = _text(value, key, errors, 200, required=not new)
        elif key in ("name_alt", "business_type"):
            clean[key] = _text(value, key, errors, 200 if key == "name_alt" else 60)
        elif key == "tax_id":
            clean[key] = _text(value, key, errors, 40)
        elif key == "notes":
            clean[key] = _text(value, key, errors, 5000)
        elif key in ("phone", "phone_secondary"):
            text = _text(value, key, errors, 40)
            try:
                clean[key] = normalize_phone(text, region, gql(key)) if text else None
            except ValidationFailed as exc:
                errors.errors.extend(exc.errors)
        elif key in ("email", "email_secondary"):
            text = _text(value, key, errors, 254)
            try:
                clean[key] = normalize_email(text, gql(key)) if text else None
            except ValidationFailed as exc:
                errors.errors.extend(exc.errors)
        elif key == "tags":
            clean[key] = clean_tags(list(value or []), errors)
        elif key == "payment_terms":
            clean[key] = _enum(value or PaymentTerms.DUE_ON_RECEIPT, key, PaymentTerms, errors)
        elif key == "preferred_payment_method":
            clean[key] = _enum(value, key, PaymentMethod, errors)
        elif key == "status":
            clean[key] = _enum(value or CustomerStatus.ACTIVE, key, CustomerStatus, errors)
        elif key == "credit_limit":
            if value is None:
                clean[key] = None
            else:
                try:
                    amount = parse_amount(value, gql(key))
                    if amount < 0:
                        errors.add(gql(key), "must not be negative", "NEGATIVE")
                    clean[key] = quantize(amount, business.currency)
                except ValidationFailed as exc:
                    errors.errors.extend(exc.errors)
        elif key == "language":
            text = _text(value or "en", key, errors, 12)
            clean[key] = text or "en"
        elif key in ("auto_send_invoices", "reminders_enabled", "is_vip"):
            clean[key] = bool(value)
        elif key == "preferences":
            clean[key] = dict(value or {})
        else:
            raise KeyError(key)
    if new and "name" in clean and clean["name"] is None:
        clean["name"] = placeholder_name(clean.get("phone", customer.phone))
    if clean.get("phone") and clean.get("phone") == clean.get("phone_secondary"):
        errors.add("secondaryPhone", "is the same as the phone", "DUPLICATE")
    changed = {k for k, v in clean.items() if getattr(customer, k, None) != v}
    for key, value in clean.items():
        setattr(customer, key, value)
    return changed


def check_profile(customer: Customer, errors: ErrorCollector) -> None:
    kind = ProfileType(customer.profile_type)
    if kind is ProfileType.STUB and not customer.phone:
        errors.add("phone", "a stub profile needs a phone", "REQUIRED")
    if kind is ProfileType.FULL:
        if not customer.phone:
            errors.add("phone", "a full profile needs a phone", "REQUIRED")
        if not customer.email:
            errors.add("email", "a full profile needs an email", "REQUIRED")


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
        _enum(data.kind or AddressKind.HOME, "kind", AddressKind, errors) or AddressKind.HOME
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
        errors.add(f"{base}country", "must be an ISO 3166 alpha-2 code", "INVALID_COUNTRY")
    out["country"] = country
    lat, lon = data.latitude, data.longitude
    if (lat is None) != (lon is None):
        errors.add(f"{base}latitude", "give both latitude and longitude, or neither", "INCOMPLETE")
    if lat is not None and (not math.isfinite(lat) or not -90 <= lat <= 90):
        errors.add(f"{base}latitude", "must be between -90 and 90", "OUT_OF_RANGE")
    if lon is not None and (not math.isfinite(lon) or not -180 <= lon <= 180):
        errors.add(f"{base}longitude", "must be between -180 and 180", "OUT_OF_RANGE")
    out["latitude"], out["longitude"] = lat, lon
    if (
        not any(out.get(k) for k in ("building", "street", "area", "city", "postal_code"))
        and lat is None
    ):
        errors.add(
            f"{base}street", "an address needs a place: street, area, city or GPS", "REQUIRED"
        )
    return out


def event_payload(customer: Customer) -> dict[str, Any]:
    return {
        "customerId": customer.id,
        "number": customer.number,
        "name": customer.name,
        "profileType": customer.profile_type,
        "status": customer.status,
    }


def emit_change(
    tx: Tx, topic: str, customer: Customer, extra: dict[str, Any] | None = None
) -> None:
    payload = event_payload(customer) | (extra or {})
    outbox.emit(tx, topic, payload, channels=[channel_for(customer.business_id)])


async def _link_person(tx: Tx, repo: CustomerRepository, customer: Customer) -> None:
    customer.person_id = (
        await repo.person_for_phone(customer.phone, tx.now()) if customer.phone else None
    )


async def create_customer(
    tx: Tx,
    data: CustomerInput,
    *,
    business: Business | None = None,
    audit_action: str | None = "customer.created",
    allow_duplicate_phone: bool = False,
) -> Customer:
    """audit_action=None is for bulk paths (import) that audit and announce once. A phone
    that another customer of the business has (as primary or secondary) is refused with
    those customers (`PossibleDuplicates`) unless `allow_duplicate_phone`; the check holds
    the customer counter's lock, like auto-registration, so two concurrent creates with
    one phone cannot both pass it."""
    business_id = tx.viewer.require_business(Scope.CUSTOMERS_WRITE)
    business = business or await load_business(tx)
    errors = ErrorCollector()
    now = tx.now()
    customer = Customer(
        business_id=business_id,
        number="",
        status=CustomerStatus.ACTIVE,
        created_at=now,
        updated_at=now,
        tags=[],
        preferences={},
        total_billed=Decimal(0),
        total_paid=Decimal(0),
        outstanding=Decimal(0),
        credit_balance=Decimal(0),
        invoice_count=0,
        phone_verified=False,
        email_verified=False,
    )
    changes = data.changes()
    apply_fields(customer, changes, business, errors, new=True)
    if data.profile_type is None:
        customer.profile_type = infer_profile(customer)
    else:
        customer.profile_type = (
            _enum(data.profile_type, "profile_type", ProfileType, errors) or "guest"
        )
    if not errors.errors:
        check_profile(customer, errors)
    addresses = [
        validate_address(a, business, errors, f"addresses.{i}.")
        for i, a in enumerate(data.addresses)
    ]
    if sum(1 for a in data.addresses if a.is_default) > 1:
        errors.add("addresses", "only one address can be the default", "MULTIPLE_DEFAULTS")
    if len(data.addresses) > MAX_ADDRESSES:
        errors.add("addresses", f"at most {MAX_ADDRESSES} addresses a customer", "TOO_MANY")
    errors.raise_if_any()
    repo = CustomerRepository(tx.session)
    phones = [p for p in (customer.phone, customer.phone_secondary) if p]
    if phones and not allow_duplicate_phone:
        await lock_counter(tx, business_id, "customer")
        existing = await repo.with_phones(business_id, phones)
        if existing:
            primary_taken = any(customer.phone in (e.phone, e.phone_secondary) for e in existing)
            raise PossibleDuplicates(
                list(existing), "phone" if primary_taken else gql("phone_secondary")
            )
    customer.number = format_number(
        business.customer_prefix, await next_value(tx, business_id, "customer")
    )
    refresh_derived(customer)
    await _link_person(tx, repo, customer)
    await repo.add(customer)
    await repo.set_tags(business_id, customer.id, customer.tags)
    default_index = next((i for i, a in enumerate(data.addresses) if a.is_default), 0)
    for i, fields in enumerate(addresses):
        await repo.add(
            CustomerAddress(
                business_id=business_id,
                customer_id=customer.id,
                is_default=i == default_index,
                created_at=now,
                **fields,
            )
        )
    if audit_action is not None:
        audit.record(
            tx,
            audit_action,
            target_type="customer",
            target_id=customer.id,
            data={"number": customer.number},
        )
        emit_change(tx, "customer.created", customer)
    return customer


async def get_customer(tx: Tx, customer_id: int, *, lock: bool = False) -> Customer:
    business_id = tx.viewer.require_business(Scope.CUSTOMERS_READ)
    customer = await CustomerRepository(tx.session).get(business_id, customer_id, lock=lock)
    if customer is None:
        raise NotFound("customer", customer_id)
    return customer


async def update_customer(
    tx: Tx, customer_id: int, changes: dict[str, Any], profile_type: str | None = None
) -> Customer:
    tx.viewer.require_business(Scope.CUSTOMERS_WRITE)
    unknown = set(changes) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationFailed.one(sorted(unknown)[0], "cannot be changed here")
    customer = await get_customer(tx, customer_id, lock=True)
    if customer.merged_into_id is not None:
        raise Conflict("customer was merged into another; edit that one instead")
    business = await load_business(tx)
    errors = ErrorCollector()
    old_phone = customer.phone
    changed = apply_fields(customer, changes, business, errors)
    if profile_type is not None:
        kind = _enum(profile_type, "profile_type", ProfileType, errors)
        if kind and kind != customer.profile_type:
            customer.profile_type = kind
            changed.add("profile_type")
    if not errors.errors:
        check_profile(customer, errors)
    errors.raise_if_any()
    if not changed:
        return customer
    repo = CustomerRepository(tx.session)
    if "phone" in changed:
        customer.phone_verified = False if customer.phone != old_phone else customer.phone_verified
        await _link_person(tx, repo, customer)
    if "status" in changed:
        customer.deactivated_at = None if customer.status == CustomerStatus.ACTIVE else tx.now()
    refresh_derived(customer)
    customer.updated_at = tx.now()
    if "tags" in changed:
        await repo.set_tags(customer.business_id, customer.id, customer.tags)
    await tx.session.flush()
    audit.record(
        tx,
        "customer.updated",
        target_type="customer",
        target_id=customer.id,
        data={"fields": sorted(gql(c) for c in changed)},
    )
    emit_change(tx, "customer.updated", customer, {"fields": sorted(gql(c) for c in changed)})
    return customer


async def set_active(tx: Tx, customer_id: int, active: bool, reason: str | None = None) -> Customer:
    tx.viewer.require_business(Scope.CUSTOMERS_WRITE)
    customer = await get_customer(tx, customer_id, lock=True)
    if customer.merged_into_id is not None and active:
        raise Conflict("a merged customer cannot be reactivated")
    target = CustomerStatus.ACTIVE if active else CustomerStatus.INACTIVE
    if customer.status == target:
        return customer
    customer.status = target
    customer.deactivated_at = None if active else tx.now()
    customer.updated_at = tx.now()
    action = "customer.reactivated" if active else "customer.deactivated"
    audit.record(
        tx,
        action,
        target_type="customer",
        target_id=customer.id,
        data={"reason": reason} if reason else {},
    )
    emit_change(tx, action, customer)
    return customer


async def upgrade_customer(tx: Tx, customer_id: int, to: str, changes: dict[str, Any]) -> Customer:
    """Move a profile up (guest -> stub -> full), filling what the new level needs. Moving
    down goes through update and keeps every field."""
    errors = ErrorCollector()
    kind = _enum(to, "to", ProfileType, errors)
    errors.raise_if_any()
    customer = await get_customer(tx, customer_id, lock=True)
    if (
        kind is None
        or PROFILE_RANK[ProfileType(kind)] <= PROFILE_RANK[ProfileType(customer.profile_type)]
    ):
        raise ValidationFailed.one(
            "to", f"customer is already {customer.profile_type}", "NOT_AN_UPGRADE"
        )
    updated = await update_customer(tx, customer_id, changes, profile_type=kind)
    audit.record(
        tx, "customer.upgraded", target_type="customer", target_id=customer_id, data={"to": kind}
    )
    return updated


# -- addresses -------------------------------------------------------------------
async def add_address(tx: Tx, customer_id: int, data: AddressInput) -> CustomerAddress:
    tx.viewer.require_business(Scope.CUSTOMERS_WRITE)
    customer = await get_customer(tx, customer_id, lock=True)
    if customer.merged_into_id is not None:
        raise Conflict("customer was merged into another; add the address there")
    business = await load_business(tx)
    errors = ErrorCollector()
    fields = validate_address(data, business, errors, "")
    errors.raise_if_any()
    repo = CustomerRepository(tx.session)
    existing = await repo.addresses_for(customer.business_id, [customer.id])
    if len(existing) >= MAX_ADDRESSES:
        raise ValidationFailed.one(
            "address", f"at most {MAX_ADDRESSES} addresses a customer", "TOO_MANY"
        )
    make_default = data.is_default or not existing
    if make_default:
        await repo.clear_default(customer.id)
    row = CustomerAddress(
        business_id=customer.business_id,
        customer_id=customer.id,
        is_default=make_default,
        created_at=tx.now(),
        **fields,
    )
    await repo.add(row)
    emit_change(tx, "customer.updated", customer, {"fields": ["addresses"]})
    return row


async def get_address(tx: Tx, address_id: int) -> CustomerAddress:
    business_id = tx.viewer.require_business(Scope.CUSTOMERS_READ)
    row = await CustomerRepository(tx.session).address(business_id, address_id)
    if row is None:
        raise NotFound("address", address_id)
    return row


async def get_merge(tx: Tx, merge_id: int) -> CustomerMerge:
    business_id = tx.viewer.require_business(Scope.CUSTOMERS_READ)
    row = await CustomerRepository(tx.session).merge(business_id, merge_id)
    if row is None:
        raise NotFound("merge", merge_id)
    return row


async def _address(tx: Tx, address_id: int) -> CustomerAddress:
    business_id = tx.viewer.require_business(Scope.CUSTOMERS_WRITE)
    row = await CustomerRepository(tx.session).address(business_id, address_id)
    if row is None:
        raise NotFound("address", address_id)
    await get_customer(tx, row.customer_id, lock=True)
    return row


async def update_address(tx: Tx, address_id: int, data: AddressInput) -> CustomerAddress:
    row = await _address(tx, address_id)
    business = await load_business(tx)
    errors = ErrorCollector()
    fields = validate_address(data, business, errors, "")
    errors.raise_if_any()
    for key, value in fields.items():
        setattr(row, key, value)
    if data.is_default and not row.is_default:
        await set_default_address(tx, address_id)
    await tx.session.flush()
    return row


async def remove_address(tx: Tx, address_id: int) -> int:
    """Removing the default promotes the oldest remaining address, so a customer with
    addresses always has exactly one default."""
    row = await _address(tx, address_id)
    repo = CustomerRepository(tx.session)
    customer_id, was_default = row.customer_id, row.is_default
    await repo.delete_address(row)
    if was_default:
        rest = await repo.addresses_for(tx.business_id, [customer_id])
        if rest:
            oldest = min(rest, key=lambda a: a.id)
            oldest.is_default = True
            await tx.session.flush()
    return customer_id


async def set_default_address(tx: Tx, address_id: int) -> CustomerAddress:
    row = await _address(tx, address_id)
    repo = CustomerRepository(tx.session)
    await repo.clear_default(row.customer_id)
    await tx.session.refresh(row)
    row.is_default = True
    await tx.session.flush()
    return row


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), for "nearest first" delivery lists."""
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))
