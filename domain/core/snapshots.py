"""Snapshots of rows for stream events (`outbox.emit(snapshot=...)`): the named columns as
JSON, and back as a detached instance of the model, so the very `from_row` a query uses
builds the subscriber's GraphQL object without loading the row again. Money and
quantities travel as text (exact), dates and times as ISO text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Date, Numeric

from domain.core.orm import Base, UTCDateTime

M = TypeVar("M", bound=Base)


def of(row: Base, columns: Sequence[str]) -> dict[str, Any]:
    """The columns of `row` as they are now, JSON-ready."""
    out: dict[str, Any] = {}
    for name in columns:
        value = getattr(row, name)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, date):  # datetimes too
            value = value.isoformat()
        out[name] = value
    return out


def restore(model: type[M], data: dict[str, Any]) -> M:
    """A transient (never added to a session) row of `model` holding the snapshot."""
    columns = model.__table__.columns
    values: dict[str, Any] = {}
    for name, value in data.items():
        kind = columns[name].type
        if value is not None:
            if isinstance(kind, UTCDateTime):
                value = datetime.fromisoformat(value)
            elif isinstance(kind, Date):
                value = date.fromisoformat(value)
            elif isinstance(kind, Numeric):
                value = Decimal(value)
        values[name] = value
    return model(**values)
