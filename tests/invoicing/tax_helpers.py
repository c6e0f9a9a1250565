"""Helpers shared by the tests split out of test_invoicing_tax.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from domain.core.errors import ValidationFailed
from domain.invoicing.tax import (
    InvoiceTotals,
    LineInput,
)

D = Decimal


def line(qty: str, price: str, rate: str | None = None, **kw: Any) -> LineInput:
    return LineInput(
        description=kw.pop("description", "item"),
        quantity=D(qty),
        unit_price=D(price),
        tax_rate=None if rate is None else D(rate),
        **kw,
    )


def comps(totals: InvoiceTotals) -> list[tuple[str, str, str, str]]:
    return [(c.name, str(c.rate), str(c.taxable), str(c.amount)) for c in totals.components]


def summary(t: InvoiceTotals) -> tuple[str, str, str, str, str]:
    return (
        str(t.subtotal),
        str(t.discount_total),
        str(t.taxable_total),
        str(t.tax_total),
        str(t.total),
    )


def field_errors(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.code for e in exc.value.errors}
