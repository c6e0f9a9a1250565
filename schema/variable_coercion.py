"""Compiled coercion of GraphQL variable values (the JSON `variables` of a request).

graphql-core coerces every variable with `coerce_input_value`, which works out on every
call and for every value whether its type is non-null, a list, an input object or a leaf,
and first walks the whole value once more to check that it is not nested too deeply: a
createInvoice with five lines made ~57 recursive calls and ~1,000 type checks, about a
tenth of the GraphQL part of the request. Here each input type is compiled once into a
closure that does only the work the type calls for, with graphql-core's exact rules:
null for a nullable type, a lone value accepted as a list of one, unknown or missing
required fields and failing scalars giving `Undefined` (graphql-core then runs its own
validation to report why), defaults through graphql-core's `coerce_default_value`,
`out_name`, `out_type` and @oneOf. The depth walk is skipped for input types that
cannot nest beyond graphql-core's limit (no cycles, bounded depth) and kept otherwise.

`install()` puts both in `graphql.execution.values`, where `coerce_variable_values`
looks them up; tied to graphql-core 3.3's contract, which requirements.lock pins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from graphql import GraphQLInputType, Undefined
from graphql.execution import values as graphql_values
from graphql.language.parser import MAX_NESTING_DEPTH
from graphql.pyutils import is_iterable
from graphql.type import (
    is_input_object_type,
    is_list_type,
    is_non_null_type,
    is_required_input_field,
)
from graphql.utilities.coerce_input_value import coerce_default_value

Coercer = Callable[[Any], Any]

_original_coerce = graphql_values.coerce_input_value  # graphql-core's, the tests' reference
_original_too_deep = graphql_values.input_is_nested_too_deeply
# Per named type (a schema's own object), then per wrapping ("!", "[", ...): graphql-core
# builds new NonNull/List wrappers for a variable's type on every request.
_coercers: WeakKeyDictionary[Any, dict[str, Coercer]] = WeakKeyDictionary()
_bounded: WeakKeyDictionary[Any, dict[str, bool]] = WeakKeyDictionary()


def _named(type_: Any) -> tuple[Any, str]:
    wrapping = ""
    while True:
        if is_non_null_type(type_):
            wrapping += "!"
        elif is_list_type(type_):
            wrapping += "["
        else:
            return type_, wrapping
        type_ = type_.of_type


def coerce_input_value(input_value: Any, type_: GraphQLInputType) -> Any:
    named, wrapping = _named(type_)
    try:
        coercer = _coercers[named][wrapping]
    except KeyError:
        coercer = _coercers.setdefault(named, {})[wrapping] = _compile(type_, {})
    return coercer(input_value)


def input_is_nested_too_deeply(value: Any, type_: GraphQLInputType) -> bool:
    named, wrapping = _named(type_)
    try:
        bounded = _bounded[named][wrapping]
    except KeyError:
        bounded = _depth(type_, ()) <= MAX_NESTING_DEPTH
        _bounded.setdefault(named, {})[wrapping] = bounded
    return False if bounded else _original_too_deep(value, type_)


def _depth(type_: Any, seen: tuple[Any, ...]) -> float:
    """How deep `input_is_nested_too_deeply` could ever go for this type (inf: a cycle)."""
    if is_non_null_type(type_):
        type_ = type_.of_type
    if is_list_type(type_):
        return 1 + _depth(type_.of_type, seen)
    if is_input_object_type(type_):
        if type_ in seen:
            return float("inf")
        inner = [_depth(f.type, (*seen, type_)) for f in type_.fields.values()]
        return 1 + max(inner, default=0)
    return 0


def _compile(type_: Any, building: dict[Any, Coercer]) -> Coercer:
    """`building` holds the input objects being compiled, so a recursive input type refers
    to its own coercer instead of compiling forever."""
    if type_ in building:
        return _late(building, type_)
    if is_non_null_type(type_):
        inner = _compile(type_.of_type, building)

        def non_null(value: Any) -> Any:
            if value is None or value is Undefined:
                return Undefined
            return inner(value)

        return non_null
    if is_list_type(type_):
        return _list(_compile(type_.of_type, building))
    if is_input_object_type(type_):
        return _input_object(type_, building)
    return _leaf(type_)


def _late(building: dict[Any, Coercer], type_: Any) -> Coercer:
    def late(value: Any) -> Any:
        return building[type_](value)

    return late


def _list(item: Coercer) -> Coercer:
    def coerce_list(value: Any) -> Any:
        if value is None or value is Undefined:
            return None
        if not is_iterable(value):
            one = item(value)
            return Undefined if one is Undefined else [one]
        out: list[Any] = []
        append = out.append
        for element in value:
            coerced = item(element)
            if coerced is Undefined:
                return Undefined
            append(coerced)
        return out

    return coerce_list


def _leaf(type_: Any) -> Coercer:
    parse = type_.coerce_input_value

    def coerce_leaf(value: Any) -> Any:
        if value is None or value is Undefined:
            return None
        try:
            return parse(value)
        except Exception:  # graphql-core's rule: invalid here, validation reports why
            return Undefined

    return coerce_leaf


def _input_object(type_: Any, building: dict[Any, Coercer]) -> Coercer:
    building[type_] = _late(building, type_)  # placeholder while the fields compile
    fields = type_.fields
    plan = [
        (
            name,
            field.out_name or name,
            _compile(field.type, building),
            is_required_input_field(field),
            field,
        )
        for name, field in fields.items()
    ]
    out_type = type_.out_type
    one_of = type_.is_one_of

    def coerce_object(value: Any) -> Any:
        if value is None or value is Undefined:
            return None
        if not isinstance(value, dict):
            return Undefined
        defined = 0
        for name, field_value in value.items():
            if field_value is Undefined:
                continue
            defined += 1
            if name not in fields:
                return Undefined
        out: dict[str, Any] = {}
        for name, out_name, coerce, required, field in plan:
            field_value = value.get(name, Undefined)
            if field_value is Undefined:
                if required:
                    return Undefined
                default = coerce_default_value(field)
                if default is not Undefined:
                    out[out_name] = default
                continue
            coerced = coerce(field_value)
            if coerced is Undefined:
                return Undefined
            out[out_name] = coerced
        if one_of:
            keys = list(out)
            if defined != 1 or len(keys) != 1 or out[keys[0]] is None:
                return Undefined
        return out_type(out)

    building[type_] = coerce_object
    return coerce_object


def install() -> None:
    graphql_values.coerce_input_value = coerce_input_value  # type: ignore[assignment]
    graphql_values.input_is_nested_too_deeply = input_is_nested_too_deeply  # type: ignore[assignment]
