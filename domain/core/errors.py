"""Typed domain errors. The GraphQL edge maps each to a union member with a stable code."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.core.codes import CoreCode, ErrorCode


class DomainError(Exception):
    """`code` is the class default; a raise site may name a more precise one."""

    code: ErrorCode = CoreCode.DOMAIN_ERROR

    def __init__(self, message: str, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


@dataclass(frozen=True)
class FieldError:
    field: str  # dotted path into the mutation input, e.g. "addresses.0.latitude"
    message: str
    code: ErrorCode = CoreCode.INVALID


class ValidationFailed(DomainError):
    code: ErrorCode = CoreCode.VALIDATION_FAILED

    def __init__(
        self,
        errors: list[FieldError] | FieldError,
        message: str | None = None,
        code: ErrorCode | None = None,
    ) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__(message or "; ".join(f"{e.field}: {e.message}" for e in self.errors), code)

    @classmethod
    def one(cls, field: str, message: str, code: ErrorCode = CoreCode.INVALID) -> ValidationFailed:
        return cls(FieldError(field, message, code))


class NotFound(DomainError):
    code: ErrorCode = CoreCode.NOT_FOUND

    def __init__(self, kind: str, ref: object | None = None, code: ErrorCode | None = None) -> None:
        super().__init__(f"{kind} not found", code)
        self.kind = kind
        self.ref = ref


class PermissionDenied(DomainError):
    code: ErrorCode = CoreCode.PERMISSION_DENIED


class Unauthenticated(DomainError):
    code: ErrorCode = CoreCode.UNAUTHENTICATED


class Conflict(DomainError):
    code: ErrorCode = CoreCode.CONFLICT


class RateLimited(DomainError):
    code: ErrorCode = CoreCode.RATE_LIMITED

    def __init__(
        self, message: str, retry_after_seconds: int, code: ErrorCode | None = None
    ) -> None:
        super().__init__(message, code)
        self.retry_after_seconds = retry_after_seconds


@dataclass
class ErrorCollector:
    """Gathers field errors so a caller hears about every bad field at once."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, message: str, code: ErrorCode = CoreCode.INVALID) -> None:
        self.errors.append(FieldError(field_name, message, code))

    def merge(self, refused: ValidationFailed) -> None:
        """Adds a refusal's errors of fields not reported yet (the tax engine's, after
        the caller's own checks): every bad field once."""
        seen = {e.field for e in self.errors}
        self.errors.extend(e for e in refused.errors if e.field not in seen)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
