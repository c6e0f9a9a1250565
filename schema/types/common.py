"""Shared GraphQL types: Money and the enums exposed from the domain."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry

from domain.core.money import quantize
from domain.core.viewer import Role as DomainRole
from domain.core.viewer import Scope as DomainScope
from domain.customers.models import AddressKind as DomainAddressKind
from domain.customers.models import CustomerStatus as DomainCustomerStatus
from domain.customers.models import PaymentMethod as DomainPaymentMethod
from domain.customers.models import PaymentStatus as DomainPaymentStatus
from domain.customers.models import PaymentTerms as DomainPaymentTerms
from domain.customers.models import ProfileType as DomainProfileType
from domain.customers.repository import CustomerSort as DomainCustomerSort

ProfileType = strawberry.enum(DomainProfileType, name="ProfileType",
                              description="guest: walk-in, nothing needed; stub: name + phone; "
                                          "full: phone + email (+ verified phone, preferences).")
CustomerStatus = strawberry.enum(DomainCustomerStatus, name="CustomerStatus")
PaymentTerms = strawberry.enum(DomainPaymentTerms, name="PaymentTerms")
PaymentMethod = strawberry.enum(DomainPaymentMethod, name="PaymentMethod")
PaymentStatus = strawberry.enum(DomainPaymentStatus, name="PaymentStatus")
AddressKind = strawberry.enum(DomainAddressKind, name="AddressKind")
Role = strawberry.enum(DomainRole, name="Role")
ApiScope = strawberry.enum(DomainScope, name="ApiScope")
CustomerSortField = strawberry.enum(DomainCustomerSort, name="CustomerSortField")


@strawberry.enum
class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.type(description="An exact amount: a decimal string in the currency's minor units.")
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: Decimal | None, currency: str) -> Money:
        return cls(amount=quantize(amount or Decimal(0), currency), currency=currency)
