"""The tax and totals engine: rounding tables per country, inclusive pricing, GST split,
discounts with remainders, invariants over 2,000 seeded random invoices, validation."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from domain.core.errors import ValidationFailed
from domain.invoicing.tax import (
    InvoiceTotals,
    LineInput,
    TaxContext,
    compute_invoice,
)
from domain.invoicing.tax_rules import default_rate, preset_rates

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


# ------------------------------------------------------------------ presets and defaults


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


# ------------------------------------------------------------------ rounding tables

# country, currency, region pair, qty, price, rate, expected components, expected total
EXCLUSIVE_TABLE = [
    # India, same state: each half rounded on its own, so CGST == SGST always
    (
        "IN",
        "INR",
        ("MH", "MH"),
        "1",
        "100",
        "18",
        [("CGST", "9", "9.00"), ("SGST", "9", "9.00")],
        "118.00",
    ),
    (
        "IN",
        "INR",
        ("MH", None),
        "1",
        "99.99",
        "18",
        [("CGST", "9", "9.00"), ("SGST", "9", "9.00")],
        "117.99",
    ),
    (
        "IN",
        "INR",
        ("MH", "MH"),
        "3",
        "33.33",
        "5",
        [("CGST", "2.5", "2.50"), ("SGST", "2.5", "2.50")],
        "104.99",
    ),
    (
        "IN",
        "INR",
        ("KA", "KA"),
        "2.5",
        "41.30",
        "3",
        [("CGST", "1.5", "1.55"), ("SGST", "1.5", "1.55")],
        "106.35",
    ),
    (
        "IN",
        "INR",
        ("KA", "KA"),
        "1",
        "1000",
        "0.25",
        [("CGST", "0.125", "1.25"), ("SGST", "0.125", "1.25")],
        "1002.50",
    ),
    (
        "IN",
        "INR",
        ("KA", "KA"),
        "1",
        "1",
        "0.25",
        [("CGST", "0.125", "0.00"), ("SGST", "0.125", "0.00")],
        "1.00",
    ),
    (
        "IN",
        "INR",
        ("KA", "KA"),
        "1",
        "0.10",
        "5",
        [("CGST", "2.5", "0.00"), ("SGST", "2.5", "0.00")],
        "0.10",
    ),
    (
        "IN",
        "INR",
        ("KA", "KA"),
        "1",
        "0.20",
        "5",
        [("CGST", "2.5", "0.01"), ("SGST", "2.5", "0.01")],
        "0.22",
    ),
    # India, other state: IGST at the full rate, one rounding
    ("IN", "INR", ("MH", "KA"), "3", "33.33", "5", [("IGST", "5", "5.00")], "104.99"),
    ("IN", "INR", ("MH", "KA"), "1", "10.05", "28", [("IGST", "28", "2.81")], "12.86"),
    ("IN", "INR", ("MH", "KA"), "1", "0.20", "5", [("IGST", "5", "0.01")], "0.21"),
    ("IN", "INR", ("MH", "KA"), "4", "12.5", "12", [("IGST", "12", "6.00")], "56.00"),
    # Kenya
    ("KE", "KES", (None, None), "3", "33.33", "16", [("VAT", "16", "16.00")], "115.99"),
    ("KE", "KES", (None, None), "1", "0.03", "16", [("VAT", "16", "0.00")], "0.03"),
    ("KE", "KES", (None, None), "1", "12.50", "8", [("VAT", "8", "1.00")], "13.50"),
    (
        "KE",
        "KES",
        (None, None),
        "2.5",
        "0.25",
        "16",
        [("VAT", "16", "0.10")],
        "0.73",
    ),  # 0.625 -> 0.63
    ("KE", "KES", (None, None), "1", "15000", "0", [("VAT", "0", "0.00")], "15000.00"),
    # Oman: three decimals, half-up at the third
    ("OM", "OMR", (None, None), "3", "0.333", "5", [("VAT", "5", "0.050")], "1.049"),
    ("OM", "OMR", (None, None), "1", "0.010", "5", [("VAT", "5", "0.001")], "0.011"),
    ("OM", "OMR", (None, None), "1", "0.009", "5", [("VAT", "5", "0.000")], "0.009"),
    ("OM", "OMR", (None, None), "2.5", "1.233", "5", [("VAT", "5", "0.154")], "3.237"),
    ("OM", "OMR", (None, None), "7", "0.1429", "5", [("VAT", "5", "0.050")], "1.050"),
    ("OM", "OMR", (None, None), "1", "12.345", "0", [("VAT", "0", "0.000")], "12.345"),
    # South Africa
    ("ZA", "ZAR", (None, None), "1", "0.30", "15", [("VAT", "15", "0.05")], "0.35"),
    ("ZA", "ZAR", (None, None), "1", "0.10", "15", [("VAT", "15", "0.02")], "0.12"),
    ("ZA", "ZAR", (None, None), "7", "14.99", "15", [("VAT", "15", "15.74")], "120.67"),
    # Elsewhere: any rate, currency's own minor units (JPY 0, KWD 3)
    ("US", "USD", (None, None), "1", "100", "8.875", [("TAX", "8.875", "8.88")], "108.88"),
    ("JP", "JPY", (None, None), "3", "333", "10", [("TAX", "10", "100")], "1099"),
    ("KW", "KWD", (None, None), "1", "0.0105", "0", [("TAX", "0", "0.000")], "0.011"),
]


@pytest.mark.parametrize(
    ("country", "currency", "regions", "qty", "price", "rate", "expected", "total"),
    EXCLUSIVE_TABLE,
)
def test_exclusive_rounding_table(
    country: str,
    currency: str,
    regions: tuple[str | None, str | None],
    qty: str,
    price: str,
    rate: str,
    expected: list[tuple[str, str, str]],
    total: str,
) -> None:
    ctx = TaxContext(country, currency, seller_region=regions[0], buyer_region=regions[1])
    t = compute_invoice([line(qty, price, rate)], ctx)
    assert [(c.name, str(c.rate), str(c.amount)) for c in t.components] == expected
    assert str(t.total) == total
    (lt,) = t.lines
    assert [(c.name, str(c.rate), str(c.amount)) for c in lt.components] == expected
    assert t.subtotal - t.discount_total + t.tax_total == t.total
    assert lt.taxable + lt.tax == lt.total


# gross the customer sees (tax included) -> taxable + each component
INCLUSIVE_TABLE = [
    ("IN", "INR", ("MH", "MH"), "1", "118", "18", "100.00", [("CGST", "9.00"), ("SGST", "9.00")]),
    ("IN", "INR", ("MH", "DL"), "1", "118", "18", "100.00", [("IGST", "18.00")]),
    ("IN", "INR", ("MH", "MH"), "1", "100", "18", "84.74", [("CGST", "7.63"), ("SGST", "7.63")]),
    ("IN", "INR", ("MH", "DL"), "1", "100", "18", "84.75", [("IGST", "15.25")]),
    ("IN", "INR", ("MH", "MH"), "2", "52.50", "5", "100.00", [("CGST", "2.50"), ("SGST", "2.50")]),
    ("IN", "INR", ("MH", "MH"), "1", "0.01", "28", "0.01", [("CGST", "0.00"), ("SGST", "0.00")]),
    ("KE", "KES", (None, None), "1", "116", "16", "100.00", [("VAT", "16.00")]),
    ("KE", "KES", (None, None), "1", "1", "16", "0.86", [("VAT", "0.14")]),
    ("KE", "KES", (None, None), "1", "108", "8", "100.00", [("VAT", "8.00")]),
    ("OM", "OMR", (None, None), "1", "1.050", "5", "1.000", [("VAT", "0.050")]),
    ("OM", "OMR", (None, None), "3", "0.333", "5", "0.951", [("VAT", "0.048")]),
    ("OM", "OMR", (None, None), "1", "0.021", "5", "0.020", [("VAT", "0.001")]),
    ("ZA", "ZAR", (None, None), "1", "115", "15", "100.00", [("VAT", "15.00")]),
    ("ZA", "ZAR", (None, None), "1", "99.99", "15", "86.95", [("VAT", "13.04")]),
    ("ZA", "ZAR", (None, None), "1", "0.23", "15", "0.20", [("VAT", "0.03")]),
]


@pytest.mark.parametrize(
    ("country", "currency", "regions", "qty", "price", "rate", "taxable", "expected"),
    INCLUSIVE_TABLE,
)
def test_inclusive_rounding_table(
    country: str,
    currency: str,
    regions: tuple[str | None, str | None],
    qty: str,
    price: str,
    rate: str,
    taxable: str,
    expected: list[tuple[str, str]],
) -> None:
    ctx = TaxContext(
        country, currency, inclusive=True, seller_region=regions[0], buyer_region=regions[1]
    )
    t = compute_invoice([line(qty, price, rate)], ctx)
    (lt,) = t.lines
    gross = (D(qty) * D(price)).quantize(lt.gross)
    assert [(c.name, str(c.amount)) for c in t.components] == expected
    assert str(t.taxable_total) == taxable
    # net + tax is exactly what the customer sees
    assert t.total == gross == lt.gross == lt.total
    assert t.taxable_total + t.tax_total == t.total
    assert t.subtotal == t.taxable_total and t.discount_total == 0


def test_inclusive_118_rupees_is_100_plus_9_plus_9() -> None:
    t = compute_invoice([line("1", "118")], TaxContext("IN", "INR", inclusive=True))
    assert summary(t) == ("100.00", "0.00", "100.00", "18.00", "118.00")
    assert comps(t) == [("CGST", "9", "100.00", "9.00"), ("SGST", "9", "100.00", "9.00")]


def test_inclusive_with_discounts_reports_net_figures() -> None:
    # 2 x 59 incl. 18 %, 10 % off: the customer pays 106.20, of which 16.20 is GST
    t = compute_invoice(
        [line("2", "59", "18", discount_percent=D(10))],
        TaxContext("IN", "INR", inclusive=True, seller_region="27", buyer_region="27"),
    )
    (lt,) = t.lines
    assert (str(lt.gross), str(lt.discount), str(lt.total)) == ("118.00", "11.80", "106.20")
    assert (str(lt.net_gross), str(lt.net_discount), str(lt.taxable)) == (
        "100.00",
        "10.00",
        "90.00",
    )
    assert summary(t) == ("100.00", "10.00", "90.00", "16.20", "106.20")
    assert comps(t) == [("CGST", "9", "90.00", "8.10"), ("SGST", "9", "90.00", "8.10")]


def test_inclusive_invoice_discount_amount_is_tax_inclusive() -> None:
    # ZAR 230 incl. 15 %, R 23 off the invoice: pays 207 = 180 + 27
    t = compute_invoice(
        [line("2", "115")],
        TaxContext("ZA", "ZAR", inclusive=True),
        invoice_discount_amount=D("23"),
    )
    assert summary(t) == ("200.00", "20.00", "180.00", "27.00", "207.00")
    assert str(t.invoice_discount) == "23.00"


# ------------------------------------------------------------------ India: intra vs inter


def test_gst_same_state_splits_and_other_state_is_igst() -> None:
    lines = [line("1", "1000", "18"), line("2", "250", "5"), line("1", "10", "0")]
    same = compute_invoice(lines, TaxContext("IN", "INR", seller_region="mh", buyer_region=" MH "))
    other = compute_invoice(lines, TaxContext("IN", "INR", seller_region="MH", buyer_region="KA"))
    assert comps(same) == [
        ("CGST", "0", "10.00", "0.00"),
        ("SGST", "0", "10.00", "0.00"),
        ("CGST", "2.5", "500.00", "12.50"),
        ("SGST", "2.5", "500.00", "12.50"),
        ("CGST", "9", "1000.00", "90.00"),
        ("SGST", "9", "1000.00", "90.00"),
    ]
    assert comps(other) == [
        ("IGST", "0", "10.00", "0.00"),
        ("IGST", "5", "500.00", "25.00"),
        ("IGST", "18", "1000.00", "180.00"),
    ]
    assert summary(same) == summary(other) == ("1510.00", "0.00", "1510.00", "205.00", "1715.00")


def test_gst_buyer_region_missing_means_same_state() -> None:
    t = compute_invoice([line("1", "100")], TaxContext("IN", "INR", seller_region="KA"))
    assert [c.name for c in t.components] == ["CGST", "SGST"]
    t = compute_invoice([line("1", "100")], TaxContext("IN", "INR"))
    assert [c.name for c in t.components] == ["CGST", "SGST"]


def test_gst_buyer_region_without_seller_region_is_refused() -> None:
    with pytest.raises(ValidationFailed) as exc:
        compute_invoice([line("1", "100")], TaxContext("IN", "INR", buyer_region="KA"))
    assert field_errors(exc) == {"placeOfSupply": "SELLER_STATE_UNKNOWN"}
    assert "stateCode" in exc.value.errors[0].message


@pytest.mark.parametrize("place", ["ZZ", "99", "00", "39", "Atlantis", "M H", "272"])
def test_gst_place_of_supply_must_be_a_gst_state(place: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        compute_invoice(
            [line("1", "100")], TaxContext("IN", "INR", seller_region="27", buyer_region=place)
        )
    assert field_errors(exc) == {"placeOfSupply": "INVALID_STATE"}


@pytest.mark.parametrize(
    ("seller", "place", "split"),
    [
        ("27", "MH", True),
        ("MH", "27", True),
        ("mh", "Maharashtra", True),
        ("07", "7", True),
        ("DL", "delhi", True),
        ("27", "KA", False),
        ("27", "29", False),
        ("29", "97", False),
        ("KA", "38", False),
        ("36", "TG", True),
    ],
)
def test_gst_states_by_code_abbreviation_or_name(seller: str, place: str, split: bool) -> None:
    t = compute_invoice(
        [line("1", "100")], TaxContext("IN", "INR", seller_region=seller, buyer_region=place)
    )
    assert [c.name for c in t.components] == (["CGST", "SGST"] if split else ["IGST"])


def test_regions_do_not_matter_outside_india() -> None:
    t = compute_invoice(
        [line("1", "100")], TaxContext("KE", "KES", seller_region="Nairobi", buyer_region="Mombasa")
    )
    assert comps(t) == [("VAT", "16", "100.00", "16.00")]


def test_gst_split_rounds_each_half_not_the_whole() -> None:
    # 0.50 @ 5 %: IGST 0.025 -> 0.03; halves 0.0125 -> 0.01 + 0.01 = 0.02
    intra = compute_invoice([line("1", "0.50", "5")], TaxContext("IN", "INR"))
    inter = compute_invoice(
        [line("1", "0.50", "5")], TaxContext("IN", "INR", seller_region="27", buyer_region="29")
    )
    assert str(intra.tax_total) == "0.02" and str(inter.tax_total) == "0.03"


def test_rates_are_reported_canonically() -> None:
    t = compute_invoice(
        [line("1", "100", "18.00"), line("1", "100", "18")], TaxContext("IN", "INR")
    )
    assert comps(t) == [("CGST", "9", "200.00", "18.00"), ("SGST", "9", "200.00", "18.00")]
    assert [str(lt.tax_rate) for lt in t.lines] == ["18", "18"]


# ------------------------------------------------------------------ discounts


def test_line_discount_percent_rounds_half_up() -> None:
    # 99.99 x 10 % = 9.999 -> 10.00
    t = compute_invoice([line("3", "33.33", "16", discount_percent=D(10))], TaxContext("KE", "KES"))
    (lt,) = t.lines
    assert (str(lt.gross), str(lt.discount), str(lt.taxable), str(lt.tax)) == (
        "99.99",
        "10.00",
        "89.99",
        "14.40",
    )
    assert summary(t) == ("99.99", "10.00", "89.99", "14.40", "104.39")


def test_line_discount_amount() -> None:
    t = compute_invoice(
        [line("2.5", "0.400", "5", discount_amount=D("0.125"))], TaxContext("OM", "OMR")
    )
    assert summary(t) == ("1.000", "0.125", "0.875", "0.044", "0.919")


def test_invoice_discount_amount_remainder_goes_to_earlier_lines_on_ties() -> None:
    # 10.00 over three equal lines: 3.34 + 3.33 + 3.33
    t = compute_invoice(
        [line("1", "33.33", "0"), line("1", "33.33", "0"), line("1", "33.33", "0")],
        TaxContext("ZA", "ZAR"),
        invoice_discount_amount=D("10"),
    )
    assert [str(lt.invoice_discount_share) for lt in t.lines] == ["3.34", "3.33", "3.33"]
    assert summary(t) == ("99.99", "10.00", "89.99", "0.00", "89.99")


def test_invoice_discount_percent_largest_remainder() -> None:
    # 60.01 x 10 % = 6.001 -> 6.00; exact shares 0.9998, 1.9997, 3.0005
    t = compute_invoice(
        [line("1", "10", "15"), line("1", "20", "15"), line("1", "30.01", "15")],
        TaxContext("ZA", "ZAR"),
        invoice_discount_percent=D(10),
    )
    assert str(t.invoice_discount) == "6.00"
    assert [str(lt.invoice_discount_share) for lt in t.lines] == ["1.00", "2.00", "3.00"]
    assert [str(lt.tax) for lt in t.lines] == ["1.35", "2.70", "4.05"]
    assert summary(t) == ("60.01", "6.00", "54.01", "8.10", "62.11")


def test_invoice_discount_after_line_discounts_and_shared_by_net_amount() -> None:
    # lines after their own discounts: 90.00 and 10.00 -> 7 % of 100 = 7.00 as 6.30 + 0.70
    t = compute_invoice(
        [line("1", "100", "18", discount_percent=D(10)), line("1", "10", "18")],
        TaxContext("IN", "INR", seller_region="DL", buyer_region="HR"),
        invoice_discount_percent=D(7),
    )
    assert [str(lt.invoice_discount_share) for lt in t.lines] == ["6.30", "0.70"]
    assert [str(lt.discount) for lt in t.lines] == ["16.30", "0.70"]
    assert summary(t) == ("110.00", "17.00", "93.00", "16.74", "109.74")


def test_invoice_discount_in_omr_minor_units() -> None:
    t = compute_invoice(
        [line("1", "1"), line("1", "1"), line("1", "1")],
        TaxContext("OM", "OMR"),
        invoice_discount_amount=D("0.001"),
    )
    assert [str(lt.invoice_discount_share) for lt in t.lines] == ["0.001", "0.000", "0.000"]
    assert summary(t) == ("3.000", "0.001", "2.999", "0.150", "3.149")


def test_invoice_discount_share_never_exceeds_a_tiny_line() -> None:
    t = compute_invoice(
        [line("1", "0.01", "0"), line("1", "1000", "0")],
        TaxContext("KE", "KES"),
        invoice_discount_amount=D("1000.00"),
    )
    assert [str(lt.invoice_discount_share) for lt in t.lines] == ["0.01", "999.99"]
    assert str(t.total) == "0.01"


def test_full_discounts_give_zero_everything() -> None:
    t = compute_invoice(
        [line("2", "50", discount_percent=D(100)), line("1", "20")],
        TaxContext("IN", "INR"),
        invoice_discount_percent=D(100),
    )
    assert summary(t) == ("120.00", "120.00", "0.00", "0.00", "0.00")
    assert all(not str(c.amount).startswith("-") for c in t.components)


def test_free_lines_and_negative_zero_prices() -> None:
    t = compute_invoice([line("1", "-0"), line("3", "0")], TaxContext("ZA", "ZAR"))
    assert summary(t) == ("0.00", "0.00", "0.00", "0.00", "0.00")
    assert str(t.lines[0].gross) == "0.00"


# ------------------------------------------------------------------ invariants, 2,000 invoices

COUNTRIES = [
    ("IN", "INR"),
    ("IN", "INR"),
    ("KE", "KES"),
    ("OM", "OMR"),
    ("ZA", "ZAR"),
    ("US", "USD"),
    ("JP", "JPY"),
    ("BH", "BHD"),
]


def _rand_decimal(rng: random.Random, max_int: int, places: int) -> Decimal:
    return D(rng.randint(0, max_int * 10**places)).scaleb(-places)


def _half_up(value: Decimal, exp: int) -> Decimal:
    return value.quantize(D(1).scaleb(exp), rounding=ROUND_HALF_UP)


def test_invariants_hold_on_2000_random_invoices() -> None:
    rng = random.Random(20240603)
    seen = {"inclusive": 0, "intra": 0, "inter": 0, "inv_pct": 0, "inv_amt": 0, "line_disc": 0}
    for n in range(2000):
        country, currency = rng.choice(COUNTRIES)
        exp = {"JPY": 0, "OMR": -3, "BHD": -3}.get(currency, -2)
        inclusive = rng.random() < 0.4
        seller = rng.choice(["MH", "KA", None])
        buyer = rng.choice(["MH", "KA", None]) if seller else None
        rates = preset_rates(country) if country != "US" else [D(0), D("6.25"), D("8.875")]
        lines = []
        for _ in range(rng.randint(1, 12)):
            qty = _rand_decimal(rng, 50, rng.choice([0, 0, 1, 3])) or D(1)
            price = _rand_decimal(rng, rng.choice([1, 100, 10000]), rng.choice([0, 2, 3, 4]))
            gross = _half_up(qty * price, exp)
            kw: dict[str, Any] = {}
            roll = rng.random()
            if roll < 0.25:
                kw["discount_percent"] = _rand_decimal(rng, 100, 2).min(D(100))
            elif roll < 0.4:
                kw["discount_amount"] = _half_up(gross * D(rng.random()), exp)
            rate = rng.choice([*rates, None])
            lines.append(LineInput("x", qty, price, None, tax_rate=rate, **kw))
        after = sum(
            (
                _half_up(qty * price, exp)
                - (
                    _half_up(
                        _half_up(li.quantity * li.unit_price, exp) * li.discount_percent / 100, exp
                    )
                    if li.discount_percent is not None
                    else (li.discount_amount or D(0))
                )
                for li, qty, price in ((li, li.quantity, li.unit_price) for li in lines)
            ),
            D(0),
        )
        inv: dict[str, Decimal] = {}
        roll = rng.random()
        if roll < 0.3:
            inv["invoice_discount_percent"] = _rand_decimal(rng, 30, 1)
            expected_inv = _half_up(after * inv["invoice_discount_percent"] / 100, exp)
            seen["inv_pct"] += 1
        elif roll < 0.5:
            inv["invoice_discount_amount"] = _half_up(after * D(rng.random()), exp)
            expected_inv = inv["invoice_discount_amount"]
            seen["inv_amt"] += 1
        else:
            expected_inv = D(0)
        ctx = TaxContext(country, currency, inclusive, seller, buyer)
        t = compute_invoice(lines, ctx, **inv)
        where = f"invoice {n}: {ctx} {inv}"

        # the invoice adds up, to the minor unit
        assert t.subtotal - t.discount_total + t.tax_total == t.total, where
        assert t.subtotal - t.discount_total == t.taxable_total, where
        assert sum((c.amount for c in t.components), D(0)) == t.tax_total, where
        assert sum((lt.total for lt in t.lines), D(0)) == t.total, where
        assert sum((lt.tax for lt in t.lines), D(0)) == t.tax_total, where
        assert sum((lt.invoice_discount_share for lt in t.lines), D(0)) == expected_inv, where
        assert t.invoice_discount == expected_inv, where
        figures = [t.subtotal, t.discount_total, t.taxable_total, t.tax_total, t.total]
        for c in t.components:
            figures += [c.taxable, c.amount]
            members = [
                lt
                for lt in t.lines
                if any(x.name == c.name and x.rate == c.rate for x in lt.components)
            ]
            assert c.taxable == sum((lt.taxable for lt in members), D(0)), where
        for src, lt in zip(lines, t.lines, strict=True):
            figures += [lt.gross, lt.discount, lt.net_gross, lt.net_discount, lt.taxable, lt.tax]
            figures += [lt.total, *(c.amount for c in lt.components)]
            rate = src.tax_rate if src.tax_rate is not None else default_rate(country)
            assert lt.tax_rate == rate, where
            assert lt.gross == _half_up(src.quantity * src.unit_price, exp), where
            assert lt.discount == lt.line_discount + lt.invoice_discount_share, where
            assert lt.line_discount + lt.invoice_discount_share <= lt.gross, where
            assert lt.net_gross - lt.net_discount == lt.taxable, where
            assert lt.taxable + lt.tax == lt.total, where
            assert sum((c.amount for c in lt.components), D(0)) == lt.tax, where
            paid = lt.gross - lt.discount
            if inclusive:
                seen["inclusive"] += 1
                assert lt.total == paid, where
            else:
                assert lt.taxable == paid and lt.net_gross == lt.gross, where
            # each component is the exact tax rounded once, half-up
            for c in lt.components:
                exact = paid * c.rate / (100 + rate) if inclusive else paid * c.rate / 100
                assert c.amount == _half_up(exact, exp), where
            names = [c.name for c in lt.components]
            if country == "IN" and (buyer is None or buyer == seller):
                seen["intra"] += 1
                assert names == ["CGST", "SGST"], where
                assert lt.components[0].amount == lt.components[1].amount, where
                assert lt.components[0].rate * 2 == rate, where
            elif country == "IN":
                seen["inter"] += 1
                assert names == ["IGST"] and lt.components[0].rate == rate, where
            else:
                assert names == ["TAX" if country in ("US", "JP", "BH") else "VAT"], where
            if src.discount_percent is not None or src.discount_amount:
                seen["line_disc"] += 1
        # every figure is in the currency's minor units and never negative
        for value in figures:
            assert value.as_tuple().exponent == exp and value >= 0, (where, value)
    assert min(seen.values()) > 200, seen


# ------------------------------------------------------------------ validation


def test_all_field_errors_are_reported_at_once() -> None:
    lines = [
        LineInput(" ", D(0), D("-1")),
        LineInput("ok", D("-2.5"), D("10"), discount_percent=D(101)),
        LineInput("bad slab", D(1), D(10), tax_rate=D(17)),
        LineInput("too much off", D(2), D("5.00"), discount_amount=D("10.01")),
        LineInput("both", D(1), D(5), discount_percent=D(1), discount_amount=D(1)),
        LineInput("nan", D("NaN"), D("Infinity")),
        LineInput("float", 1.5, D(1)),  # type: ignore[arg-type]
        LineInput("fine", D(1), D(1)),
    ]
    with pytest.raises(ValidationFailed) as exc:
        compute_invoice(
            lines,
            TaxContext("IN", "INR"),
            invoice_discount_percent=D("-1"),
        )
    assert field_errors(exc) == {
        "lines.0.description": "REQUIRED",
        "lines.0.quantity": "OUT_OF_RANGE",
        "lines.0.unitPrice": "OUT_OF_RANGE",
        "lines.1.quantity": "OUT_OF_RANGE",
        "lines.1.discountPercent": "OUT_OF_RANGE",
        "lines.2.taxRate": "NOT_ALLOWED",
        "lines.3.discountAmount": "OUT_OF_RANGE",
        "lines.4.discountAmount": "CONFLICT",
        "lines.5.quantity": "INVALID",
        "lines.5.unitPrice": "INVALID",
        "lines.6.quantity": "INVALID",
        "invoiceDiscountPercent": "OUT_OF_RANGE",
    }
    assert (
        "lines.2.taxRate: 17 % is not a tax rate in IN; choose one of 0, 0.25, 3, 5, 12, 18, 28"
        in exc.value.message
    )


@pytest.mark.parametrize(
    ("country", "currency", "rate", "ok"),
    [
        ("IN", "INR", "0.25", True),
        ("IN", "INR", "28", True),
        ("IN", "INR", "28.000", True),
        ("IN", "INR", "2.5", False),
        ("IN", "INR", "15", False),
        ("KE", "KES", "8", True),
        ("KE", "KES", "14", False),
        ("OM", "OMR", "0", True),
        ("OM", "OMR", "10", False),
        ("ZA", "ZAR", "15", True),
        ("ZA", "ZAR", "14", False),
        ("US", "USD", "8.875", True),
        ("US", "USD", "100", True),
        ("US", "USD", "100.01", False),
        ("US", "USD", "-1", False),
        ("US", "USD", "1.23456", False),
    ],
)
def test_tax_rate_rules(country: str, currency: str, rate: str, ok: bool) -> None:
    call = lambda: compute_invoice([line("1", "10", rate)], TaxContext(country, currency))  # noqa: E731
    if ok:
        assert call().lines[0].tax_rate == D(rate)
    else:
        with pytest.raises(ValidationFailed) as exc:
            call()
        assert list(field_errors(exc)) == ["lines.0.taxRate"]


def test_context_and_invoice_level_errors() -> None:
    with pytest.raises(ValidationFailed) as exc:
        compute_invoice([], TaxContext("XX", "RUPEE"))
    assert field_errors(exc) == {"country": "INVALID", "currency": "INVALID", "lines": "REQUIRED"}
    with pytest.raises(ValidationFailed) as exc:
        compute_invoice([line("1", "1")], TaxContext("EU", "QQQ"))  # well-formed, not real
    assert field_errors(exc) == {"country": "INVALID", "currency": "INVALID"}

    with pytest.raises(ValidationFailed) as exc:
        compute_invoice(
            [line("1", "10")],
            TaxContext("KE", "KES"),
            invoice_discount_percent=D(5),
            invoice_discount_amount=D(1),
        )
    assert field_errors(exc) == {"invoiceDiscountAmount": "CONFLICT"}

    with pytest.raises(ValidationFailed) as exc:
        compute_invoice(
            [line("1", "10", discount_amount=D(4)), line("1", "5")],
            TaxContext("KE", "KES"),
            invoice_discount_amount=D("11.01"),
        )
    assert field_errors(exc) == {"invoiceDiscountAmount": "OUT_OF_RANGE"}
    # exactly the remaining amount is fine
    t = compute_invoice(
        [line("1", "10", discount_amount=D(4)), line("1", "5")],
        TaxContext("KE", "KES"),
        invoice_discount_amount=D("11.00"),
    )
    assert t.total == 0

    with pytest.raises(ValidationFailed) as exc:
        compute_invoice([line("1", "10")], TaxContext("ZA", "ZAR"), invoice_discount_percent=D(101))
    assert field_errors(exc) == {"invoiceDiscountPercent": "OUT_OF_RANGE"}


def test_amounts_finer_than_the_currency_are_refused() -> None:
    with pytest.raises(ValidationFailed) as exc:
        compute_invoice(
            [line("1", "10", discount_amount=D("0.001"))],
            TaxContext("IN", "INR"),
            invoice_discount_amount=D("0.005"),
        )
    assert field_errors(exc) == {
        "lines.0.discountAmount": "PRECISION",
        "invoiceDiscountAmount": "PRECISION",
    }
    t = compute_invoice(
        [line("1", "10", discount_amount=D("0.001"))],
        TaxContext("OM", "OMR"),
        invoice_discount_amount=D("0.005"),
    )
    assert str(t.discount_total) == "0.006"


def test_quantity_and_price_bounds() -> None:
    with pytest.raises(ValidationFailed) as exc:
        compute_invoice(
            [line("0.00001", "1"), line("1", "0.00001"), line("1000000000000", "1")],
            TaxContext("IN", "INR"),
        )
    assert field_errors(exc) == {
        "lines.0.quantity": "OUT_OF_RANGE",
        "lines.1.unitPrice": "OUT_OF_RANGE",
        "lines.2.quantity": "OUT_OF_RANGE",
    }
    with pytest.raises(ValidationFailed) as exc:
        compute_invoice([line("999999999", "9999999")], TaxContext("IN", "INR"))
    assert field_errors(exc) == {"lines.0.unitPrice": "OUT_OF_RANGE"}
    # quantities are decimals: 2.5 kg
    t = compute_invoice([line("2.5000", "40.00000", unit="kg")], TaxContext("KE", "KES"))
    assert t.lines[0].unit == "kg" and str(t.total) == "116.00"


def test_invoice_total_bound() -> None:
    big = line("99999999", "9999999", "28")  # just under the line bound; 28 % pushes past
    with pytest.raises(ValidationFailed) as exc:
        compute_invoice([big] * 2, TaxContext("IN", "INR"))
    assert field_errors(exc) == {"lines": "OUT_OF_RANGE"}


def test_validation_errors_carry_the_domain_code() -> None:
    with pytest.raises(ValidationFailed) as exc:
        compute_invoice([line("0", "1")], TaxContext("OM", "OMR"))
    assert exc.value.code == "VALIDATION_FAILED"
    assert exc.value.errors[0].field == "lines.0.quantity"


def test_equal_rates_share_one_canonical_form_and_zero_has_no_sign() -> None:
    # "18.00" and "18" are the same rate; "-0" and "0" too (never a "-0" component).
    t = compute_invoice(
        [line("1", "100", "-0"), line("1", "100", "0.0"), line("1", "100", "16.00")],
        TaxContext("KE", "KES"),
    )
    assert [str(x.tax_rate) for x in t.lines] == ["0", "0", "16"]
    assert comps(t) == [("VAT", "0", "200.00", "0.00"), ("VAT", "16", "100.00", "16.00")]
    # precision that only trailing zeros carry is accepted; a fifth real place is not
    t = compute_invoice([line("2.50000000", "40.00000", "16.0000")], TaxContext("KE", "KES"))
    assert str(t.total) == "116.00"
    with pytest.raises(ValidationFailed) as exc:
        compute_invoice([line("2.00001", "40.000001")], TaxContext("KE", "KES"))
    assert field_errors(exc) == {
        "lines.0.quantity": "OUT_OF_RANGE",
        "lines.0.unitPrice": "OUT_OF_RANGE",
    }
