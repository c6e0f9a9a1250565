"""Compiled input conversion builds exactly what Strawberry's own convert_argument builds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

import pytest

from resolvers.customer_inputs import CreateCustomerInput
from resolvers.invoicing import CreateInvoiceInput
from schema import input_conversion
from schema.build import build_schema

RAW_INVOICE: dict[str, Any] = {
    "customerId": "Q3VzdG9tZXI6MQ==",
    "lines": [
        {
            "description": "Urea",
            "quantity": Decimal("2"),
            "unitPrice": Decimal("266"),
            "unit": "bag",
        },
        {
            "description": "DAP",
            "quantity": Decimal("1"),
            "unitPrice": Decimal("1350"),
            "taxRate": None,
        },
    ],
    "issueDate": date(2026, 11, 1),
    "notes": None,
}


@pytest.mark.parametrize(
    ("input_type", "raw"),
    [
        (CreateInvoiceInput, RAW_INVOICE),
        (CreateInvoiceInput, {"customerId": "x", "lines": []}),
    ],
)
def test_compiled_matches_strawberry(input_type: Any, raw: dict[str, Any]) -> None:
    schema = build_schema()
    registry = schema.schema_converter.scalar_registry
    config = schema.config
    ours = input_conversion.convert_argument(raw, input_type, registry, config)
    theirs = input_conversion._original(raw, input_type, registry, config)
    assert ours == theirs
    assert isinstance(ours, input_type)
    assert (input_type, id(registry), id(config)) in input_conversion._compiled
    # Fields the caller left out get Strawberry's defaults, not None.
    assert ours.prices_include_tax is False


def test_every_input_type_of_the_schema_converts_like_strawberry() -> None:
    """Each of the schema's input types, empty and null, through both paths (fields left
    out: defaults; required ones left out: None, as Strawberry does)."""
    schema = build_schema()
    registry = schema.schema_converter.scalar_registry
    config = schema.config
    inputs: list[Any] = [
        cast(Any, t.definition).origin
        for t in schema.schema_converter.type_map.values()
        if getattr(t.definition, "is_input", False)
    ]
    assert len(inputs) >= 20
    for input_type in inputs:
        ours = input_conversion.convert_argument({}, input_type, registry, config)
        assert ours == input_conversion._original({}, input_type, registry, config), input_type
        assert input_conversion.convert_argument(None, input_type, registry, config) is None
    raw = {"name": "Asha", "tags": ["vip", "retail"], "addresses": [{"line1": "MG Road"}]}
    customer: Any = input_conversion.convert_argument(raw, CreateCustomerInput, registry, config)
    assert customer == input_conversion._original(raw, CreateCustomerInput, registry, config)
    assert customer.tags == ["vip", "retail"] and customer.tags is not raw["tags"]
