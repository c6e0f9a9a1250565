"""Validation of an invoice's tax input: every bad field is reported at once, by its input
path (``lines.N.quantity``, ``invoiceDiscountPercent``...; N counts from 0)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from babel import Locale
from babel.numbers import list_currencies

from domain.core.codes import CoreCode
from domain.core.errors import ErrorCollector
from domain.core.gst import HINT as GST_HINT
from domain.core.gst import gst_state_code
from domain.core.money import minor_units, quantize
from domain.invoicing.codes import InvoicingCode
from domain.invoicing.tax_rules import (
    HUNDRED,
    MAX_AMOUNT,
    MAX_INPUT_DECIMALS,
    MAX_QUANTITY,
    MAX_RATE_DECIMALS,
    MAX_UNIT_PRICE,
    ZERO,
    TaxRegime,
    regime_for,
    round_money,
)

if TYPE_CHECKING:
    from domain.invoicing.tax import LineInput, TaxContext

_NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO"})


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
        errors.add(path, "must be a decimal number (floats are not accepted)", CoreCode.INVALID)
        return None
    number = Decimal(value)
    if not number.is_finite():
        errors.add(path, "must be a finite number", CoreCode.INVALID)
        return None
    return number


def _check_percent(errors: ErrorCollector, path: str, value: object) -> Decimal | None:
    number = _number(errors, path, value)
    if number is None:
        return None
    if not ZERO <= number <= HUNDRED:
        errors.add(path, "must be between 0 and 100", CoreCode.OUT_OF_RANGE)
        return None
    return number


def _check_amount(
    errors: ErrorCollector, path: str, value: object, currency: str
) -> Decimal | None:
    number = _number(errors, path, value)
    if number is None:
        return None
    if number < 0:
        errors.add(path, "must not be negative", CoreCode.OUT_OF_RANGE)
        return None
    if currency and number != quantize(number, currency):
        errors.add(
            path,
            f"{currency} has {minor_units(currency)} decimal places at most",
            InvoicingCode.PRECISION,
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
class CheckedLine:
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


@dataclass
class Checked:
    """The validated input, ready to compute."""

    currency: str
    regime: TaxRegime
    intrastate: bool  # India: CGST + SGST, else IGST
    lines: list[CheckedLine]
    invoice_discount_percent: Decimal | None
    invoice_discount_amount: Decimal | None


def validate(
    lines: Sequence[LineInput],
    ctx: TaxContext,
    invoice_discount_percent: Decimal | None,
    invoice_discount_amount: Decimal | None,
) -> Checked:
    """The input checked and normalised; ValidationFailed lists every problem."""
    errors = ErrorCollector()
    country = (ctx.country or "").strip().upper()
    if not _valid_country(country):
        errors.add("country", "must be an ISO 3166-1 alpha-2 country code", CoreCode.INVALID)
    regime = regime_for(country)
    currency = (ctx.currency or "").strip().upper()
    if not _known_currency(currency):
        errors.add("currency", "must be an ISO 4217 currency code", CoreCode.INVALID)
        currency = ""
    intrastate = _intrastate(errors, regime, ctx)
    if not lines:
        errors.add("lines", "at least one line is required", CoreCode.REQUIRED)
    checked: list[CheckedLine] = []
    all_lines_ok = True
    for index, line in enumerate(lines):
        ok = _check_line(errors, f"lines.{index}", line, regime, country, currency, checked)
        all_lines_ok = all_lines_ok and ok
    pct_inv, amount_inv = _check_invoice_discount(
        errors,
        invoice_discount_percent,
        invoice_discount_amount,
        currency,
        checked if all_lines_ok else None,
    )
    errors.raise_if_any()
    return Checked(currency, regime, intrastate, checked, pct_inv, amount_inv)


def _intrastate(errors: ErrorCollector, regime: TaxRegime, ctx: TaxContext) -> bool:
    """India: a sale inside the seller's state (CGST + SGST), else IGST; the place of
    supply must be a GST state, and the seller's state known to choose."""
    if not regime.split_intrastate:
        return False
    seller = gst_state_code(ctx.seller_region)
    buyer_given = _norm_region(ctx.buyer_region)
    buyer = gst_state_code(ctx.buyer_region)
    if buyer_given is not None and buyer is None:
        errors.add("placeOfSupply", f"must be {GST_HINT}", CoreCode.INVALID_STATE)
    elif buyer is not None and seller is None:
        errors.add(
            "placeOfSupply",
            "the business's GST state is unknown, so CGST+SGST or IGST cannot be chosen: "
            "give the business a GSTIN (taxId) or a state (stateCode)",
            InvoicingCode.SELLER_STATE_UNKNOWN,
        )
    return buyer is None or buyer == seller


