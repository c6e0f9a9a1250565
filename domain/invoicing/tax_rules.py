"""What every tax figure rests on: the country presets (rates, restrictions, component
names), the bounds that fit the storage columns, and the rounding rule (half-up to the
currency's minor units)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from domain.core.money import quantum

HUNDRED = Decimal(100)
ZERO = Decimal(0)
# Bounds that fit the storage columns (quantity/unit price Numeric(18, 4), money
# Numeric(18, 3), rate Numeric(9, 4)) and keep every intermediate product exact.
MAX_AMOUNT = Decimal(10) ** 15  # any money figure, line or invoice, stays below this
MAX_QUANTITY = Decimal(10) ** 12
MAX_UNIT_PRICE = Decimal(10) ** 13
MAX_INPUT_DECIMALS = 4  # quantity and unit price (unit prices may be finer than the currency)
MAX_RATE_DECIMALS = 4
PRECISION = 60  # working precision; every intermediate product fits exactly

CGST, SGST, IGST, VAT, TAX = "CGST", "SGST", "IGST", "VAT", "TAX"
COMPONENT_ORDER = {CGST: 0, SGST: 1, IGST: 2, VAT: 3, TAX: 4}


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


def round_money(value: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor units, and never a negative zero."""
    rounded = value.quantize(quantum(currency), ROUND_HALF_UP)
    return rounded if rounded else rounded.copy_abs()


@lru_cache(maxsize=256)
def canon_rate(rate: Decimal) -> Decimal:
    """18.00 -> 18, 0.250 -> 0.25, never an exponent form like 1.8E+1."""
    norm = rate.normalize()
    exponent = norm.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        norm = norm.quantize(Decimal(1))
    return norm if norm else ZERO  # -0 too: equal rates share one cached form
