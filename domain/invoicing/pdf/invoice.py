"""The invoice PDF (A4): heading, bill-to and balance due, the lines, totals beside how to
pay (details and the payment link's QR code), then notes and terms."""

from __future__ import annotations

from fpdf.enums import XPos, YPos

from domain.invoicing.documents import InvoiceDocument
from domain.invoicing.pdf.contents import line_table, totals_rows
from domain.invoicing.pdf.fonts import SANS
from domain.invoicing.pdf.formatting import Formatter
from domain.invoicing.pdf.page import INK, MUTED, RULE, KhataPDF
from domain.invoicing.pdf.qr import qr_png
from domain.invoicing.pdf.tables import Column, Grid

Color = tuple[int, int, int]

STATUS_COLORS = {
    "paid": (25, 135, 84),
    "overdue": (200, 35, 51),
    "void": (108, 117, 125),
    "draft": (108, 117, 125),
    "partially_paid": (214, 130, 0),
}
COLUMN_WIDTHS = {  # mm; the description takes what is left of 182 mm
    "quantity": 14.0,
    "unit": 15.0,
    "unit_price": 26.0,
    "discount": 22.0,
    "tax": 24.0,
    "total": 28.0,
}
RIGHT_W = 70.0  # the right-hand column of the heading and bill-to blocks
TOTALS_W, TOTALS_KEY_W = 80.0, 42.0


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice as a PDF (A4)."""
    fmt = Formatter(doc.currency, doc.locale)
    accent = doc.template.accent_rgb()
    pdf = KhataPDF(
        footer_left=f"{doc.business.name} · {doc.title} {doc.number}",
    )
    pdf.set_title(f"{doc.title} {doc.number}")
    pdf.set_author(doc.business.name)
    pdf.set_footer_note(doc.template.footer_terms)
    pdf.add_page()
    _heading(pdf, doc, fmt, accent)
    _bill_to(pdf, doc, fmt, accent)
    _lines(pdf, doc, fmt, accent)
    _totals_and_payment(pdf, doc, fmt, accent)
    _notes_and_terms(pdf, doc, accent)
    return pdf.render()


def _heading(pdf: KhataPDF, doc: InvoiceDocument, fmt: Formatter, accent: Color) -> None:
    """Accent band; the business (left) and the invoice's facts and status (right)."""
    left, epw = pdf.l_margin, pdf.epw
    pdf.set_fill_color(*accent)
    pdf.rect(0, 0, pdf.w, 4, style="F")

    top = pdf.t_margin
    right_x = left + epw - RIGHT_W
    pdf.set_xy(left, top)
    pdf.party(doc.business, epw - RIGHT_W - 8, 14)
    business_bottom = pdf.get_y()

    pdf.set_xy(right_x, top - 1)
    pdf.text_line(RIGHT_W, doc.title.upper(), size=20, style="B", color=accent, align="R", height=9)
    pdf.set_y(pdf.get_y() + 1)
    facts = [(f"{doc.title} no.", doc.number), (doc.date_label, fmt.date(doc.issue_date))]
    if doc.due_date:
        facts.append(("Due date", fmt.date(doc.due_date)))
    facts.extend(doc.extra_facts)
    pdf.key_values(right_x, RIGHT_W, facts, key_width=28)
    status = doc.status.replace("_", " ").upper()
    if status:
        pdf.set_font(SANS, "B", 7.5)
        badge_w = pdf.get_string_width(status) + 6
        y = pdf.get_y() + 1.5
        pdf.set_fill_color(*STATUS_COLORS.get(doc.status, accent))
        pdf.set_text_color(255, 255, 255)
        pdf.set_xy(right_x + RIGHT_W - badge_w, y)
        pdf.cell(badge_w, 5, status, align="C", fill=True)
        pdf.set_text_color(*INK)
        pdf.set_y(y + 5)
    pdf.set_y(max(business_bottom, pdf.get_y()) + 6)


def _bill_to(pdf: KhataPDF, doc: InvoiceDocument, fmt: Formatter, accent: Color) -> None:
    """The customer (left) and the balance due (right), under a rule."""
    left, epw = pdf.l_margin, pdf.epw
    right_x = left + epw - RIGHT_W
    pdf.set_draw_color(*RULE)
    pdf.line(left, pdf.get_y(), left + epw, pdf.get_y())
    block_top = pdf.get_y() + 4
    pdf.set_xy(left, block_top)
    pdf.label(100, "Bill to", accent)
    pdf.party(doc.customer, epw - RIGHT_W - 8, 11)
    customer_bottom = pdf.get_y()
    pdf.set_xy(right_x, block_top)
    pdf.label(RIGHT_W, "Balance due", accent)
    pdf.set_x(right_x)
    pdf.text_line(RIGHT_W, fmt.money(doc.balance_due), size=17, style="B", align="R", height=9)
    if doc.due_date and doc.balance_due > 0:
        pdf.set_x(right_x)
        pdf.text_line(RIGHT_W, f"Due {fmt.date(doc.due_date)}", size=8.5, color=MUTED, align="R")
    pdf.set_y(max(customer_bottom, pdf.get_y()) + 6)


