"""The customer statement PDF (A4): heading, summary, every entry with a running balance,
the closing balance and the aging of what is outstanding."""

from __future__ import annotations

from decimal import Decimal

from domain.invoicing.documents import StatementDocument, StatementEntry
from domain.invoicing.pdf.fonts import SANS
from domain.invoicing.pdf.formatting import Formatter
from domain.invoicing.pdf.page import MUTED, RULE, ZEBRA, KhataPDF
from domain.invoicing.pdf.tables import Column, Grid

ACCENT = (31, 78, 121)
RIGHT_W = 78.0  # the right-hand column of the heading and summary blocks
KIND_LABELS = {
    "invoice": "Invoice",
    "payment": "Payment",
    "credit_note": "Credit note",
    "opening": "Opening",
}
AGING_LABELS = {
    "current": "Current",
    "1-30": "1\u201330 days",
    "31-60": "31\u201360 days",
    "61-90": "61\u201390 days",
    "90+": "90+ days",
}
COLUMNS = (
    Column("Date", 21.0, "L"),
    Column("Type", 19.0, "L"),
    Column("Reference", 26.0, "L"),
    Column("Description", 0.0, "L"),
    Column("Debit", 24.0, "R"),
    Column("Credit", 24.0, "R"),
    Column("Balance", 26.0, "R"),
)


def render_statement_pdf(doc: StatementDocument) -> bytes:
    """A customer statement as a PDF: opening balance, every entry with a running balance,
    closing balance and aging buckets."""
    fmt = Formatter(doc.currency, doc.locale)
    pdf = KhataPDF(
        footer_left=f"{doc.business.name} · Statement for {doc.customer.name}",
    )
    pdf.set_title(f"Statement {doc.customer.name}")
    pdf.set_author(doc.business.name)
    pdf.add_page()
    _heading(pdf, doc, fmt)
    _summary(pdf, doc, fmt)
    _entries(pdf, doc, fmt)
    if doc.aging:
        _aging(pdf, doc, fmt)
    return pdf.render()


def _heading(pdf: KhataPDF, doc: StatementDocument, fmt: Formatter) -> None:
    """Accent band; the business (left), the period and currency (right); a rule."""
    left, epw = pdf.l_margin, pdf.epw
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, pdf.w, 4, style="F")
    right_x = left + epw - RIGHT_W
    top = pdf.t_margin
    pdf.set_xy(left, top)
    pdf.party(doc.business, epw - RIGHT_W - 8, 14)
    business_bottom = pdf.get_y()
    pdf.set_xy(right_x, top - 1)
    pdf.text_line(RIGHT_W, "STATEMENT", size=20, style="B", color=ACCENT, align="R", height=9)
    pdf.set_y(pdf.get_y() + 1)
    pdf.key_values(
        right_x,
        RIGHT_W,
        [
            ("Period", f"{fmt.date(doc.period_start)} \u2013 {fmt.date(doc.period_end)}"),
            ("Currency", doc.currency),
        ],
        key_width=22,
    )
    pdf.set_y(max(business_bottom, pdf.get_y()) + 6)
    pdf.set_draw_color(*RULE)
    pdf.line(left, pdf.get_y(), left + epw, pdf.get_y())


def _summary(pdf: KhataPDF, doc: StatementDocument, fmt: Formatter) -> None:
    """The customer (left) and the period's sums (right)."""
    left, epw = pdf.l_margin, pdf.epw
    right_x = left + epw - RIGHT_W
    block_top = pdf.get_y() + 4
    pdf.set_xy(left, block_top)
    pdf.label(100, "Statement for", ACCENT)
    pdf.party(doc.customer, epw - RIGHT_W - 8, 11)
    customer_bottom = pdf.get_y()
    debits = sum((e.debit for e in doc.entries), Decimal(0))
    credits = sum((e.credit for e in doc.entries), Decimal(0))
    pdf.set_xy(right_x, block_top)
    pdf.label(RIGHT_W, "Summary", ACCENT)
    pdf.key_values(
        right_x,
        RIGHT_W,
        [
            ("Opening balance", fmt.money(doc.opening_balance)),
            ("Invoiced", fmt.money(debits)),
            ("Paid and credited", fmt.money(credits)),
            ("Closing balance", fmt.money(doc.closing_balance)),
        ],
        key_width=36,
    )
    pdf.set_y(max(customer_bottom, pdf.get_y()) + 6)


def _rows(doc: StatementDocument) -> list[StatementEntry]:
    entries = list(doc.entries)
    if not entries or entries[0].kind != "opening":
        entries.insert(
            0,
            StatementEntry(
                doc.period_start,
                "opening",
                "",
                "Opening balance",
                Decimal(0),
                Decimal(0),
                doc.opening_balance,
            ),
        )
    return entries


def _entries(pdf: KhataPDF, doc: StatementDocument, fmt: Formatter) -> None:
    """The currency caption, the opening balance, each entry and the closing balance."""
    pdf.set_x(pdf.l_margin)
    pdf.text_line(pdf.epw, fmt.caption(), size=7.5, color=MUTED, align="R")
    table = Grid(pdf, COLUMNS, ACCENT, size=8, line_h=4.0)
    pdf.continued = (
        f"Statement {fmt.date(doc.period_start)} \u2013 {fmt.date(doc.period_end)} (continued)"
    )
    table.heading()
    for entry in _rows(doc):
        table.row(
            [
                fmt.date(entry.date),
                KIND_LABELS.get(entry.kind, entry.kind),
                entry.reference,
                entry.description,
                fmt.amount(entry.debit) if entry.debit else "",
                fmt.amount(entry.credit) if entry.credit else "",
                fmt.amount(entry.balance),
            ]
        )
    table.row(
        [
            fmt.date(doc.period_end),
            "",
            "",
            "Closing balance",
            "",
            "",
            fmt.amount(doc.closing_balance),
        ],
        bold=True,
    )


def _aging(pdf: KhataPDF, doc: StatementDocument, fmt: Formatter) -> None:
    """One column per aging bucket: its label over the amount."""
    pdf.set_y(pdf.get_y() + 6)
    pdf.ensure_space(22)
    pdf.set_x(pdf.l_margin)
    pdf.label(pdf.epw, "Aging of the outstanding balance", ACCENT)
    keys = list(doc.aging)
    width = pdf.epw / len(keys)
    pdf.set_font(SANS, "B", 8)
    pdf.set_fill_color(*ZEBRA)
    for key in keys:
        pdf.cell(width, 6, AGING_LABELS.get(key, key), align="C", fill=True)
    pdf.ln(6)
    pdf.set_font(SANS, "", 9)
    for key in keys:
        pdf.cell(width, 7, fmt.money(doc.aging[key]), align="C", border="B")
    pdf.ln(7)
