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
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import NamedTuple

from babel import Locale
from babel.numbers import list_currencies

from domain.core.errors import ErrorCollector, ValidationFailed
from domain.core.gst import HINT as GST_HINT
from domain.core.gst import gst_state_code
from domain.core.money import minor_units, quantize, quantum

__all__ = [
    "InvoiceTotals",
    "LineInput",
    "LineTotals",
    "TaxComponent",
    "TaxContext",
    "TaxRegime",
    "compute_invoice",
    "default_rate",
    "preset_rates",
    "regime_for",
]

HUNDRED = Decimal(100)
ZERO = Decimal(0)
# Bounds that fit the storage columns (quantity/unit price Numeric(18, 4), money
# Numeric(18, 3), rate Numeric(9, 4)) and keep every intermediate product exact.
MAX_AMOUNT = Decimal(10) ** 15  # any money figure, line or invoice, stays below this
MAX_QUANTITY = Decimal(10) ** 12
MAX_UNIT_PRICE = Decimal(10) ** 13
MAX_INPUT_DECIMALS = 4  # quantity and unit price (unit prices may be finer than the currency)
MAX_RATE_DECIMALS = 4
_PRECISION = 60  # working precision; every intermediate product fits exactly

CGST, SGST, IGST, VAT, TAX = "CGST", "SGST", "IGST", "VAT", "TAX"
_COMPONENT_ORDER = {CGST: 0, SGST: 1, IGST: 2, VAT: 3, TAX: 4}
_NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO"})


# ---------------------------------------------------------------------------- presets


@dataclass(frozen=True)
class TaxRegime:
    country: str
    default_rate: Decimal
    rates: tuple[Decimal, ...]  # presets offered to the user
    restricted: bool  # only the presets are accepted
    component: str  # name of the single component (or IGST for India)
    split_intrastate: bool = False  # India: CGST + SGST inside one state


