"""Money, dates, quantities and rates as a document's locale writes them (babel)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_currency_symbol, parse_pattern

from domain.core.money import minor_units, quantize
from domain.invoicing.pdf.fonts import NEEDS_SHAPING


@lru_cache(maxsize=64)
def babel_locale(tag: str) -> Locale:
    """``tag`` as a babel Locale; unknown regions fall back to the language, then ``en``."""
    candidates = [tag.replace("-", "_"), tag.replace("-", "_").split("_")[0], "en"]
    for candidate in candidates:
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    raise AssertionError("babel always knows 'en'")  # pragma: no cover


class Formatter:
    """Money, dates, quantities and rates as the document's locale writes them."""

    def __init__(self, currency: str, locale: str) -> None:
        self.currency = currency
        self.locale = babel_locale(locale)
        self._plain = parse_pattern(self.locale.decimal_formats[None].pattern)
        digits = minor_units(currency)
        self._plain.frac_prec = (digits, digits)
        self._dates: dict[date, str] = {}

    def money(self, amount: Decimal) -> str:
        """With the currency symbol: ``₹1,23,456.79``, ``Ksh 1,000.00``, ``R1 000,00``."""
        return format_currency(quantize(amount, self.currency), self.currency, locale=self.locale)

    def amount(self, amount: Decimal) -> str:
        """Without the symbol, in the currency's minor units (table cells): ``1,23,456.79``."""
        return str(self._plain.apply(quantize(amount, self.currency), self.locale))

    def caption(self) -> str:
        """``Amounts in INR (₹)``; a right-to-left symbol gets a closing RLM so its final
        dot stays with it inside the left-to-right sentence."""
        symbol = get_currency_symbol(self.currency, locale=self.locale)
        if symbol == self.currency:
            return f"Amounts in {self.currency}"
        if NEEDS_SHAPING.search(symbol):
            symbol += "\u200f"
        return f"Amounts in {self.currency} ({symbol})"

    def date(self, day: date | None) -> str:
        if day is None:
            return ""
        text = self._dates.get(day)
        if text is None:
            text = self._dates[day] = format_date(day, "medium", locale=self.locale)
        return text

    def number(self, value: Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def rate(self, value: Decimal) -> str:
        return f"{format_decimal(value, locale=self.locale)}%"
