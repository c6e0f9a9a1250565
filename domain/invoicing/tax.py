"""Invoice tax and totals engine: pure functions over Decimal, no database, no framework.

Country presets
    IN  GST. Regions are GST states (code or abbreviation, see ``domain.core.gst``). Same
        state (``buyer_region`` is None or names the seller's state) splits every rate into
        CGST + SGST halves; another state gives IGST at the full rate. Default 18 %, slabs
        0, 0.25, 3, 5, 12, 18, 28 only. A buyer region that is no GST state is refused
        (``placeOfSupply``), and so is one without a seller state: the split is unknown.
    KE  VAT 16 % (0 and 8 allowed).   OM  VAT 5 % (0 allowed).   ZA  VAT 15 % (0 allowed).
    any other country: component "TAX", default 0 %, any rate 0-100 (at most 4 decimals).

Rounding rule (half-up to the currency's ISO 4217 minor units; OMR has 3)
    Everything is rounded per line, and every invoice figure is the plain sum of its
    already-rounded line figures, so the invariants hold by construction:

    1. ``gross = round(quantity * unit_price)``.
    2. Line discount: ``round(gross * pct / 100)`` or the given amount (<= gross).
    3. Invoice discount: ``D = round(sum(gross - line discount) * pct / 100)`` or the given
       amount. ``D`` is shared pro-rata over the lines by their amount after line
       discounts, in whole minor units (largest remainder; ties go to the earlier line),
       so the shares add up to exactly ``D`` and no share exceeds its line.
    4. Exclusive pricing: ``taxable = gross - discounts``; each tax component is
       ``round(taxable * component_rate / 100)`` (CGST and SGST are therefore always equal).
    5. Inclusive pricing: prices and discounts are tax-inclusive. ``A = gross - discounts``
       is what the customer pays; each component is the tax fraction
       ``round(A * component_rate / (100 + line_rate))`` and ``taxable = A - tax``, so
       ``taxable + tax == A`` exactly (118 at 18 % intra-state -> 100 + 9 + 9).
    6. ``line.tax = sum(components)``, ``line.total = taxable + tax``.

    Invoice figures are on the tax-exclusive basis in both modes so that
    ``subtotal - discount_total + tax_total == total`` always:
    ``subtotal = sum(line.net_gross)``, ``discount_total = sum(line.net_discount)``,
    ``taxable_total = sum(line.taxable)``, ``tax_total = sum(line.tax)``,
    ``total = sum(line.total)``; invoice components are line components summed per
    (name, rate). With exclusive pricing ``net_gross == gross`` and
    ``net_discount == discount``; with inclusive pricing
    ``net_discount = round(discount * 100 / (100 + line_rate))`` and
    ``net_gross = taxable + net_discount``.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from domain.core.codes import CoreCode
from domain.core.errors import ValidationFailed
from domain.core.money import minor_units
from domain.invoicing.tax_checks import Checked, CheckedLine, validate
from domain.invoicing.tax_rules import (
    CGST,
    COMPONENT_ORDER,
    HUNDRED,
    MAX_AMOUNT,
    PRECISION,
    SGST,
    ZERO,
    TaxRegime,
    canon_rate,
    round_money,
)

__all__ = [
    "InvoiceTotals",
    "LineInput",
    "LineTotals",
    "TaxComponent",
    "TaxContext",
    "compute_invoice",
]


# ---------------------------------------------------------------------- inputs/outputs


# Per-line and per-component values are NamedTuples: immutable like frozen dataclasses,
# but built by tuple.__new__ instead of one object.__setattr__ per field (a frozen
# 15-field dataclass took ~4 us to build; a 5-line invoice builds ~20 of these).
class LineInput(NamedTuple):
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    tax_rate: Decimal | None = None  # percent; None -> the country's default rate


@dataclass(frozen=True)
class TaxContext:
    country: str  # ISO 3166-1 alpha-2 of the seller (the business)
    currency: str  # ISO 4217
    inclusive: bool = False  # unit prices (and discount amounts) include tax
    seller_region: str | None = None  # India: the seller's state
    buyer_region: str | None = None  # India: place of supply; None -> same state


class TaxComponent(NamedTuple):
    name: str  # "CGST", "SGST", "IGST", "VAT" or "TAX"
    rate: Decimal  # percent
    taxable: Decimal
    amount: Decimal


class LineTotals(NamedTuple):
    description: str
    quantity: Decimal
    unit: str | None
    unit_price: Decimal
    tax_rate: Decimal  # effective tax rate of the line (percent)
    gross: Decimal  # round(quantity * unit_price), on the price basis (incl. tax if inclusive)
    discount: Decimal  # line discount + share of the invoice discount, price basis
    net_gross: Decimal  # gross without tax (== gross when exclusive)
    net_discount: Decimal  # discount without tax (== discount when exclusive)
    taxable: Decimal  # net_gross - net_discount
    components: list[TaxComponent]
    tax: Decimal
    total: Decimal  # taxable + tax (== gross - discount when inclusive)
    line_discount: Decimal  # the line's own discount, price basis
    invoice_discount_share: Decimal  # its share of the invoice discount, price basis


@dataclass(frozen=True)
class InvoiceTotals:
    currency: str
    inclusive: bool
    lines: list[LineTotals]
    subtotal: Decimal  # sum(line.net_gross)
    discount_total: Decimal  # sum(line.net_discount)
    taxable_total: Decimal
    tax_total: Decimal
    total: Decimal
    components: list[TaxComponent] = field(default_factory=list)
    invoice_discount: Decimal = ZERO  # the invoice-level discount, price basis


def compute_invoice(
    lines: Sequence[LineInput],
    ctx: TaxContext,
    *,
    invoice_discount_percent: Decimal | None = None,
    invoice_discount_amount: Decimal | None = None,
) -> InvoiceTotals:
    """Totals, per-line and per-component taxes of an invoice (see the module docstring).

    Raises ``ValidationFailed`` listing every bad field (``lines.N.quantity``,
    ``invoiceDiscountPercent``, ...; N counts from 0).
    """
    with decimal.localcontext() as dctx:
        dctx.prec = PRECISION
        dctx.rounding = decimal.ROUND_HALF_UP
        checked = validate(lines, ctx, invoice_discount_percent, invoice_discount_amount)
        totals = _compute(checked, ctx.inclusive)
    if max(totals.subtotal, totals.total) >= MAX_AMOUNT:
        raise ValidationFailed.one(
            "lines", f"the invoice total must be below {MAX_AMOUNT:,}", CoreCode.OUT_OF_RANGE
        )
    return totals


def _compute(checked: Checked, inclusive: bool) -> InvoiceTotals:
    currency = checked.currency
    after_line = [c.gross - c.line_discount for c in checked.lines]
    invoice_discount, shares = _invoice_discount(checked, after_line)
    out_lines = [
        _line_totals(c, after, share, checked, inclusive)
        for c, after, share in zip(checked.lines, after_line, shares, strict=True)
    ]

    def total_of(values: list[Decimal]) -> Decimal:
        return round_money(sum(values, ZERO), currency)

    return InvoiceTotals(
        currency=currency,
        inclusive=inclusive,
        lines=out_lines,
        subtotal=total_of([line.net_gross for line in out_lines]),
        discount_total=total_of([line.net_discount for line in out_lines]),
        taxable_total=total_of([line.taxable for line in out_lines]),
        tax_total=total_of([line.tax for line in out_lines]),
        total=total_of([line.total for line in out_lines]),
        components=_invoice_components(out_lines, currency),
        invoice_discount=invoice_discount,
    )


def _invoice_discount(checked: Checked, after_line: list[Decimal]) -> tuple[Decimal, list[Decimal]]:
    """The invoice discount and each line's share of it, in whole minor units."""
    currency = checked.currency
    scale = Decimal(10) ** minor_units(currency)
    if checked.invoice_discount_percent is not None:
        invoice_discount = round_money(
            sum(after_line, ZERO) * checked.invoice_discount_percent / HUNDRED, currency
        )
    elif checked.invoice_discount_amount is not None:
        invoice_discount = round_money(checked.invoice_discount_amount, currency)
    else:
        invoice_discount = round_money(ZERO, currency)
    shares_units = _allocate(int(invoice_discount * scale), [int(a * scale) for a in after_line])
    return invoice_discount, [
        round_money(Decimal(units) / scale, currency) for units in shares_units
    ]


