"""Typed errors that mutations return as union members, each with a stable code."""

from __future__ import annotations

from typing import Annotated, Any, Union

import strawberry

from domain.core import errors as domain


@strawberry.interface(description="A problem the caller can act on. `code` is stable.")
class UserError:
    code: str
    message: str


@strawberry.type
class FieldProblem:
    field: str = strawberry.field(description="Path into the input, e.g. `addresses.0.latitude`.")
    message: str
    code: str


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
