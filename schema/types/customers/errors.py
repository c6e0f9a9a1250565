"""Typed errors of the customers context's mutations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from schema.errors import UserError
from schema.types.customers.objects import Customer

if TYPE_CHECKING:
    pass


@strawberry.type(
    description="createCustomer: other customers of the business have this phone (as "
    "primary or secondary). Nothing was created; send `allowDuplicatePhone: true` to "
    "create the customer anyway, or use one of these."
)
class DuplicateCustomerError(UserError):
    field: str
    duplicates: list[Customer]