def _check_line(
    errors: ErrorCollector,
    path: str,
    line: LineInput,
    regime: TaxRegime,
    country: str,
    currency: str,
    checked: list[CheckedLine],
) -> bool:
    """Checks one line; a good one is appended to `checked`. Answers whether it was good."""
    before = len(errors.errors)
    if not isinstance(line.description, str) or not line.description.strip():
        errors.add(f"{path}.description", "is required", CoreCode.REQUIRED)
    quantity = _bounded(
        errors, f"{path}.quantity", line.quantity, MAX_QUANTITY, "must be greater than 0"
    )
    price = _bounded(errors, f"{path}.unitPrice", line.unit_price, MAX_UNIT_PRICE, None)
    rate = _rate(errors, f"{path}.taxRate", line.tax_rate, regime, country)
    if line.discount_percent is not None and line.discount_amount is not None:
        errors.add(
            f"{path}.discountAmount",
            "give a discount percent or a discount amount, not both",
            CoreCode.CONFLICT,
        )
    gross: Decimal | None = None
    if quantity is not None and price is not None and currency:
        gross = round_money(quantity * price, currency)
        if gross >= MAX_AMOUNT:
            errors.add(
                f"{path}.unitPrice",
                f"the line amount must be below {MAX_AMOUNT:,}",
                CoreCode.OUT_OF_RANGE,
            )
            gross = None
    line_discount = _line_discount(errors, path, line, gross, currency)
    ok = len(errors.errors) == before
    if ok and quantity is not None and price is not None and gross is not None:
        checked.append(CheckedLine(line, quantity, price, rate, gross, line_discount))
        return True
    return False


def _bounded(
    errors: ErrorCollector, path: str, value: object, limit: Decimal, positive: str | None
) -> Decimal | None:
    """A quantity (`positive`: the message when not above 0) or a unit price (not
    negative): below `limit`, with MAX_INPUT_DECIMALS decimal places at most."""
    number = _number(errors, path, value)
    if number is None:
        return None
    if positive is not None and number <= 0:
        errors.add(path, positive, CoreCode.OUT_OF_RANGE)
        return None
    if positive is None and number < 0:
        errors.add(path, "must not be negative", CoreCode.OUT_OF_RANGE)
        return None
    if number >= limit or _too_precise(number, MAX_INPUT_DECIMALS):
        errors.add(
            path,
            f"below {limit:,} with {MAX_INPUT_DECIMALS} decimal places at most",
            CoreCode.OUT_OF_RANGE,
        )
        return None
    return number


def _rate(
    errors: ErrorCollector, path: str, value: Decimal | None, regime: TaxRegime, country: str
) -> Decimal:
    """The line's rate: the country's default when none is given (or the given one is
    refused, with its error recorded)."""
    if value is None:
        return regime.default_rate
    given = _number(errors, path, value)
    if given is None:
        return regime.default_rate
    if regime.restricted and given not in regime.rates:
        allowed = ", ".join(str(r) for r in regime.rates)
        errors.add(
            path,
            f"{given} % is not a tax rate in {country}; choose one of {allowed}",
            InvoicingCode.NOT_ALLOWED,
        )
    elif not ZERO <= given <= HUNDRED:
        errors.add(path, "must be between 0 and 100", CoreCode.OUT_OF_RANGE)
    elif _too_precise(given, MAX_RATE_DECIMALS):
        errors.add(path, f"at most {MAX_RATE_DECIMALS} decimal places", InvoicingCode.PRECISION)
    else:
        return given
    return regime.default_rate


def _line_discount(
    errors: ErrorCollector, path: str, line: LineInput, gross: Decimal | None, currency: str
) -> Decimal:
    if line.discount_percent is not None:
        pct = _check_percent(errors, f"{path}.discountPercent", line.discount_percent)
        if pct is not None and gross is not None:
            return round_money(gross * pct / HUNDRED, currency)
    elif line.discount_amount is not None:
        amount = _check_amount(errors, f"{path}.discountAmount", line.discount_amount, currency)
        if amount is not None and gross is not None:
            if amount > gross:
                errors.add(
                    f"{path}.discountAmount",
                    f"must not exceed the line amount {gross}",
                    CoreCode.OUT_OF_RANGE,
                )
            else:
                return round_money(amount, currency)
    return ZERO


def _check_invoice_discount(
    errors: ErrorCollector,
    percent: Decimal | None,
    amount: Decimal | None,
    currency: str,
    checked: list[CheckedLine] | None,
) -> tuple[Decimal | None, Decimal | None]:
    """(percent, amount) of the invoice discount, at most one of them. An amount must not
    exceed the lines' amount after their own discounts (checked when every line is good:
    `checked` is None otherwise)."""
    if percent is not None and amount is not None:
        errors.add(
            "invoiceDiscountAmount",
            "give an invoice discount percent or amount, not both",
            CoreCode.CONFLICT,
        )
        return None, None
    if percent is not None:
        return _check_percent(errors, "invoiceDiscountPercent", percent), None
    if amount is None:
        return None, None
    amount_inv = _check_amount(errors, "invoiceDiscountAmount", amount, currency)
    if amount_inv is not None and checked is not None and currency:
        after = sum((c.gross - c.line_discount for c in checked), ZERO)
        if amount_inv > after:
            errors.add(
                "invoiceDiscountAmount",
                f"must not exceed the lines' amount after their discounts ({after})",
                CoreCode.OUT_OF_RANGE,
            )
    return None, amount_inv
