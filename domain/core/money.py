"""Money as Decimal quantized to the currency's ISO 4217 minor units, never float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, list_currencies

from domain.core.codes import CoreCode
from domain.core.errors import ValidationFailed


@lru_cache(maxsize=256)
def minor_units(currency: str) -> int:
    return int(get_currency_precision(currency))


@lru_cache(maxsize=256)
def quantum(currency: str) -> Decimal:
    """The currency's smallest unit: 0.01 INR, 0.001 OMR, 1 JPY."""
    return Decimal(1).scaleb(-minor_units(currency))


# ISO 4217 codes that are no money one bills in: precious metals, fund units, testing
# and "no currency"
NOT_MONEY = frozenset(
    [
        "XAG",
        "XAU",
        "XBA",
        "XBB",
        "XBC",
        "XBD",
        "XDR",
        "XEU",
        "XFO",
        "XFU",
        "XPD",
        "XPT",
        "XRE",
        "XSU",
        "XTS",
        "XUA",
        "XXX",
    ]
)
KNOWN_CURRENCIES = frozenset(list_currencies()) - NOT_MONEY


def is_currency_code(code: str) -> bool:
    """A known ISO 4217 currency code: three ASCII letters, upper case, that babel knows
    (an unknown code such as XYZ would answer zeros everywhere)."""
    return len(code) == 3 and code.isascii() and code in KNOWN_CURRENCIES


def currency_code(currency: str | None, default: str, field: str = "currency") -> str:
    """A caller's currency choice (`default` when none), upper-cased and checked."""
    code = (currency or default).strip().upper()
    if not is_currency_code(code):
        raise ValidationFailed.one(
            field, "is not a known ISO 4217 currency", CoreCode.INVALID_CURRENCY
        )
    return code


def quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def money_amount(amount: Decimal, currency: str) -> Decimal:
    """An amount as it is shown anywhere (GraphQL, CSV, JSON, messages): in the currency's
    minor units (``4027.94`` INR, ``1.500`` OMR, ``266.50`` INR), whatever padding the
    database gave it. Only a unit price finer than the currency keeps its extra digits
    (``0.125`` INR a gram); it is never rounded away."""
    rounded = quantize(amount, currency)
    return rounded if rounded == amount else plain(amount)


def format_money(amount: Decimal, currency: str) -> str:
    """The one text form of money outside GraphQL: ``money_amount`` as plain digits."""
    return format(money_amount(amount, currency), "f")


def parse_amount(raw: str | Decimal | int, field: str = "amount") -> Decimal:
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).replace(",", ""))
    except InvalidOperation:
        raise ValidationFailed.one(field, "not a number") from None
    if not value.is_finite():
        raise ValidationFailed.one(field, "not a finite number")
    return value


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: Decimal | str | int, currency: str) -> Money:
        return cls(quantize(parse_amount(amount), currency), currency)

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(quantize(self.amount + other.amount, self.currency), self.currency)

    def format(self, locale: str = "en_IN") -> str:
        return format_currency(self.amount, self.currency, locale=locale)


def plain(value: Decimal) -> Decimal:
    """Drop storage padding without scientific notation: 10.0000 -> 10, 2.5000 -> 2.5."""
    return Decimal(format(value.normalize(), "f"))
