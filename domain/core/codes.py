"""Error codes. Every code a domain error carries is a member of one context's enum, so a
client can handle them exhaustively (the GraphQL schema merges them into `ErrorCode`).

Rules: a code used by more than one context (or by core itself) lives in `CoreCode`; a
code used by one context lives in that context's `codes.py`. A member's name equals its
value, and no name appears in two enums, so the merged GraphQL enum is unambiguous and
responses carry the same strings as the values."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Base of every context's code enum (has no members itself)."""


class CoreCode(ErrorCode):
    # one per error class (the default `code` of each DomainError subclass)
    DOMAIN_ERROR = "DOMAIN_ERROR"
    VALIDATION_FAILED = "VALIDATION_FAILED"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    RATE_LIMITED = "RATE_LIMITED"
    # field problems shared by several contexts
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_LENGTH = "INVALID_LENGTH"
    TOO_MANY = "TOO_MANY"
    TOO_LARGE = "TOO_LARGE"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    NEGATIVE = "NEGATIVE"
    INVALID_CHOICE = "INVALID_CHOICE"
    INVALID_ID = "INVALID_ID"
    BAD_CURSOR = "BAD_CURSOR"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_COUNTRY = "INVALID_COUNTRY"
    INVALID_CURRENCY = "INVALID_CURRENCY"
    INVALID_STATE = "INVALID_STATE"
    INVALID_TIMEZONE = "INVALID_TIMEZONE"  # businesses and customers have one
    # input rules applied to every argument (schema/guard.py)
    BIDI_CONTROL = "BIDI_CONTROL"
    INVALID_CHARACTER = "INVALID_CHARACTER"
    CONTROL_CHARACTER = "CONTROL_CHARACTER"
    LINE_BREAK = "LINE_BREAK"
    NOT_A_NUMBER = "NOT_A_NUMBER"
    TOO_PRECISE = "TOO_PRECISE"
    OBJECT_EXPECTED = "OBJECT_EXPECTED"
    TOO_DEEP = "TOO_DEEP"
    TIMEZONE_REQUIRED = "TIMEZONE_REQUIRED"
    # signed download links (domain.core.signing)
    LINK_UNSIGNED = "LINK_UNSIGNED"
    LINK_MALFORMED = "LINK_MALFORMED"
    LINK_SIGNATURE_INVALID = "LINK_SIGNATURE_INVALID"
    LINK_EXPIRED = "LINK_EXPIRED"
    # the database connection was lost mid-request: the outcome is unknown, retry (with
    # the same idempotency key for creates)
    RETRY = "RETRY"
    # every database connection of the process stayed busy for the pool's timeout: nothing
    # was done, retry after `retryAfterSeconds`
    SERVICE_BUSY = "SERVICE_BUSY"
    # realtime (domain.core.events): the event stream was cut, subscribe again
    RESUBSCRIBE = "RESUBSCRIBE"
    # the event stream (domain.core.stream): the cursor is older than the retention window
    # (refetch, then subscribe without `after`), the client fell too far behind the live
    # events (resubscribe with its last cursor), or it opened too many subscriptions
    CURSOR_EXPIRED = "CURSOR_EXPIRED"
    FELL_BEHIND = "FELL_BEHIND"
    SUBSCRIPTION_LIMIT = "SUBSCRIPTION_LIMIT"
