"""The tax and totals engine: rounding tables per country, inclusive pricing, GST split,"""

from __future__ import annotations

import pytest

from domain.core.errors import ValidationFailed
from domain.invoicing.tax import (
    TaxContext,
    compute_invoice,
)
from tests.invoicing.tax_helpers import comps, field_errors, line, summary


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
