"""One guard over every argument of every root field, run before its resolver.

Whatever a field takes, its coerced arguments (input objects, lists, scalars, JSON) are
walked once and checked against the rules below, so a new input cannot bring back a
crash these rules prevent. A problem is reported with its path into the input
(`lines.0.description`, or `filter.totalMin` for a query argument): a mutation answers its
union's `ValidationError`, a query a GraphQL error with `extensions.code`
`VALIDATION_FAILED` and `extensions.fields`.

Rules (the README's *Input rules*):
- text: no C0 control characters (U+0000..U+001F) or DEL, except tab, newline and
  carriage return: anywhere in multi-line fields (notes, descriptions, prompts,
  messages, reasons, terms, CSV), elsewhere only around the text (trimmed as spaces);
  no bidi embedding/override/isolate controls (U+202A..U+202E, U+2066..U+2069), which
  could reorder what a PDF or SMS shows; no lone surrogates.
- decimals: finite (no NaN, sNaN, Infinity), at most 12 digits before the point and 4
  after (Arabic-Indic and other Unicode digits are read as the same digits).
- date-times carry a time zone; dates and date-times fall in 2000-01-01 .. today + 10
  years.
- JSON: an object, at most 5 levels deep and 8 KB as JSON, its keys and strings
  following the text rules.
- lists: at most 1,000 items.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson
import strawberry
from strawberry.extensions import FieldExtension
from strawberry.scalars import JSON
from strawberry.types.base import (
    StrawberryList,
    StrawberryOptional,
    get_object_definition,
    has_object_definition,
)
from strawberry.types.field import StrawberryField
from strawberry.types.union import StrawberryUnion

from domain.core.clock import SystemClock
from domain.core.codes import CoreCode
from domain.core.errors import FieldError, ValidationFailed
from schema.errors import ValidationError, to_user_error

MULTILINE_FIELDS = frozenset(
    {
        "notes",
        "deliveryNotes",
        "description",
        "prompt",
        "message",
        "reason",
        "terms",
        "footerTerms",
        "csv",
        "body",
        "registeredText",
    }
)
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
# C0 controls but tab, newline and carriage return; DEL; bidi controls; lone surrogates
FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
LINE_BREAK = re.compile(r"[\t\n\r]")
MAX_INTEGER_DIGITS = 12
MAX_FRACTION_DIGITS = 4
EARLIEST = date(2000, 1, 1)
YEARS_AHEAD = 10
MAX_JSON_DEPTH = 5
MAX_JSON_BYTES = 8 * 1024
MAX_LIST_ITEMS = 1000


def text_problem(value: str, *, multiline: bool) -> tuple[CoreCode, str] | None:
    """(code, message) when the text breaks a rule, else None."""
    found = FORBIDDEN.search(value)
    if found:
        ch = found.group()
        point = ord(ch)
        if ch in BIDI_CONTROLS:
            return (
                CoreCode.BIDI_CONTROL,
                f"must not contain bidi control characters (U+{point:04X})",
            )
        if 0xD800 <= point <= 0xDFFF:
            return CoreCode.INVALID_CHARACTER, "must be valid Unicode (a lone surrogate)"
        return CoreCode.CONTROL_CHARACTER, f"must not contain control characters (U+{point:04X})"
    if not multiline and LINE_BREAK.search(value.strip()):
        return CoreCode.LINE_BREAK, "must be one line (no tab, newline or carriage return inside)"
    return None


def decimal_problem(value: Decimal) -> tuple[CoreCode, str] | None:
    if not value.is_finite():
        return CoreCode.NOT_A_NUMBER, "must be a finite number"
    if value.is_zero():
        return None
    if value.adjusted() >= MAX_INTEGER_DIGITS:
        return (
            CoreCode.OUT_OF_RANGE,
            f"must have at most {MAX_INTEGER_DIGITS} digits before the point",
        )
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_FRACTION_DIGITS:
        return (
            CoreCode.TOO_PRECISE,
            f"must have at most {MAX_FRACTION_DIGITS} digits after the point",
        )
    return None


def date_problem(value: date, today: date) -> tuple[CoreCode, str] | None:
    day = value.date() if isinstance(value, datetime) else value
    latest = today.replace(year=today.year + YEARS_AHEAD, day=min(today.day, 28))
    if not EARLIEST <= day <= latest:
        return CoreCode.OUT_OF_RANGE, f"must be between {EARLIEST} and {latest}"
    return None


def json_problems(value: Any, path: str) -> Iterator[FieldError]:
    if not isinstance(value, dict):
        yield FieldError(path, "must be a JSON object", CoreCode.OBJECT_EXPECTED)
        return
    problems = list(_json_walk(value, path, 1))
    if problems:
        yield from problems
        return
    if len(orjson.dumps(value)) > MAX_JSON_BYTES:
        yield FieldError(
            path, f"must be at most {MAX_JSON_BYTES} bytes as JSON", CoreCode.TOO_LARGE
        )


def _json_walk(value: Any, path: str, depth: int) -> Iterator[FieldError]:
    if isinstance(value, dict | list) and depth > MAX_JSON_DEPTH:
        yield FieldError(path, f"must be at most {MAX_JSON_DEPTH} levels deep", CoreCode.TOO_DEEP)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(str(key), multiline=False)
            if problem:
                yield FieldError(f"{path}.{key!r}", problem[1], problem[0])
                continue
            yield from _json_walk(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _json_walk(item, f"{path}.{i}", depth + 1)
    elif isinstance(value, str):
        if len(value) > MAX_JSON_BYTES:
            yield FieldError(path, f"must be at most {MAX_JSON_BYTES} bytes", CoreCode.TOO_LARGE)
            return
        problem = text_problem(value, multiline=True)
        if problem:
            yield FieldError(path, problem[1], problem[0])


def _unwrap(type_: Any) -> Any:
    while isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    return type_


class Walker:
    def __init__(self, info: strawberry.Info) -> None:
        self.names = info.schema.config.name_converter
        clock = getattr(getattr(info.context, "rt", None), "clock", None) or SystemClock()
        self.today = clock.now().astimezone(UTC).date()

    def walk(self, value: Any, type_: Any, path: str, name: str) -> Iterator[FieldError]:
        if value is None or value is strawberry.UNSET:
            return
        type_ = _unwrap(type_)
        if type_ is JSON:
            yield from json_problems(value, path)
            return
        problem: tuple[CoreCode, str] | None = None
        if isinstance(value, str):
            problem = text_problem(value, multiline=name in MULTILINE_FIELDS)
        elif isinstance(value, Decimal):
            problem = decimal_problem(value)
        elif isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                problem = (
                    CoreCode.TIMEZONE_REQUIRED,
                    "must carry a time zone (e.g. 2026-12-01T10:00:00+05:30 or ...Z)",
                )
            else:
                try:
                    problem = date_problem(value.astimezone(UTC), self.today)
                except OverflowError:  # 9999-12-31T23:59:59-14:00 is past year 9999 in UTC
                    problem = (CoreCode.OUT_OF_RANGE, "is outside the supported dates")
        elif isinstance(value, date):
            problem = date_problem(value, self.today)
        elif isinstance(value, list | tuple):
            if len(value) > MAX_LIST_ITEMS:
                problem = (CoreCode.TOO_MANY, f"must have at most {MAX_LIST_ITEMS} items")
            else:
                item_type = type_.of_type if isinstance(type_, StrawberryList) else None
                for i, item in enumerate(value):
                    yield from self.walk(item, item_type, f"{path}.{i}" if path else str(i), name)
                return
        elif isinstance(value, Enum | bool | int | float):
            return
        elif has_object_definition(value):
            definition = get_object_definition(value, strict=True)
            for field in definition.fields:
                field_name = self.names.get_graphql_name(field)
                yield from self.walk(
                    getattr(value, field.python_name, None),
                    field.type,
                    f"{path}.{field_name}" if path else field_name,
                    field_name,
                )
            return
        if problem:
            yield FieldError(path, problem[1], problem[0])

    def arguments(self, field: StrawberryField, kwargs: dict[str, Any]) -> list[FieldError]:
        errors: list[FieldError] = []
        single_input = [a.python_name for a in field.arguments] == ["input"]
        for argument in field.arguments:
            name = self.names.from_argument(argument)
            # a mutation's one `input` is the root of its field paths, as in domain errors
            path = "" if single_input else name
            errors.extend(self.walk(kwargs.get(argument.python_name), argument.type, path, name))
        return errors


class InputGuard(FieldExtension):
    """Checks a root field's arguments before its resolver runs (see the module doc)."""

    def apply(self, field: StrawberryField) -> None:
        self.field = field

    def _refusal(self, info: strawberry.Info, kwargs: dict[str, Any]) -> Any:
        errors = Walker(info).arguments(self.field, kwargs)
        if not errors:
            return None
        failure = ValidationFailed(errors)
        if self._answers_in_union():
            return to_user_error(failure)
        raise failure

    def _answers_in_union(self) -> bool:
        type_ = _unwrap(self.field.type)
        return isinstance(type_, StrawberryUnion) and ValidationError in type_.types

    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        refusal = self._refusal(info, kwargs)
        return refusal if refusal is not None else next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        refusal = self._refusal(info, kwargs)
        if refusal is not None:
            return refusal
        return await next_(source, info, **kwargs)


def guard_root_fields(*roots: type) -> None:
    """Adds the InputGuard to every field (with arguments) of the given root types;
    called once, where the root types are made."""
    for root in roots:
        for field in get_object_definition(root, strict=True).fields:
            if field.arguments and not any(isinstance(e, InputGuard) for e in field.extensions):
                field.extensions.append(InputGuard())
