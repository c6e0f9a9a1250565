"""Typed domain errors. The GraphQL edge maps each to a union member with a stable code."""

from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    code = "DOMAIN_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldError:
    field: str  # dotted path into the mutation input, e.g. "addresses.0.latitude"
    message: str
    code: str = "INVALID"


class ValidationFailed(DomainError):
    code = "VALIDATION_FAILED"

    def __init__(self, errors: list[FieldError] | FieldError, message: str | None = None) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__(message or "; ".join(f"{e.field}: {e.message}" for e in self.errors))

    @classmethod
    def one(cls, field: str, message: str, code: str = "INVALID") -> ValidationFailed:
        return cls(FieldError(field, message, code))


class NotFound(DomainError):
    code = "NOT_FOUND"

    def __init__(self, kind: str, ref: object | None = None) -> None:
        super().__init__(f"{kind} not found")
        self.kind = kind
        self.ref = ref


class PermissionDenied(DomainError):
    code = "PERMISSION_DENIED"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Conflict(DomainError):
    code = "CONFLICT"


class RateLimited(DomainError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


@dataclass
class ErrorCollector:
    """Gathers field errors so a caller hears about every bad field at once."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, message: str, code: str = "INVALID") -> None:
        self.errors.append(FieldError(field_name, message, code))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