def _line_totals(
    c: CheckedLine, after: Decimal, share: Decimal, checked: Checked, inclusive: bool
) -> LineTotals:
    currency = checked.currency
    rate = canon_rate(c.rate)
    discount = c.line_discount + share
    amount = after - share  # what the line costs on the price basis
    parts = _component_rates(rate, checked.regime, checked.intrastate)
    if inclusive:
        divisor = HUNDRED + rate
        amounts = [round_money(amount * r / divisor, currency) for _, r in parts]
        tax = sum(amounts, ZERO)
        taxable = amount - tax
        net_discount = round_money(discount * HUNDRED / divisor, currency)
        net_gross = taxable + net_discount
    else:
        taxable = amount
        amounts = [round_money(taxable * r / HUNDRED, currency) for _, r in parts]
        tax = sum(amounts, ZERO)
        net_discount = discount
        net_gross = c.gross
    components = [
        TaxComponent(name, r, taxable, a) for (name, r), a in zip(parts, amounts, strict=True)
    ]
    return LineTotals(
        description=c.source.description,
        quantity=c.quantity,
        unit=c.source.unit,
        unit_price=c.unit_price,
        tax_rate=rate,
        gross=c.gross,
        discount=discount,
        net_gross=net_gross,
        net_discount=net_discount,
        taxable=taxable,
        components=components,
        tax=tax,
        total=taxable + tax,
        line_discount=c.line_discount,
        invoice_discount_share=share,
    )


