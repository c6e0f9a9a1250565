"""Invoice and statement PDFs for the four countries, and the HTML preview."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import segno
from pypdf import PdfReader

from domain.core.money import quantize
from domain.invoicing.documents import (
    DocumentLine,
    InvoiceDocument,
    PartyBlock,
    PaymentDetails,
    StatementDocument,
    StatementEntry,
    TaxLine,
    TemplateOptions,
)
from domain.invoicing.pdf.formatting import Formatter, babel_locale
from domain.invoicing.pdf.invoice import render_invoice_pdf
from domain.invoicing.pdf.preview import render_invoice_html
from domain.invoicing.pdf.statement import render_statement_pdf

COUNTRIES = {
    "IN": dict(
        currency="INR",
        locale="en_IN",
        business=PartyBlock(
            "Sharma Agro Traders",
            "शर्मा एग्रो ट्रेडर्स",
            ["14 Market Yard, Gultekdi", "Pune, Maharashtra 411037"],
            "27AAPFU0939F1ZV",
            "+91 98220 12345",
            "accounts@sharma-agro.in",
        ),
        customer=PartyBlock(
            "राम कुमार",
            "Ram Kumar (प्रिया शर्मा के लिए)",
            ["Plot 7, Shivaji Nagar", "Nashik, Maharashtra 422005"],
            "27ABCDE1234F1Z5",
            "+91 99876 54321",
            None,
        ),
        taxes=[("CGST", Decimal(9)), ("SGST", Decimal(9))],
        payment=PaymentDetails(
            bank_name="HDFC Bank",
            account_name="Sharma Agro Traders",
            account_number="50200012345678",
            ifsc_or_branch="HDFC0001234",
            upi_id="sharmaagro@hdfcbank",
        ),
        symbol="₹",
    ),
    "KE": dict(
        currency="KES",
        locale="en_KE",
        business=PartyBlock(
            "Mwangi Web Services Ltd",
            None,
            ["Kimathi Street 123", "Nairobi 00100"],
            "P051234567X",
            "+254 722 123456",
            "billing@mwangi.co.ke",
        ),
        customer=PartyBlock(
            "Wanjiku Kamau", None, ["Moi Avenue 45", "Mombasa"], "A009876543Z", None, None
        ),
        taxes=[("VAT", Decimal(16))],
        payment=PaymentDetails(
            bank_name="Equity Bank",
            account_number="0180291234567",
            mpesa_paybill="247247",
            mpesa_account="INV-00042",
        ),
        symbol="Ksh",
    ),
    "OM": dict(
        currency="OMR",
        locale="ar_OM",
        business=PartyBlock(
            "Al Noor Trading LLC",
            "شركة النور للتجارة",
            ["Way 3021, Al Khuwair", "Muscat 133"],
            "OM1100012345",
            "+968 9123 4567",
            "sales@alnoor.om",
        ),
        customer=PartyBlock(
            "محمد البلوشي",
            "Mohammed Al Balushi",
            ["صحار، شارع الميناء"],
            None,
            "+968 9988 7766",
            "m.balushi@example.om",
        ),
        taxes=[("VAT", Decimal(5))],
        payment=PaymentDetails(
            bank_name="Bank Muscat", account_name="Al Noor Trading", account_number="0301012345678"
        ),
        symbol="ر.ع.",
    ),
    "ZA": dict(
        currency="ZAR",
        locale="en_ZA",
        business=PartyBlock(
            "Ndlovu Plumbing (Pty) Ltd",
            None,
            ["12 Long Street", "Cape Town 8001"],
            "4123456789",
            "+27 21 555 0101",
            None,
        ),
        customer=PartyBlock("Thandiwe Nkosi", None, ["8 Jan Smuts Ave", "Johannesburg"]),
        taxes=[("VAT", Decimal(15))],
        payment=PaymentDetails(
            bank_name="FNB", account_number="62812345678", ifsc_or_branch="Branch 250655"
        ),
        symbol="R",
    ),
}

ITEMS = [
    ("Web hosting — business plan", Decimal(3), "months", Decimal("15000")),
    ("Urea fertilizer 50 kg bags", Decimal(2), "bags", Decimal("266.50")),
    ("DAP", Decimal("1.5"), "t", Decimal("1350")),
    (
        "On-site installation and configuration of the point-of-sale terminals, including "
        "staff training for two shifts, cabling, and a follow-up visit after thirty days",
        Decimal(1),
        None,
        Decimal("48250.75"),
    ),
]


def make_invoice(
    country: str = "IN",
    n_lines: int = 4,
    *,
    number: str = "INV-00042",
    status: str = "partially_paid",
    template: TemplateOptions | None = None,
    description: str | None = None,
) -> InvoiceDocument:
    c = COUNTRIES[country]
    currency: str = c["currency"]  # type: ignore[assignment]
    taxes_spec: list[tuple[str, Decimal]] = c["taxes"]  # type: ignore[assignment]
    rate = sum((r for _, r in taxes_spec), Decimal(0))
    lines = []
    for i in range(n_lines):
        desc, qty, unit, price = ITEMS[i % len(ITEMS)]
        if description is not None and i == 0:
            desc = description
        gross = quantize(qty * price, currency)
        discount = quantize(gross * Decimal("0.05"), currency) if i % 3 == 1 else Decimal(0)
        taxable = gross - discount
        tax = sum((quantize(taxable * r / 100, currency) for _, r in taxes_spec), Decimal(0))
        lines.append(DocumentLine(desc, qty, unit, price, discount, rate, tax, taxable + tax))
    subtotal = sum((quantize(ln.quantity * ln.unit_price, currency) for ln in lines), Decimal(0))
    discount_total = sum((ln.discount for ln in lines), Decimal(0))
    taxes = [
        TaxLine(
            name,
            r,
            sum(
                (
                    quantize(
                        (quantize(ln.quantity * ln.unit_price, currency) - ln.discount) * r / 100,
                        currency,
                    )
                    for ln in lines
                ),
                Decimal(0),
            ),
        )
        for name, r in taxes_spec
    ]
    total = subtotal - discount_total + sum((t.amount for t in taxes), Decimal(0))
    paid = quantize(total / 4, currency)
    return InvoiceDocument(
        number=number,
        issue_date=date(2026, 3, 2),
        due_date=date(2026, 4, 1),
        currency=currency,
        locale=c["locale"],  # type: ignore[arg-type]
        business=c["business"],  # type: ignore[arg-type]
        customer=c["customer"],  # type: ignore[arg-type]
        lines=lines,
        subtotal=subtotal,
        discount_total=discount_total,
        taxes=taxes,
        total=total,
        amount_paid=paid,
        balance_due=total - paid,
        notes="Thank you for your business.",
        terms="Payment due within 30 days. Late payments attract 1.5% interest per month.",
        payment_link=f"https://pay.khata.example/i/{country.lower()}7Qk2mZ9xWc4Rt",
        payment=c["payment"],  # type: ignore[arg-type]
        template=template or TemplateOptions(footer_terms="Goods once sold are not returnable."),
        status=status,
    )


def make_statement(n_entries: int = 1000, country: str = "KE") -> StatementDocument:
    c = COUNTRIES[country]
    currency: str = c["currency"]  # type: ignore[assignment]
    opening = Decimal("12500.00")
    balance = opening
    start = date(2025, 1, 1)
    entries = []
    for i in range(n_entries):
        day = start + timedelta(days=i // 3)
        if i % 3 == 2:
            credit = quantize(Decimal(900 + (i * 37) % 5000), currency)
            balance -= credit
            entries.append(
                StatementEntry(
                    day,
                    "payment",
                    f"MPESA-QX{i:05d}",
                    "Payment (M-Pesa)",
                    Decimal(0),
                    credit,
                    balance,
                )
            )
        elif i % 50 == 7:
            credit = Decimal("250.00")
            balance -= credit
            entries.append(
                StatementEntry(
                    day,
                    "credit_note",
                    f"CN-{i:05d}",
                    "Credit for damaged goods returned at delivery, agreed with the driver and the store manager on site",
                    Decimal(0),
                    credit,
                    balance,
                )
            )
        else:
            debit = quantize(Decimal(1200 + (i * 53) % 9000) + Decimal("0.50"), currency)
            balance += debit
            entries.append(
                StatementEntry(
                    day,
                    "invoice",
                    f"INV-{i:05d}",
                    f"Invoice INV-{i:05d}",
                    debit,
                    Decimal(0),
                    balance,
                )
            )
    return StatementDocument(
        business=c["business"],  # type: ignore[arg-type]
        customer=c["customer"],  # type: ignore[arg-type]
        currency=currency,
        locale=c["locale"],  # type: ignore[arg-type]
        period_start=start,
        period_end=entries[-1].date if entries else start,
        opening_balance=opening,
        entries=entries,
        closing_balance=balance,
        aging={
            "current": Decimal("15000.00"),
            "1-30": Decimal("8200.50"),
            "31-60": Decimal("0.00"),
            "61-90": Decimal("1200.00"),
            "90+": Decimal("300.00"),
        },
    )


# --------------------------------------------------------------------------- helpers


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _squash(text: str) -> str:
    """Extracted Indic text carries spaces between glyph clusters and stray control
    characters where marks were reordered; compare without them."""
    return "".join(ch for ch in text if ch.isprintable() and not ch.isspace())


def _line_with(pages: list[str], label: str) -> str:
    for page in pages:
        for line in page.splitlines():
            if line.startswith(label):
                return line
    raise AssertionError(f"no line starts with {label!r}")


def _qr_images(pdf: bytes) -> list:
    return [img.image for page in PdfReader(io.BytesIO(pdf)).pages for img in page.images]


def _assert_qr_encodes(image, link: str) -> None:
    """The embedded image is the QR code of ``link``, module for module."""
    qr = segno.make(link, error="m", micro=False)
    border = 2
    size = qr.symbol_size(scale=1, border=border)[0]
    assert image.size == (size, size)
    gray = image.convert("L")
    for y, row in enumerate(qr.matrix):
        for x, dark in enumerate(row):
            pixel = gray.getpixel((x + border, y + border))
            assert (pixel < 128) == bool(dark), (x, y)


def _fonts(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources: Any = page["/Resources"].get_object()
        for font in resources["/Font"].get_object().values():
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return names


# --------------------------------------------------------------------------- invoices


@pytest.mark.parametrize("country", ["IN", "KE", "OM", "ZA"])
def test_invoice_pdf_per_country(country: str) -> None:
    doc = make_invoice(country, 10)
    pdf = render_invoice_pdf(doc)
    assert pdf.startswith(b"%PDF-")
    pages = _text(pdf)
    text = "\n".join(pages)
    fmt = Formatter(doc.currency, doc.locale)

    assert doc.number in text
    if country == "OM":  # right-to-left words are extracted in visual (reversed) order
        assert all(word in text for word in doc.customer.name.split())
        assert " ".join(reversed(doc.customer.name.split())) in text
    else:
        assert _squash(doc.customer.name) in _squash(text)
    for line in doc.business.lines:
        assert line in text
    for tax in doc.taxes:
        assert f"{tax.name} ({fmt.rate(tax.rate)})" in text
    total = fmt.money(doc.total)
    assert COUNTRIES[country]["symbol"] in total  # type: ignore[operator]
    total_line = _line_with(pages, "Total")
    if country == "OM":
        # right-to-left: the extracted glyphs come in visual order
        assert sorted(total_line.removeprefix("Total ")) == sorted(total)
        assert "244,084.379" in total
    else:
        assert total_line == f"Total {total}"
    assert f"Balance due {fmt.money(doc.balance_due)}" in text or country == "OM"
    assert f"Page 1 of {len(pages)}" in text

    images = _qr_images(pdf)
    assert len(images) == 1
    assert doc.payment_link is not None
    _assert_qr_encodes(images[0], doc.payment_link)


def test_expected_formatting_per_locale() -> None:
    assert Formatter("INR", "en_IN").money(Decimal("205728.26")) == "₹2,05,728.26"
    assert Formatter("KES", "en_KE").money(Decimal("1500")) == "Ksh1,500.00"
    assert Formatter("KES", "sw_KE").money(Decimal("1500")) == "Ksh\xa01,500.00"
    assert "ر.ع." in Formatter("OMR", "ar_OM").money(Decimal("1.5"))
    assert Formatter("OMR", "ar_OM").amount(Decimal("1.5")) == "1.500"
    assert Formatter("ZAR", "en_ZA").money(Decimal("1234.5")) == "R1\xa0234,50"
    # babel has no en_OM: the language's formats apply
    assert babel_locale("en_OM") == babel_locale("en")
    assert Formatter("OMR", "en_OM").money(Decimal("-2.25")) == "-OMR2.250"


def test_arabic_and_devanagari_names_use_the_shipped_fonts() -> None:
    arabic = _fonts(render_invoice_pdf(make_invoice("OM", 3)))
    assert {"NotoSans", "NotoSansBold", "NotoSansArabic", "NotoSansArabicBold"} <= arabic
    assert not any("Devanagari" in f for f in arabic)
    hindi = _fonts(render_invoice_pdf(make_invoice("IN", 3)))
    assert {"NotoSansDevanagari", "NotoSansDevanagariBold"} <= hindi
    assert not any("Arabic" in f for f in hindi)
    latin = _fonts(render_invoice_pdf(make_invoice("ZA", 3)))
    assert latin == {"NotoSans", "NotoSansBold"}  # unused fallback fonts are not embedded


def test_arabic_text_extracts_word_by_word() -> None:
    text = "\n".join(_text(render_invoice_pdf(make_invoice("OM", 2))))
    for word in ("محمد", "البلوشي", "شركة", "النور", "للتجارة"):
        assert word in text


def test_long_invoice_repeats_the_table_heading_and_wraps_descriptions() -> None:
    long_word = "SKU-" + "X" * 150
    doc = make_invoice("KE", 80, description=f"Spare part {long_word} as ordered")
    pages = _text(render_invoice_pdf(doc))
    assert len(pages) >= 4
    line_pages = [p for p in pages if "Urea fertilizer" in p]
    assert len(line_pages) >= 3
    for page in line_pages:
        assert "Description Qty Unit Unit price Discount Tax 16% Amount" in page
    assert "(continued)" in pages[1]
    text = "\n".join(pages)
    assert "On-site installation and\nconfiguration of the point-of-sale" in text
    # an unbreakable word is split across lines, nothing lost
    assert long_word in text.replace("\n", "")
    assert long_word not in text
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    assert all("Goods once sold are not returnable." in page for page in pages)


def test_names_beyond_the_common_latin_glyphs() -> None:
    """Glyph sets differ from the cached common one: each still embeds what it shows."""
    for name in ("Zoë Ñúñez-Ødegård", "Иван Петров", "Nguyễn Thị Hà", "Ελένη"):
        base = make_invoice("ZA", 1)
        doc = InvoiceDocument(**{**base.__dict__, "customer": PartyBlock(name)})
        assert name in "\n".join(_text(render_invoice_pdf(doc)))


def test_template_columns_and_tax_display() -> None:
    template = TemplateOptions(
        columns=["description", "quantity", "unit_price", "total"],
        show_tax_breakdown=False,
        show_discount=False,
        footer_terms="Thank you - Asante",
        accent_color="#0B6E4F",
    )
    doc = make_invoice("IN", 3, template=template)
    text = "\n".join(_text(render_invoice_pdf(doc)))
    assert "Description Qty Unit price Amount" in text
    assert "CGST" not in text and "Discount" not in text
    fmt = Formatter(doc.currency, doc.locale)
    assert f"Tax {fmt.money(sum((t.amount for t in doc.taxes), Decimal(0)))}" in text
    assert "Thank you - Asante" in text


def test_mixed_tax_rates_show_rate_per_line() -> None:
    doc = make_invoice("KE", 2)
    zero_rated = DocumentLine(
        "Maize flour",
        Decimal(1),
        "bag",
        Decimal(100),
        Decimal(0),
        Decimal(0),
        Decimal(0),
        Decimal(100),
    )
    doc = InvoiceDocument(**{**doc.__dict__, "lines": [*doc.lines, zero_rated]})
    text = "\n".join(_text(render_invoice_pdf(doc)))
    assert "Tax Amount" in text
    assert "0%" in text and "16%" in text


def test_template_options_validate() -> None:
    with pytest.raises(ValueError, match="unknown template columns"):
        TemplateOptions(columns=["description", "sku"])
    with pytest.raises(ValueError, match="accent_color"):
        TemplateOptions(accent_color="blue")


def test_invoice_without_payment_link_or_details() -> None:
    doc = make_invoice("ZA", 1)
    doc = InvoiceDocument(
        **{**doc.__dict__, "payment_link": None, "payment": None, "status": "draft"}
    )
    pdf = render_invoice_pdf(doc)
    assert _qr_images(pdf) == []
    text = "\n".join(_text(pdf))
    assert "DRAFT" in text and "HOW TO PAY" not in text


def test_rendering_is_repeatable_and_thread_safe() -> None:
    from concurrent.futures import ThreadPoolExecutor

    docs = [
        make_invoice(c, 6, number=f"INV-{i:05d}")
        for i, c in enumerate(["IN", "KE", "OM", "ZA"] * 3)
    ]
    expected = [_text(render_invoice_pdf(d)) for d in docs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(render_invoice_pdf, docs))
    assert [_text(pdf) for pdf in results] == expected


def test_plain_fpdf2_subsetting_gives_the_same_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from domain.invoicing.pdf import subsetting

    doc = make_invoice("OM", 4)
    cached = _text(render_invoice_pdf(doc))
    monkeypatch.setattr(subsetting, "SUBSET_CACHE_ON", False)
    assert _text(render_invoice_pdf(doc)) == cached


def test_shipped_fonts_and_license() -> None:
    from domain.invoicing.pdf.fonts import FONT_DIR, FONT_FILES

    for _, _, name in FONT_FILES:
        assert (FONT_DIR / name).is_file()
    assert "SIL OPEN FONT LICENSE" in (FONT_DIR / "OFL.txt").read_text()


# --------------------------------------------------------------------------- statements


def test_statement_pdf_with_1000_entries() -> None:
    doc = make_statement(1000)
    pages = _text(render_statement_pdf(doc))
    assert len(pages) > 10
    fmt = Formatter(doc.currency, doc.locale)
    first = pages[0]
    assert "STATEMENT" in first and doc.customer.name in first
    assert f"Closing balance {fmt.money(doc.closing_balance)}" in first
    assert f"Opening balance {fmt.money(doc.opening_balance)}" in first
    for page in pages:
        assert "Date Type Reference Description Debit Credit Balance" in page
    for page in pages[1:]:
        assert "(continued)" in page
    text = "\n".join(pages)
    assert "INV-00000" in text and "MPESA-QX00998" in text
    last = pages[-1]
    assert f"Closing balance {fmt.amount(doc.closing_balance)}" in last
    assert "Current 1\u201330 days 31\u201360 days 61\u201390 days 90+ days" in last
    assert fmt.money(doc.aging["1-30"]) in last
    # running balances in order
    assert text.index(fmt.amount(doc.entries[10].balance)) < text.index(
        fmt.amount(doc.entries[500].balance)
    )


def test_statement_with_arabic_customer_and_no_entries() -> None:
    doc = make_statement(0, country="OM")
    text = "\n".join(_text(render_statement_pdf(doc)))
    assert "محمد" in text and "Opening balance" in text
    assert "Closing balance" in text


# --------------------------------------------------------------------------- HTML


def test_html_preview_escapes_everything() -> None:
    evil = '<script>alert("x")</script>'
    doc = make_invoice("KE", 2)
    doc = InvoiceDocument(
        **{
            **doc.__dict__,
            "customer": PartyBlock(f"Acme {evil}", None, [evil], None, None, "a@b.c"),
            "notes": evil,
            "lines": [
                DocumentLine(
                    evil,
                    Decimal(1),
                    "<b>",
                    Decimal(1),
                    Decimal(0),
                    Decimal(16),
                    Decimal("0.16"),
                    Decimal("1.16"),
                )
            ],
            "payment_link": 'https://pay.example/"><script>x</script>',
        }
    )
    page = render_invoice_html(doc)
    assert "<script>" not in page and "</script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;" in page
    assert page.startswith("<!doctype html>")
    assert "data:image/svg+xml" in page  # the QR code


def test_html_preview_contents() -> None:
    doc = make_invoice("OM", 2)
    page = render_invoice_html(doc)
    fmt = Formatter(doc.currency, doc.locale)
    assert "محمد البلوشي" in page
    assert fmt.money(doc.total) in page
    assert "VAT (5%)" in page and doc.number in page
    assert 'lang="ar-OM"' in page


def test_rendering_logs_nothing_at_info_from_fonttools() -> None:
    """In a process whose logging is set up as `khata serve` sets it up (INFO), a PDF
    whose fonts are subsetted afresh writes no fontTools line below WARNING."""
    import os
    import subprocess
    import sys

    script = """
import logging
import khata_cli
from domain.invoicing.pdf import invoice, subsetting
from tests.invoicing.test_invoicing_pdf import make_invoice
khata_cli.setup_logging()
logging.getLogger().setLevel(logging.INFO)
subsetting.SUBSET_CACHE_ON = False  # subset every font now, as a first render does
invoice.render_invoice_pdf(make_invoice("IN", 4))
logging.getLogger("khata.test").info("rendered")
"""
    env = {**os.environ, "KHATA_LOG_JSON": "false"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert any("khata.test rendered" in line for line in lines), lines  # INFO does show
    noisy = [line for line in lines if " fontTools" in line and " WARNING " not in line]
    assert noisy == [], noisy[:5]
