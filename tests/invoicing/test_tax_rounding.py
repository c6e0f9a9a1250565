"""The tax and totals engine: rounding tables per country, inclusive pricing, GST split,"""

from __future__ import annotations

import pytest

from domain.invoicing.tax import (
    TaxContext,
    compute_invoice,
)
from tests.invoicing.tax_helpers import D, comps, line, summary

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