def _invoice_components(out_lines: list[LineTotals], currency: str) -> list[TaxComponent]:
    """Line components summed per (name, rate), by rate then component order."""
    grouped: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] = {}
    for line in out_lines:
        for comp in line.components:
            taxable_sum, amount_sum = grouped.get((comp.name, comp.rate), (ZERO, ZERO))
            grouped[(comp.name, comp.rate)] = (taxable_sum + comp.taxable, amount_sum + comp.amount)
    return [
        TaxComponent(
            name, rate, round_money(taxable_sum, currency), round_money(amount_sum, currency)
        )
        for (name, rate), (taxable_sum, amount_sum) in sorted(
            grouped.items(), key=lambda kv: (kv[0][1], COMPONENT_ORDER[kv[0][0]])
        )
    ]


def _allocate(total_units: int, weights: Sequence[int]) -> list[int]:
    """Split ``total_units`` pro-rata over ``weights`` in whole units (largest remainder).

    The parts add up to exactly ``total_units``; with ``total_units <= sum(weights)`` no
    part exceeds its weight. Ties in the remainder go to the earlier weight.
    """
    whole = sum(weights)
    if whole == 0 or total_units == 0:
        return [0] * len(weights)
    parts = [total_units * w // whole for w in weights]
    remainders = [total_units * w % whole for w in weights]
    left = total_units - sum(parts)
    for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[i] += 1
    return parts


def _component_rates(
    rate: Decimal, regime: TaxRegime, intrastate: bool
) -> list[tuple[str, Decimal]]:
    if regime.split_intrastate and intrastate:
        half = canon_rate(rate / 2)
        return [(CGST, half), (SGST, half)]
    return [(regime.component, rate)]
