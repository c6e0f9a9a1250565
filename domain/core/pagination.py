"""Keyset pagination: a cursor is the (sort value, id) of the last row seen, so a page
costs the same at row 100,000 as at row 1, and inserts don't shift pages."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

import orjson

from domain.core.codes import CoreCode
from domain.core.errors import ValidationFailed

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    first: int
    after: tuple[Any, int] | None = None


@dataclass
class Page(Generic[T]):
    items: Sequence[T]
    cursors: Sequence[str]
    has_next_page: bool
    has_previous_page: bool


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _unplain(value: Any) -> Any:
    """Cursors come back from clients: accept only the shapes we produce."""
    if isinstance(value, dict):
        if set(value) == {"d"} and isinstance(value["d"], str):
            parsed = Decimal(value["d"])
            if not parsed.is_finite():
                raise ValueError("non-finite")
            return parsed
        if set(value) == {"t"} and isinstance(value["t"], str):
            return datetime.fromisoformat(value["t"])
        raise ValueError("unknown cursor value")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("unknown cursor value")
    return value


def encode_cursor(sort_key: str, value: Any, row_id: int) -> str:
    raw = orjson.dumps([sort_key, _plain(value), row_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort_key: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key, value, row_id = orjson.loads(base64.urlsafe_b64decode(padded))
        if key != sort_key or not isinstance(row_id, int):
            raise ValueError
        return _unplain(value), row_id
    except (ValueError, TypeError, ArithmeticError, orjson.JSONDecodeError):
        raise ValidationFailed.one(
            "after", "cursor is malformed or belongs to another sort", CoreCode.BAD_CURSOR
        ) from None


def clamp_first(first: int | None, cap: int, default: int = 20) -> int:
    if first is None:
        return min(default, cap)
    if first < 0:
        raise ValidationFailed.one("first", "must not be negative")
    if first > cap:
        raise ValidationFailed.one("first", f"must be at most {cap}", CoreCode.TOO_LARGE)
    return first