def _d(*values: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


_REGIMES: dict[str, TaxRegime] = {
    "IN": TaxRegime(
        "IN", Decimal(18), _d("0", "0.25", "3", "5", "12", "18", "28"), True, IGST, True
    ),
    "KE": TaxRegime("KE", Decimal(16), _d("0", "8", "16"), True, VAT),
    "OM": TaxRegime("OM", Decimal(5), _d("0", "5"), True, VAT),
    "ZA": TaxRegime("ZA", Decimal(15), _d("0", "15"), True, VAT),
}


def regime_for(country: str) -> TaxRegime:
    code = country.strip().upper()
    return _REGIMES.get(code) or TaxRegime(code, ZERO, (ZERO,), False, TAX)


def preset_rates(country: str) -> list[Decimal]:
    """The rates a business in ``country`` picks from (percent)."""
    return list(regime_for(country).rates)


def default_rate(country: str) -> Decimal:
    """The rate a line gets when it names none (percent)."""
    return regime_for(country).default_rate


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


# ------------------------------------------------------------------------ validation


def _too_precise(value: Decimal, places: int) -> bool:
    """More decimal places than `places` that matter (2.5000 has 1)."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite: checked by _number
    if exponent >= -places:
        return False  # the common case skips normalize()
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return -exponent > places


def _number(errors: ErrorCollector, path: str, value: object) -> Decimal | None:
    """The value when it is a finite Decimal (ints are accepted), else records an error."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        errors.add(path, "must be a decimal number (floats are not accepted)", "INVALID")
        return None
    number = Decimal(value)
    if not number.is_finite():
        errors.add(path, "must be a finite number", "INVALID")
        return None
    return number


def _check_percent(errors: ErrorCollector, path: str, value: object) -> Decimal | None:
    number = _number(errors, path, value)
    if number is None:
        return None
    if not ZERO <= number <= HUNDRED:
        errors.add(path, "must be between 0 and 100", "OUT_OF_RANGE")
        return None
    return number


def _check_amount(
    errors: ErrorCollector, path: str, value: object, currency: str
) -> Decimal | None:
    number = _number(errors, path, value)
    if number is None:
        return None
    if number < 0:
        errors.add(path, "must not be negative", "OUT_OF_RANGE")
        return None
    if currency and number != quantize(number, currency):
        errors.add(
            path, f"{currency} has {minor_units(currency)} decimal places at most", "PRECISION"
        )
        return None
    return number


@lru_cache(maxsize=512)
def _valid_country(code: str) -> bool:
    return (
        len(code) == 2
        and code.isascii()
        and code.isalpha()
        and code not in _NOT_COUNTRIES
        and code in Locale("en").territories
    )


@lru_cache(maxsize=512)
def _known_currency(code: str) -> bool:
    return len(code) == 3 and code.isascii() and code in list_currencies()


@dataclass
class _CheckedLine:
    source: LineInput
    quantity: Decimal
    unit_price: Decimal
    rate: Decimal
    gross: Decimal
    line_discount: Decimal


def _norm_region(region: str | None) -> str | None:
    if region is None:
        return None
    stripped = region.strip().casefold()
    return stripped or None


@lru_cache(maxsize=256)
def _canon_rate(rate: Decimal) -> Decimal:
    """18.00 -> 18, 0.250 -> 0.25, never an exponent form like 1.8E+1."""
    norm = rate.normalize()
    exponent = norm.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        norm = norm.quantize(Decimal(1))
    return norm if norm else ZERO  # -0 too: equal rates share one cached form


def _validate(
    lines: Sequence[LineInput],
    ctx: TaxContext,
    invoice_discount_percent: Decimal | None,
    invoice_discount_amount: Decimal | None,
) -> tuple[str, TaxRegime, bool, list[_CheckedLine], Decimal | None, Decimal | None]:
    errors = ErrorCollector()

    country = (ctx.country or "").strip().upper()
    if not _valid_country(country):
        errors.add("country", "must be an ISO 3166-1 alpha-2 country code", "INVALID")
    regime = regime_for(country)

    currency = (ctx.currency or "").strip().upper()
    if not _known_currency(currency):
        errors.add("currency", "must be an ISO 4217 currency code", "INVALID")
        currency = ""

    intrastate = False
    if regime.split_intrastate:
        seller = gst_state_code(ctx.seller_region)
        buyer_given = _norm_region(ctx.buyer_region)
        buyer = gst_state_code(ctx.buyer_region)
        if buyer_given is not None and buyer is None:
            errors.add("placeOfSupply", f"must be {GST_HINT}", "INVALID_STATE")
        elif buyer is not None and seller is None:
            errors.add(
                "placeOfSupply",
                "the business's GST state is unknown, so CGST+SGST or IGST cannot be chosen: "
                "give the business a GSTIN (taxId) or a state (stateCode)",
                "SELLER_STATE_UNKNOWN",
            )
        intrastate = buyer is None or buyer == seller

    if not lines:
        errors.add("lines", "at least one line is required", "REQUIRED")

    checked: list[_CheckedLine] = []
    all_lines_ok = True
    for index, line in enumerate(lines):
        path = f"lines.{index}"
        before = len(errors.errors)

        if not isinstance(line.description, str) or not line.description.strip():
            errors.add(f"{path}.description", "is required", "REQUIRED")

        quantity = _number(errors, f"{path}.quantity", line.quantity)
        if quantity is not None:
            if quantity <= 0:
                errors.add(f"{path}.quantity", "must be greater than 0", "OUT_OF_RANGE")
                quantity = None
            elif quantity >= MAX_QUANTITY or _too_precise(quantity, MAX_INPUT_DECIMALS):
                errors.add(
                    f"{path}.quantity",
                    f"below {MAX_QUANTITY:,} with {MAX_INPUT_DECIMALS} decimal places at most",
                    "OUT_OF_RANGE",
                )
                quantity = None

        price = _number(errors, f"{path}.unitPrice", line.unit_price)
        if price is not None:
            if price < 0:
                errors.add(f"{path}.unitPrice", "must not be negative", "OUT_OF_RANGE")
                price = None
            elif price >= MAX_UNIT_PRICE or _too_precise(price, MAX_INPUT_DECIMALS):
                errors.add(
                    f"{path}.unitPrice",
                    f"below {MAX_UNIT_PRICE:,} with {MAX_INPUT_DECIMALS} decimal places at most",
                    "OUT_OF_RANGE",
                )
                price = None

        rate = regime.default_rate
        if line.tax_rate is not None:
            given = _number(errors, f"{path}.taxRate", line.tax_rate)
            if given is not None:
                if regime.restricted and given not in regime.rates:
                    allowed = ", ".join(str(r) for r in regime.rates)
                    errors.add(
                        f"{path}.taxRate",
                        f"{given} % is not a tax rate in {country}; choose one of {allowed}",
                        "NOT_ALLOWED",
                    )
                elif not ZERO <= given <= HUNDRED:
                    errors.add(f"{path}.taxRate", "must be between 0 and 100", "OUT_OF_RANGE")
                elif _too_precise(given, MAX_RATE_DECIMALS):
                    errors.add(
                        f"{path}.taxRate",
                        f"at most {MAX_RATE_DECIMALS} decimal places",
                        "PRECISION",
                    )
                else:
                    rate = given

        if line.discount_percent is not None and line.discount_amount is not None:
            errors.add(
                f"{path}.discountAmount",
                "give a discount percent or a discount amount, not both",
                "CONFLICT",
            )
        gross: Decimal | None = None
        if quantity is not None and price is not None and currency:
            gross = _round(quantity * price, currency)
            if gross >= MAX_AMOUNT:
                errors.add(
                    f"{path}.unitPrice",
                    f"the line amount must be below {MAX_AMOUNT:,}",
                    "OUT_OF_RANGE",
                )
                gross = None

        line_discount = ZERO
        if line.discount_percent is not None:
            pct = _check_percent(errors, f"{path}.discountPercent", line.discount_percent)
            if pct is not None and gross is not None:
                line_discount = _round(gross * pct / HUNDRED, currency)
        elif line.discount_amount is not None:
            amount = _check_amount(errors, f"{path}.discountAmount", line.discount_amount, currency)
            if amount is not None and gross is not None:
                if amount > gross:
                    errors.add(
                        f"{path}.discountAmount",
                        f"must not exceed the line amount {gross}",
                        "OUT_OF_RANGE",
                    )
                else:
                    line_discount = _round(amount, currency)

        ok = len(errors.errors) == before
        if ok and quantity is not None and price is not None and gross is not None:
            checked.append(_CheckedLine(line, quantity, price, rate, gross, line_discount))
        else:
            all_lines_ok = False

    pct_inv: Decimal | None = None
    amount_inv: Decimal | None = None
    if invoice_discount_percent is not None and invoice_discount_amount is not None:
        errors.add(
            "invoiceDiscountAmount",
            "give an invoice discount percent or amount, not both",
            "CONFLICT",
        )
    elif invoice_discount_percent is not None:
        pct_inv = _check_percent(errors, "invoiceDiscountPercent", invoice_discount_percent)
    elif invoice_discount_amount is not None:
        amount_inv = _check_amount(
            errors, "invoiceDiscountAmount", invoice_discount_amount, currency
        )
        if amount_inv is not None and all_lines_ok and currency:
            after = sum((c.gross - c.line_discount for c in checked), ZERO)
            if amount_inv > after:
                errors.add(
                    "invoiceDiscountAmount",
                    f"must not exceed the lines' amount after their discounts ({after})",
                    "OUT_OF_RANGE",
                )

    errors.raise_if_any()
    return currency, regime, intrastate, checked, pct_inv, amount_inv


# ------------------------------------------------------------------------ computation


def _round(value: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor units, and never a negative zero."""
    rounded = value.quantize(quantum(currency), ROUND_HALF_UP)
    return rounded if rounded else rounded.copy_abs()


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
        half = _canon_rate(rate / 2)
        return [(CGST, half), (SGST, half)]
    return [(regime.component, rate)]


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
        dctx.prec = _PRECISION
        dctx.rounding = decimal.ROUND_HALF_UP
        currency, regime, intrastate, checked, pct_inv, amount_inv = _validate(
            lines, ctx, invoice_discount_percent, invoice_discount_amount
        )
        totals = _compute(currency, regime, intrastate, ctx.inclusive, checked, pct_inv, amount_inv)
    if max(totals.subtotal, totals.total) >= MAX_AMOUNT:
        raise ValidationFailed.one(
            "lines", f"the invoice total must be below {MAX_AMOUNT:,}", "OUT_OF_RANGE"
        )
    return totals


def _compute(
    currency: str,
    regime: TaxRegime,
    intrastate: bool,
    inclusive: bool,
    checked: list[_CheckedLine],
    pct_inv: Decimal | None,
    amount_inv: Decimal | None,
) -> InvoiceTotals:
    scale = Decimal(10) ** minor_units(currency)
    after_line = [c.gross - c.line_discount for c in checked]

    if pct_inv is not None:
        invoice_discount = _round(sum(after_line, ZERO) * pct_inv / HUNDRED, currency)
    elif amount_inv is not None:
        invoice_discount = _round(amount_inv, currency)
    else:
        invoice_discount = _round(ZERO, currency)
    shares_units = _allocate(int(invoice_discount * scale), [int(a * scale) for a in after_line])
    shares = [_round(Decimal(units) / scale, currency) for units in shares_units]

    out_lines: list[LineTotals] = []
    for c, after, share in zip(checked, after_line, shares, strict=True):
        rate = _canon_rate(c.rate)
        discount = c.line_discount + share
        amount = after - share  # what the line costs on the price basis
        parts = _component_rates(rate, regime, intrastate)
        if inclusive:
            divisor = HUNDRED + rate
            amounts = [_round(amount * r / divisor, currency) for _, r in parts]
            tax = sum(amounts, ZERO)
            taxable = amount - tax
            net_discount = _round(discount * HUNDRED / divisor, currency)
            net_gross = taxable + net_discount
        else:
            taxable = amount
            amounts = [_round(taxable * r / HUNDRED, currency) for _, r in parts]
            tax = sum(amounts, ZERO)
            net_discount = discount
            net_gross = c.gross
        components = [
            TaxComponent(name, r, taxable, a) for (name, r), a in zip(parts, amounts, strict=True)
        ]
        out_lines.append(
            LineTotals(
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
        )

    grouped: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] = {}
    for line in out_lines:
        for comp in line.components:
            taxable_sum, amount_sum = grouped.get((comp.name, comp.rate), (ZERO, ZERO))
            grouped[(comp.name, comp.rate)] = (taxable_sum + comp.taxable, amount_sum + comp.amount)
    components = [
        TaxComponent(name, rate, _round(taxable_sum, currency), _round(amount_sum, currency))
        for (name, rate), (taxable_sum, amount_sum) in sorted(
            grouped.items(), key=lambda kv: (kv[0][1], _COMPONENT_ORDER[kv[0][0]])
        )
    ]

    def total_of(values: list[Decimal]) -> Decimal:
        return _round(sum(values, ZERO), currency)

    return InvoiceTotals(
        currency=currency,
        inclusive=inclusive,
        lines=out_lines,
        subtotal=total_of([line.net_gross for line in out_lines]),
        discount_total=total_of([line.net_discount for line in out_lines]),
        taxable_total=total_of([line.taxable for line in out_lines]),
        tax_total=total_of([line.tax for line in out_lines]),
        total=total_of([line.total for line in out_lines]),
        components=components,
        invoice_discount=invoice_discount,
    )
