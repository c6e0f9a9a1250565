"""Shared GraphQL types: Money and the enums exposed from the domain."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry

from domain.core.money import quantize
from domain.core.viewer import Role
from domain.core.viewer import Scope as ApiScope
from domain.customers.models import (
    AddressKind,
    CustomerStatus,
    PaymentMethod,
    PaymentStatus,
    PaymentTerms,
    ProfileType,
)
from domain.customers.repository import CustomerSort as CustomerSortField

# strawberry.enum registers the domain enums in place, so annotations stay real classes.
strawberry.enum(
    ProfileType,
    name="ProfileType",
    description="guest: walk-in, nothing needed; stub: name + phone; "
    "full: phone + email (+ verified phone, preferences).",
)
strawberry.enum(CustomerStatus, name="CustomerStatus")
strawberry.enum(PaymentTerms, name="PaymentTerms")
strawberry.enum(PaymentMethod, name="PaymentMethod")
strawberry.enum(PaymentStatus, name="PaymentStatus")
strawberry.enum(AddressKind, name="AddressKind")
strawberry.enum(Role, name="Role")
strawberry.enum(ApiScope, name="ApiScope")
strawberry.enum(CustomerSortField, name="CustomerSortField")

__all__ = [
    "AddressKind",
    "ApiScope",
    "CustomerSortField",
    "CustomerStatus",
    "Money",
    "PaymentMethod",
    "PaymentStatus",
    "PaymentTerms",
    "ProfileType",
    "Role",
    "SortDirection",
]


def idempotency_field(again: str = "creating again") -> Any:
    """The optional `idempotencyKey` of an input that creates something, described the
    same way on every such input (`again`: what a retry does not do twice)."""
    return strawberry.field(
        default=None,
        description="Optional (1-120 characters): a retry with the same key returns the first "
        f"result (replayed: true) instead of {again}; the same key with a different input is "
        "a ConflictError. Scoped to the business and the caller, kept 24 hours.",
    )


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
