"""GraphQL inputs for customers and their translation to domain inputs."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from domain.customers.fields import AddressInput as DomainAddress
from domain.customers.fields import CustomerInput as DomainCustomer
from domain.customers.import_rows import OnDuplicate as DomainOnDuplicate
from domain.customers.repository import CustomerFilter
from schema.types.common import (
    AddressKind,
    CustomerSortField,
    CustomerStatus,
    PaymentMethod,
    PaymentTerms,
    ProfileType,
    SortDirection,
    idempotency_field,
)
from schema.types.customers.status import Activity as CustomerActivity
from schema.types.customers.status import VipMode

OnDuplicate = DomainOnDuplicate
strawberry.enum(OnDuplicate, name="OnDuplicate")


def _value(v: Any) -> Any:
    return v.value if isinstance(v, Enum) else v


@strawberry.input
class AddressInput:
    kind: AddressKind = AddressKind.HOME  # type: ignore[assignment]
    label: str | None = None
    building: str | None = None
    street: str | None = None
    area: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = strawberry.field(default=None, description="Defaults to the business's.")
    latitude: float | None = None
    longitude: float | None = None
    delivery_notes: str | None = None
    is_default: bool = False

    def to_domain(self) -> DomainAddress:
        return DomainAddress(
            kind=_value(self.kind),
            label=self.label,
            building=self.building,
            street=self.street,
            area=self.area,
            city=self.city,
            postal_code=self.postal_code,
            country=self.country,
            latitude=self.latitude,
            longitude=self.longitude,
            delivery_notes=self.delivery_notes,
            is_default=self.is_default,
        )


@strawberry.input
class CreateCustomerInput:
    name: str | None = strawberry.field(
        default=None,
        description="None, empty or only spaces: 'Customer <masked phone>', or "
        "'Walk-in Customer' without a phone.",
    )
    profile_type: ProfileType | None = strawberry.field(
        default=None, description="Inferred when omitted: phone -> stub, nothing -> guest."
    )
    name_alt: str | None = None
    phone: str | None = strawberry.field(
        default=None, description="Any format; default region is the business's country."
    )
    secondary_phone: str | None = None
    email: str | None = None
    secondary_email: str | None = None
    business_type: str | None = None
    tax_id: str | None = None
    tags: list[str] = strawberry.field(default_factory=list)
    notes: str | None = None
    payment_terms: PaymentTerms = PaymentTerms.DUE_ON_RECEIPT  # type: ignore[assignment]
    credit_limit: Decimal | None = None
    preferred_payment_method: PaymentMethod | None = None
    auto_send_invoices: bool = False
    reminders_enabled: bool = True
    language: str = "en"
    is_vip: bool = False
    preferences: JSON | None = None
    addresses: list[AddressInput] = strawberry.field(default_factory=list)
    allow_duplicate_phone: bool = strawberry.field(
        default=False,
        description="Create even when another customer of the business has this phone "
        "(otherwise a DuplicateCustomerError lists them).",
    )
    idempotency_key: str | None = idempotency_field()

    def to_domain(self) -> DomainCustomer:
        return DomainCustomer(
            name=self.name,
            profile_type=_value(self.profile_type),
            name_alt=self.name_alt,
            phone=self.phone,
            phone_secondary=self.secondary_phone,
            email=self.email,
            email_secondary=self.secondary_email,
            business_type=self.business_type,
            tax_id=self.tax_id,
            tags=list(self.tags),
            notes=self.notes,
            payment_terms=_value(self.payment_terms),
            credit_limit=self.credit_limit,
            preferred_payment_method=_value(self.preferred_payment_method),
            auto_send_invoices=self.auto_send_invoices,
            reminders_enabled=self.reminders_enabled,
            language=self.language,
            is_vip=self.is_vip,
            preferences=dict(cast(dict[str, Any], self.preferences or {})),
            addresses=[a.to_domain() for a in self.addresses],
        )


# GraphQL name -> domain field, for partial updates where "absent" differs from null.
UPDATABLE = {
    "name": "name",
    "name_alt": "name_alt",
    "phone": "phone",
    "secondary_phone": "phone_secondary",
    "email": "email",
    "secondary_email": "email_secondary",
    "business_type": "business_type",
    "tax_id": "tax_id",
    "tags": "tags",
    "notes": "notes",
    "payment_terms": "payment_terms",
    "credit_limit": "credit_limit",
    "preferred_payment_method": "preferred_payment_method",
    "auto_send_invoices": "auto_send_invoices",
    "reminders_enabled": "reminders_enabled",
    "language": "language",
    "is_vip": "is_vip",
    "preferences": "preferences",
    "status": "status",
}


@strawberry.input(description="Only the fields you send change; send null to clear one.")
class UpdateCustomerInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    name_alt: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    secondary_phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    secondary_email: str | None = strawberry.UNSET
    business_type: str | None = strawberry.UNSET
    tax_id: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    payment_terms: PaymentTerms | None = strawberry.UNSET
    credit_limit: Decimal | None = strawberry.UNSET
    preferred_payment_method: PaymentMethod | None = strawberry.UNSET
    auto_send_invoices: bool | None = strawberry.UNSET
    reminders_enabled: bool | None = strawberry.UNSET
    language: str | None = strawberry.UNSET
    is_vip: bool | None = strawberry.UNSET
    preferences: JSON | None = strawberry.UNSET
    status: CustomerStatus | None = strawberry.UNSET
    profile_type: ProfileType | None = strawberry.field(
        default=strawberry.UNSET, description="Moving down keeps every field."
    )

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for gql_name, domain_name in UPDATABLE.items():
            value = getattr(self, gql_name)
            if value is not strawberry.UNSET:
                out[domain_name] = _value(value)
        return out


@strawberry.input
class UpgradeCustomerInput:
    id: strawberry.ID
    to: ProfileType
    name: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    preferences: JSON | None = strawberry.UNSET
    language: str | None = strawberry.UNSET

    def changes(self) -> dict[str, Any]:
        return {
            k: getattr(self, k)
            for k in ("name", "phone", "email", "preferences", "language")
            if getattr(self, k) is not strawberry.UNSET
        }


@strawberry.input
class AutoRegisterCustomerInput:
    phone: str
    name: str | None = None
    business_type: str | None = None
    email: str | None = None
    send_welcome_sms: bool = False


@strawberry.input
class MergeCustomersInput:
    source_id: strawberry.ID = strawberry.field(description="Deactivated after the merge.")
    target_id: strawberry.ID = strawberry.field(description="Keeps everything.")
    reason: str | None = None


@strawberry.input
class ImportCustomersInput:
    csv: str = strawberry.field(description="UTF-8 CSV with a header row (see README).")
    on_duplicate: OnDuplicate = OnDuplicate.SKIP  # type: ignore[assignment]


@strawberry.input
class CustomerFilterInput:
    status: list[CustomerStatus] | None = None
    profile_type: list[ProfileType] | None = None
    tags: list[str] | None = strawberry.field(
        default=None, description="Customers having all of these."
    )
    outstanding_min: Decimal | None = None
    outstanding_max: Decimal | None = None
    has_phone: bool | None = None
    has_email: bool | None = None
    is_vip: bool | None = None
    vip_mode: list[VipMode] | None = strawberry.field(
        default=None, description="The owner's VIP choice (isVip filters the effective flag)."
    )
    activity: CustomerActivity | None = strawberry.field(
        default=None, description="ACTIVE or LAPSED (the lapse rule)."
    )

    def to_domain(self, search: str | None, region: str) -> CustomerFilter:
        return CustomerFilter(
            search=(search or "").strip()[:100] or None,
            statuses=[_value(s) for s in self.status or []],
            profile_types=[_value(p) for p in self.profile_type or []],
            tags=[t.strip().lower() for t in self.tags or [] if t.strip()],
            outstanding_min=self.outstanding_min,
            outstanding_max=self.outstanding_max,
            has_phone=self.has_phone,
            has_email=self.has_email,
            vip=self.is_vip,
            vip_modes=[_value(m) for m in self.vip_mode or []],
            activity=_value(self.activity) if self.activity is not None else None,
            region=region,
        )


@strawberry.input
class CustomerSortInput:
    field: CustomerSortField = CustomerSortField.NAME  # type: ignore[assignment]
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class DeactivateCustomerInput:
    id: strawberry.ID
    reason: str | None = None


@strawberry.input
class ReactivateCustomerInput:
    id: strawberry.ID


@strawberry.input
class AddCustomerAddressInput:
    customer_id: strawberry.ID
    address: AddressInput


@strawberry.input
class UpdateCustomerAddressInput:
    id: strawberry.ID
    address: AddressInput


@strawberry.input
class RemoveCustomerAddressInput:
    id: strawberry.ID


@strawberry.input
class SetDefaultCustomerAddressInput:
    id: strawberry.ID
