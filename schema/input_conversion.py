"""Compiled conversion of GraphQL input values into Strawberry input objects.

Strawberry's `convert_argument` works out, on every call and for every field, the field's
type, its GraphQL name and whether it is a leaf: a createInvoice with five lines made ~80
calls and ~1,100 isinstance checks, a tenth of the request's CPU. Here each input type is
compiled once into a converter that only copies values and builds the dataclasses.

Compiled: optional and list wrappers, scalars, enums, and input objects without a
`from_input` hook. Everything else (Maybe, GlobalID, lazy types, `from_input` inputs) is
handed to Strawberry's own function, so the result is always what Strawberry would
build. `install()` puts the compiled version in `strawberry.types.arguments`, where
`convert_arguments` looks it up; tied to Strawberry's `convert_argument` contract, which
requirements.lock pins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

from strawberry.relay.types import GlobalID
from strawberry.types import arguments
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

Converter = Callable[[Any, Any, tuple[str | int, ...]], Any]  # (value, info, path)

_original = arguments.convert_argument
_compiled: dict[tuple[Any, int, int], Converter] = {}


def convert_argument(
    value: object,
    type_: Any,
    scalar_registry: Mapping[object, Any],
    config: Any,
    info: Any = None,
    *,
    path: tuple[str | int, ...] = (),
) -> object:
    key = (type_, id(scalar_registry), id(config))
    try:
        converter = _compiled[key]
    except KeyError:
        converter = _compile(type_, scalar_registry, config)
    except TypeError:  # an unhashable type: leave it to Strawberry
        return _original(value, type_, scalar_registry, config, info, path=path)
    return converter(value, info, path)


def _compile(type_: Any, registry: Mapping[object, Any], config: Any) -> Converter:
    key = (type_, id(registry), id(config))
    # A placeholder first, so a recursive input type compiles to a call of itself.
    cell: list[Converter] = []
    _compiled[key] = lambda value, info, path: cell[0](value, info, path)
    converter = _build(type_, registry, config)
    cell.append(converter)
    _compiled[key] = converter
    return converter


def _delegate(type_: Any, registry: Mapping[object, Any], config: Any) -> Converter:
    def convert(value: Any, info: Any, path: tuple[str | int, ...]) -> Any:
        return _original(value, type_, registry, config, info, path=path)

    return convert


def _identity(value: Any, info: Any, path: tuple[str | int, ...]) -> Any:
    return value


def _is_leaf(type_: Any, registry: Mapping[object, Any]) -> bool:
    if type_ is GlobalID or isinstance(type_, LazyType):
        return False
    return bool(arguments._is_leaf_type(type_, registry)) or has_enum_definition(type_)


def _build(type_: Any, registry: Mapping[object, Any], config: Any) -> Converter:
    if isinstance(type_, (StrawberryMaybe, LazyType)) or type_ is GlobalID:
        return _delegate(type_, registry, config)
    if isinstance(type_, StrawberryOptional):
        inner = _compile(type_.of_type, registry, config)
        return inner  # None and UNSET pass through every converter below unchanged
    if isinstance(type_, StrawberryList):
        of = type_.of_type
        if _is_leaf(of, registry) or (
            isinstance(of, StrawberryOptional) and _is_leaf(of.of_type, registry)
        ):

            def copy_list(value: Any, info: Any, path: tuple[str | int, ...]) -> Any:
                # a copy: graphql-core shares defaults between requests
                return value if value is None or value is UNSET else list(value)

            return copy_list
        item = _compile(of, registry, config)

        def convert_list(value: Any, info: Any, path: tuple[str | int, ...]) -> Any:
            if value is None or value is UNSET:
                return value
            return [item(x, info, (*path, i)) for i, x in enumerate(value)]

        return convert_list
    if _is_leaf(type_, registry):
        return _identity
    if has_object_definition(type_) and type_.__strawberry_definition__.from_input is None:
        return _input_object(type_, registry, config)
    return _delegate(type_, registry, config)


def _input_object(type_: Any, registry: Mapping[object, Any], config: Any) -> Converter:
    definition = type_.__strawberry_definition__
    defaults: dict[str, Any] = {}
    if definition.is_input:
        defaults = {
            f.python_name: None
            for f in definition.fields
            if f.default_value is MISSING and f.default_factory is MISSING
        }
    fields = [
        (
            config.name_converter.from_field(f),
            f.python_name,
            _compile(f.resolve_type(type_definition=definition), registry, config),
        )
        for f in definition.fields
    ]

    def convert(value: Any, info: Any, path: tuple[str | int, ...]) -> Any:
        if value is None or value is UNSET:
            return value
        kwargs = dict(defaults)
        for graphql_name, python_name, field_converter in fields:
            if graphql_name in value:
                kwargs[python_name] = field_converter(
                    value[graphql_name], info, (*path, graphql_name)
                )
        return type_(**kwargs)

    return convert


def install() -> None:
    arguments.convert_argument = convert_argument  # type: ignore[assignment]
