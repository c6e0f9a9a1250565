"""How a recurring schedule stores its template (JSON: the invoice lines and options,
decimals as text) and reads it back: one place for the service, which saves it and
issues invoices from it, and the GraphQL type, which shows it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.invoicing.invoice_data import OPTION_NAMES, InvoiceOptions, LineData, invoice_options

DECIMAL_OPTIONS = ("discount_percent", "discount_amount")  # stored as text


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def stored_template(
    lines: list[LineData], options: InvoiceOptions, due_in_days: int | None
) -> dict[str, Any]:
    """The template as the schedule's JSON column holds it."""
    stored = invoice_options(options)
    for name in DECIMAL_OPTIONS:
        stored[name] = _text(stored[name])
    line_rows = [
        {
            "description": line.description.strip(),
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "unit": line.unit,
            "discount_percent": _text(line.discount_percent),
            "discount_amount": _text(line.discount_amount),
            "tax_rate": _text(line.tax_rate),
        }
        for line in lines
    ]
    return {"lines": line_rows, **stored, "due_in_days": due_in_days}


def template_lines(t: dict[str, Any]) -> list[LineData]:
    """The invoice lines of a stored template."""
    return [
        LineData(
            description=line["description"],
            quantity=Decimal(line["quantity"]),
            unit_price=Decimal(line["unit_price"]),
            unit=line.get("unit"),
            discount_percent=_dec(line.get("discount_percent")),
            discount_amount=_dec(line.get("discount_amount")),
            tax_rate=_dec(line.get("tax_rate")),
        )
        for line in t["lines"]
    ]


def template_options(t: dict[str, Any]) -> dict[str, Any]:
    """The invoice options of a stored template, as `InvoiceOptions` keyword arguments."""
    options = {name: t.get(name) for name in OPTION_NAMES}
    options["prices_include_tax"] = bool(options["prices_include_tax"])
    for name in DECIMAL_OPTIONS:
        options[name] = _dec(options[name])
    return options
