"""Typed errors that mutations return as union members, each with a stable code."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Union

import strawberry

from domain.accounts.codes import AccountsCode
from domain.campaigns.codes import CampaignsCode
from domain.core import errors as domain
from domain.core.codes import CoreCode, ErrorCode
from domain.customers.codes import CustomersCode
from domain.invoicing.codes import InvoicingCode
from domain.notifications.template_codes import TemplatesCode
from domain.orders.codes import OrdersCode
from domain.purchases.codes import PurchasesCode

# Every context's code enum; the GraphQL `ErrorCode` enum is their union. A new context
# enum is added here (a test fails when a domain code enum is missing).
CODE_ENUMS: tuple[type[ErrorCode], ...] = (
    CoreCode,
    AccountsCode,
    CustomersCode,
    InvoicingCode,
    OrdersCode,
    PurchasesCode,
    TemplatesCode,
    CampaignsCode,
)


def merged_codes(enums: tuple[type[ErrorCode], ...]) -> dict[str, str]:
    """Member name -> value over all enums; a name in two enums is refused, so one
    GraphQL value always means one thing."""
    merged: dict[str, str] = {}
    for enum in enums:
        for member in enum:
            if member.name in merged:
                raise ValueError(f"error code {member.name} is defined twice ({enum.__name__})")
            merged[member.name] = member.value
    return merged


# built from the enums at import time (mypy cannot see members of a computed Enum)
ALL_CODES: type[StrEnum] = StrEnum("ErrorCode", merged_codes(CODE_ENUMS))  # type: ignore[misc]

GraphQLErrorCode = strawberry.enum(
    ALL_CODES,
    name="ErrorCode",
    description="Every stable error code, from the code enums of all contexts (core, "
    "accounts, customers, invoicing, orders, purchases, notifications, campaigns). New codes "
    "may be added in a minor release: keep a default branch when handling them.",
)


@strawberry.interface(description="A problem the caller can act on. `code` is stable.")
class UserError:
    code: ErrorCode = strawberry.field(graphql_type=GraphQLErrorCode)
    message: str


@strawberry.type
class FieldProblem:
    field: str = strawberry.field(description="Path into the input, e.g. `addresses.0.latitude`.")
    message: str
    code: ErrorCode = strawberry.field(graphql_type=GraphQLErrorCode)


@strawberry.type
class ValidationError(UserError):
    fields: list[FieldProblem]


@strawberry.type
class NotFoundError(UserError):
    pass


@strawberry.type(name="PermissionError")
class PermissionDeniedError(UserError):
    pass


@strawberry.type
class AuthenticationError(UserError):
    pass


@strawberry.type
class ConflictError(UserError):
    pass


@strawberry.type
class RateLimitedError(UserError):
    retry_after_seconds: int


ERROR_TYPES = (
    ValidationError,
    NotFoundError,
    PermissionDeniedError,
    AuthenticationError,
    ConflictError,
    RateLimitedError,
)


def to_user_error(exc: domain.DomainError) -> UserError:
    if isinstance(exc, domain.ValidationFailed):
        return ValidationError(
            code=exc.code,
            message=exc.message,
            fields=[
                FieldProblem(field=e.field, message=e.message, code=e.code) for e in exc.errors
            ],
        )
    if isinstance(exc, domain.NotFound):
        return NotFoundError(code=exc.code, message=exc.message)
    if isinstance(exc, domain.PermissionDenied):
        return PermissionDeniedError(code=exc.code, message=exc.message)
    if isinstance(exc, domain.Unauthenticated):
        return AuthenticationError(code=exc.code, message=exc.message)
    if isinstance(exc, domain.RateLimited):
        return RateLimitedError(
            code=exc.code, message=exc.message, retry_after_seconds=exc.retry_after_seconds
        )
    return ConflictError(code=exc.code, message=exc.message)


def result(name: str, payload: type, *extra: type) -> Any:
    """`Payload | ValidationError | NotFoundError | ...` as a named union; `extra` adds
    errors of one mutation (e.g. createCustomer's DuplicateCustomerError)."""
    members = (payload, *ERROR_TYPES, *extra)
    return Annotated[Union[members], strawberry.union(name)]  # noqa: UP007
