"""The tax and totals engine: rounding tables per country, inclusive pricing, GST split,"""

from __future__ import annotations

import pytest

from domain.core.errors import ValidationFailed
from domain.invoicing.tax import (
    LineInput,
    TaxContext,
    compute_invoice,
)
from tests.invoicing.tax_helpers import D, comps, field_errors, line


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
