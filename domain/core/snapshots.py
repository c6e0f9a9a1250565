"""Snapshots of rows for stream events (`outbox.emit(snapshot=...)`): the named columns as
JSON, and back as a detached instance of the model, so the very `from_row` a query uses
builds the subscriber's GraphQL object without loading the row again. Money and
quantities travel as text (exact), dates and times as ISO text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Date, Numeric
from sqlalchemy.orm.attributes import set_committed_value

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
    """A transient (never added to a session) row of `model` holding the snapshot, its
    values set as committed state (`set_committed_value`, as a loaded row has them): the
    constructor's per-attribute change tracking is work no reader of a snapshot needs,
    and it was most of the cost of building each subscriber group's object per event."""
    parse = _parsers(model)
    row = model()
    for name, value in data.items():
        convert = parse[name]  # a KeyError names a column the model does not have
        set_committed_value(
            row, name, value if convert is None or value is None else convert(value)
        )
    return row


@cache
def _parsers(model: type[Base]) -> dict[str, Callable[[Any], Any] | None]:
    """Per column of the model, how its snapshot text becomes a value (None: as is). From
    the table's column types, which never change while the process runs."""
    out: dict[str, Callable[[Any], Any] | None] = {}
    for column in model.__table__.columns:
        kind = column.type
        if isinstance(kind, UTCDateTime):
            out[column.key] = datetime.fromisoformat
        elif isinstance(kind, Date):
            out[column.key] = date.fromisoformat
        elif isinstance(kind, Numeric):
            out[column.key] = Decimal
        else:
            out[column.key] = None
    return out
