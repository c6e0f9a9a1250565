"""The tax and totals engine: rounding tables per country, inclusive pricing, GST split,"""

from __future__ import annotations

from domain.invoicing.tax import (
    TaxContext,
    compute_invoice,
)
from domain.invoicing.tax_rules import default_rate, preset_rates
from tests.invoicing.tax_helpers import D, line


def test_presets_and_defaults_per_country() -> None:
    assert preset_rates("IN") == [D(0), D("0.25"), D(3), D(5), D(12), D(18), D(28)]
    assert preset_rates("ke") == [D(0), D(8), D(16)]
    assert preset_rates("OM") == [D(0), D(5)]
    assert preset_rates("ZA") == [D(0), D(15)]
    assert preset_rates("US") == [D(0)]
    assert [default_rate(c) for c in ("IN", "KE", "OM", "ZA", "US", "ae")] == [
        D(18),
        D(16),
        D(5),
        D(15),
        D(0),
        D(0),
    ]


def test_missing_rate_takes_the_country_default() -> None:
    for country, currency, expected_tax in [
        ("IN", "INR", "18.00"),
        ("KE", "KES", "16.00"),
        ("OM", "OMR", "5.000"),
        ("ZA", "ZAR", "15.00"),
        ("US", "USD", "0.00"),
    ]:
        t = compute_invoice([line("1", "100")], TaxContext(country, currency))
        assert str(t.tax_total) == expected_tax, country
