"""What an invoice shows, shared by its PDF and its HTML preview: the lines table's
heading and cell texts and the totals rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.invoicing.documents import InvoiceDocument
from domain.invoicing.pdf.formatting import Formatter

COLUMN_TITLES = {
    "description": "Description",
    "quantity": "Qty",
    "unit": "Unit",
    "unit_price": "Unit price",
    "discount": "Discount",
    "tax": "Tax",
    "total": "Amount",
}


@dataclass(frozen=True)
class LineTable:
    columns: list[str]
    titles: list[str]
    rows: list[list[str]]


def line_table(doc: InvoiceDocument, fmt: Formatter) -> LineTable:
    """Heading and cell texts of the lines table. Amounts go without the currency symbol
    (the caption names the currency); when every line has the same tax rate it moves
    into the heading, otherwise each tax cell shows amount and rate on two lines."""
    columns = doc.template.visible_columns()
    rates = {line.tax_rate for line in doc.lines}
    one_rate = len(rates) == 1
    titles = []
    for c in columns:
        title = COLUMN_TITLES[c]
        if c == "tax" and one_rate:
            title = f"{title} {fmt.rate(next(iter(rates)))}"
        titles.append(title)
    rows = []
    for line in doc.lines:
        row = []
        for c in columns:
            if c == "description":
                row.append(line.description)
            elif c == "quantity":
                row.append(fmt.number(line.quantity))
            elif c == "unit":
                row.append(line.unit or "")
            elif c == "unit_price":
                row.append(fmt.amount(line.unit_price))
            elif c == "discount":
                row.append(fmt.amount(line.discount) if line.discount else "\u2013")
            elif c == "tax":
                tax = fmt.amount(line.tax)
                row.append(tax if one_rate else f"{tax}\n{fmt.rate(line.tax_rate)}")
            else:
                row.append(fmt.amount(line.total))
        rows.append(row)
    return LineTable(columns, titles, rows)


def totals_rows(doc: InvoiceDocument, fmt: Formatter) -> list[tuple[str, str, bool]]:
    """(label, formatted amount, emphasised) rows under the lines."""
    totals = [("Subtotal", fmt.money(doc.subtotal), False)]
    if doc.template.show_discount and doc.discount_total:
        totals.append(("Discount", fmt.money(-doc.discount_total), False))
    if doc.template.show_tax_breakdown:
        for tax in doc.taxes:
            totals.append((f"{tax.name} ({fmt.rate(tax.rate)})", fmt.money(tax.amount), False))
    elif doc.taxes:
        totals.append(("Tax", fmt.money(sum((t.amount for t in doc.taxes), Decimal(0))), False))
    totals.append(("Total", fmt.money(doc.total), True))
    if doc.amount_paid:
        totals.append(("Amount paid", fmt.money(-doc.amount_paid), False))
    totals.append(("Balance due", fmt.money(doc.balance_due), True))
    return totals
