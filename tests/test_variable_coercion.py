"""Compiled variable coercion gives exactly what graphql-core's coerce_input_value gives,
for good and bad values, and keeps the depth guard where a type can nest without end."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    Undefined,
    graphql_sync,
)
from graphql.language.parser import MAX_NESTING_DEPTH

from schema import variable_coercion
from schema.build import build_schema

LINE = GraphQLInputObjectType(
    "Line",
    {
        "description": GraphQLInputField(GraphQLNonNull(GraphQLString)),
        "quantity": GraphQLInputField(GraphQLInt, default_value=1),
        "unit": GraphQLInputField(GraphQLString, out_name="unit_name"),
    },
)
INVOICE = GraphQLNonNull(
    GraphQLInputObjectType(
        "Invoice",
        {
            "customer": GraphQLInputField(GraphQLNonNull(GraphQLString)),
            "lines": GraphQLInputField(GraphQLNonNull(GraphQLList(GraphQLNonNull(LINE)))),
            "tags": GraphQLInputField(GraphQLList(GraphQLString)),
        },
    )
)
PICK = GraphQLInputObjectType(
    "Pick",
    {"id": GraphQLInputField(GraphQLString), "number": GraphQLInputField(GraphQLInt)},
    is_one_of=True,
)
NODE: GraphQLInputObjectType = GraphQLInputObjectType(
    "Node", lambda: {"value": GraphQLInputField(GraphQLInt), "next": GraphQLInputField(NODE)}
)

CASES: list[tuple[Any, Any]] = [
    (INVOICE, {"customer": "c1", "lines": [{"description": "Urea", "quantity": 2}]}),
    (INVOICE, {"customer": "c1", "lines": {"description": "one line, not a list"}}),
    (INVOICE, {"customer": "c1", "lines": [{"description": "x", "unit": "bag"}], "tags": "a"}),
    (INVOICE, {"customer": "c1", "lines": [{"description": "x"}], "tags": ["a", None]}),
    (INVOICE, {"customer": "c1", "lines": [{"description": "x"}, None]}),  # null item
    (INVOICE, {"customer": "c1", "lines": [{"description": "x", "quantity": "2"}]}),  # bad int
    (INVOICE, {"customer": "c1", "lines": [{"quantity": 2}]}),  # required field missing
    (INVOICE, {"customer": "c1", "lines": [], "extra": 1}),  # unknown field
    (INVOICE, {"customer": "c1", "lines": [], "tags": Undefined}),
    (INVOICE, {"customer": None, "lines": []}),
    (INVOICE, None),
    (INVOICE, "not an object"),
    (GraphQLList(GraphQLInt), 3),
    (GraphQLList(GraphQLInt), None),
    (GraphQLList(GraphQLInt), [1, "2"]),
    (GraphQLInt, 2**40),  # out of GraphQL Int's range
    (PICK, {"id": "a"}),
    (PICK, {"id": "a", "number": 1}),
    (PICK, {"id": None}),
    (PICK, {}),
    (NODE, {"value": 1, "next": {"value": 2, "next": None}}),
    (NODE, {"value": 1, "next": {"value": "x"}}),
]


@pytest.mark.parametrize(("type_", "value"), CASES)
def test_compiled_coercion_matches_graphql_core(type_: Any, value: Any) -> None:
    ours = variable_coercion.coerce_input_value(value, type_)
    theirs = variable_coercion._original_coerce(value, type_)
    assert ours == theirs or (ours is Undefined and theirs is Undefined)


def test_defaults_and_out_names_are_applied() -> None:
    value = {"customer": "c1", "lines": [{"description": "Urea", "unit": "bag"}]}
    coerced = variable_coercion.coerce_input_value(value, INVOICE)
    assert coerced == {
        "customer": "c1",
        "lines": [{"description": "Urea", "quantity": 1, "unit_name": "bag"}],
    }


def test_new_wrappers_of_a_type_reuse_its_compiled_coercer() -> None:
    """graphql-core wraps a variable's type anew for every request."""
    first = GraphQLNonNull(LINE)
    variable_coercion.coerce_input_value({"description": "x"}, first)
    compiled = variable_coercion._coercers[LINE]["!"]
    variable_coercion.coerce_input_value({"description": "y"}, GraphQLNonNull(LINE))
    assert variable_coercion._coercers[LINE]["!"] is compiled


def test_depth_guard_skipped_only_for_types_that_cannot_nest_deeply() -> None:
    assert variable_coercion.input_is_nested_too_deeply({"customer": "c"}, INVOICE) is False
    assert variable_coercion._bounded[INVOICE.of_type]["!"] is True
    deep: dict[str, Any] = {"value": 0}
    for _ in range(MAX_NESTING_DEPTH + 5):
        deep = {"value": 0, "next": deep}
    assert variable_coercion.input_is_nested_too_deeply(deep, NODE) is True
    assert variable_coercion._bounded[NODE][""] is False
    assert variable_coercion.input_is_nested_too_deeply({"value": 1}, NODE) is False


def test_requests_coerce_through_the_installed_coercer() -> None:
    build_schema()  # installs it
    query = GraphQLObjectType(
        "Query",
        {
            "count": GraphQLField(
                GraphQLInt,
                args={"invoice": GraphQLArgument(INVOICE)},
                resolve=lambda _, _info, invoice: len(invoice["lines"]),
            )
        },
    )
    schema = GraphQLSchema(query)
    doc = "query($i: Invoice!) { count(invoice: $i) }"
    ok = graphql_sync(
        schema, doc, variable_values={"i": {"customer": "c", "lines": [{"description": "a"}]}}
    )
    assert ok.errors is None and ok.data == {"count": 1}
    bad = graphql_sync(
        schema, doc, variable_values={"i": {"customer": "c", "lines": [{"quantity": 1}]}}
    )
    assert bad.errors and "description" in bad.errors[0].message
    from graphql.execution import values

    assert values.coerce_input_value is variable_coercion.coerce_input_value
    assert values.input_is_nested_too_deeply is variable_coercion.input_is_nested_too_deeply
