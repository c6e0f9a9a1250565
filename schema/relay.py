"""Relay plumbing: opaque global ids, the Node interface, cursor connections."""

from __future__ import annotations

import base64
import binascii
from typing import Generic, TypeVar

import strawberry

from domain.core.codes import CoreCode
from domain.core.errors import NotFound, ValidationFailed

T = TypeVar("T")


def to_global_id(type_name: str, row_id: int) -> strawberry.ID:
    return strawberry.ID(
        base64.urlsafe_b64encode(f"{type_name}:{row_id}".encode()).decode().rstrip("=")
    )


def parse_global_id(value: str, field: str = "id") -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        type_name, _, row_id = raw.partition(":")
        if not type_name or not row_id.isascii() or not row_id.isdigit() or len(row_id) > 18:
            raise ValueError  # ids are BIGINT: more digits cannot exist
        return type_name, int(row_id)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationFailed.one(field, "is not a valid id", CoreCode.INVALID_ID) from None


def expect_id(value: str, type_name: str, field: str = "id") -> int:
    """A well-formed id of another type is simply not found, like a foreign one."""
    kind, row_id = parse_global_id(value, field)
    if kind != type_name:
        raise NotFound(type_name, value)
    return row_id


@strawberry.interface(description="An object with a globally unique, opaque id.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


def page_info(cursors: list[str], has_next: bool, has_previous: bool) -> PageInfo:
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