def _lines(pdf: KhataPDF, doc: InvoiceDocument, fmt: Formatter, accent: Color) -> None:
    """The currency caption and the lines table (its heading repeats on every page)."""
    table = line_table(doc, fmt)
    pdf.set_x(pdf.l_margin)
    pdf.text_line(pdf.epw, fmt.caption(), size=7.5, color=MUTED, align="R")
    grid = Grid(
        pdf,
        [
            Column(
                title,
                0.0 if c == "description" else COLUMN_WIDTHS[c],
                "L" if c in ("description", "unit") else "R",
            )
            for c, title in zip(table.columns, table.titles, strict=True)
        ],
        accent,
    )
    pdf.continued = f"{doc.title} {doc.number} (continued)"
    grid.heading()
    for row in table.rows:
        grid.row(row)
    pdf.set_y(pdf.get_y() + 4)


def _totals_and_payment(pdf: KhataPDF, doc: InvoiceDocument, fmt: Formatter, accent: Color) -> None:
    """Totals (right) and, beside them, how to pay (left), kept together on one page."""
    totals = totals_rows(doc, fmt)
    pay_w = pdf.epw - TOTALS_W - 8
    rows = doc.payment.rows() if doc.payment else []
    link = doc.payment_link
    qr = 27.0 if link else 0.0
    totals_h = sum(7 if strong else 6 for _, _, strong in totals)
    pay_h = max(5 + 4.3 * len(rows), qr + 4) + (8 if link else 0) if rows or link else 0
    pdf.ensure_space(max(totals_h, pay_h) + 2)
    top = pdf.get_y()
    _totals(pdf, totals, accent)
    bottom = pdf.get_y()
    if rows or link:
        pdf.set_xy(pdf.l_margin, top)
        pdf.label(pay_w, "How to pay", accent)
        if rows:
            details_w = pay_w - (qr + 4 if qr else 0)
            pdf.key_values(pdf.l_margin, details_w, rows, key_width=25, size=8, align_value="L")
        pay_bottom = pdf.get_y()
        if link:
            pay_bottom = _payment_link(pdf, link, top, pay_w, qr, pay_bottom, accent)
        bottom = max(bottom, pay_bottom)
    pdf.set_y(bottom + 6)


def _totals(pdf: KhataPDF, totals: list[tuple[str, str, bool]], accent: Color) -> None:
    tot_x = pdf.l_margin + pdf.epw - TOTALS_W
    for key, value, strong in totals:
        y = pdf.get_y()
        if strong:
            pdf.set_draw_color(*RULE)
            pdf.line(tot_x, y, tot_x + TOTALS_W, y)
            y += 1
        pdf.set_xy(tot_x, y)
        pdf.set_font(SANS, "B" if strong else "", 10 if strong else 9)
        pdf.set_text_color(*(INK if strong else MUTED))
        pdf.cell(TOTALS_KEY_W, 6, key)
        pdf.set_text_color(*(accent if key == "Balance due" else INK))
        pdf.cell(TOTALS_W - TOTALS_KEY_W, 6, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)


def _payment_link(
    pdf: KhataPDF, link: str, top: float, pay_w: float, qr: float, below: float, accent: Color
) -> float:
    """The QR code at the right of the payment column, "Scan to pay" under it and the link
    itself under both; answers where the column ends."""
    left = pdf.l_margin
    qr_x = left + pay_w - qr
    pdf.image(qr_png(link), x=qr_x, y=top, w=qr, h=qr, link=link)
    pdf.set_xy(qr_x - 5, top + qr + 0.3)
    pdf.text_line(qr + 10, "Scan to pay", size=7.5, style="B", align="C", height=3.6)
    pdf.set_xy(left, max(below, pdf.get_y()) + 1)
    pdf.set_font(SANS, "", 6.5)
    pdf.set_text_color(*accent)
    for part in pdf.wrap(link, pay_w):
        pdf.set_x(left)
        pdf.cell(pay_w, 3.2, part, link=link, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    return pdf.get_y()


def _notes_and_terms(pdf: KhataPDF, doc: InvoiceDocument, accent: Color) -> None:
    """Notes and terms, kept together when they fit on a page."""
    left, epw = pdf.l_margin, pdf.epw
    blocks = [(title, body) for title, body in (("Notes", doc.notes), ("Terms", doc.terms)) if body]
    pdf.set_font(SANS, "", 8.5)
    heights = [7 + 4 * len(pdf.wrap(body, epw)) for _, body in blocks]
    if sum(heights) < pdf.page_break_trigger - pdf.t_margin:
        pdf.ensure_space(sum(heights))
    for (title, body), height in zip(blocks, heights, strict=True):
        pdf.ensure_space(min(height, 14))
        pdf.set_x(left)
        pdf.label(epw, title, accent)
        pdf.text_line(epw, body, size=8.5)
        pdf.set_y(pdf.get_y() + 3)
