"""The tax and totals engine: rounding tables per country, inclusive pricing, GST split,"""

from __future__ import annotations

from domain.invoicing.tax import (
    TaxContext,
    compute_invoice,
)
from tests.invoicing.tax_helpers import D, line, summary


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
