"""The HTML preview of an invoice (drafts): self-contained, every value escaped."""

from __future__ import annotations

import html

import segno

from domain.invoicing.documents import InvoiceDocument, PartyBlock
from domain.invoicing.pdf.contents import line_table, totals_rows
from domain.invoicing.pdf.formatting import Formatter


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _party_html(block: PartyBlock) -> str:
    parts = [f'<div class="name" dir="auto">{_e(block.name)}</div>']
    if block.name_alt:
        parts.append(f'<div dir="auto">{_e(block.name_alt)}</div>')
    parts.extend(f'<div class="muted" dir="auto">{_e(line)}</div>' for line in block.lines)
    contact = [c for c in (block.phone, block.email) if c]
    if contact:
        parts.append(f'<div class="muted">{_e(" · ".join(contact))}</div>')
    if block.tax_id:
        parts.append(f'<div class="muted">Tax ID: {_e(block.tax_id)}</div>')
    return "".join(parts)


def render_invoice_html(doc: InvoiceDocument) -> str:
    """A self-contained HTML preview (drafts); every value is escaped."""
    fmt = Formatter(doc.currency, doc.locale)
    accent = _e(doc.template.accent_color)
    extras = "".join(
        f'<h4>{_e(title)}</h4><p dir="auto">{_e(text)}</p>'
        for title, text in (("Notes", doc.notes), ("Terms", doc.terms))
        if text
    )
    if doc.template.footer_terms:
        extras += f'<p class="muted" dir="auto">{_e(doc.template.footer_terms)}</p>'
    due = f"<div>Due date: {_e(fmt.date(doc.due_date))}</div>" if doc.due_date else ""
    balance = _e(fmt.money(doc.balance_due))
    return "\n".join(
        [
            "<!doctype html>",
            f'<html lang="{_e(doc.locale.replace("_", "-"))}"><head><meta charset="utf-8">',
            f"<title>Invoice {_e(doc.number)}</title>",
            f"<style>{_CSS.replace('ACCENT', accent)}</style></head><body>",
            '<div class="band"></div>',
            f'<div class="row"><div>{_party_html(doc.business)}</div>',
            '<div class="right"><h1>INVOICE</h1>',
            f"<div>Invoice no. <b>{_e(doc.number)}</b></div>",
            f"<div>Issue date: {_e(fmt.date(doc.issue_date))}</div>{due}",
            f'<div class="status">{_e(doc.status.replace("_", " ").upper())}</div></div></div>',
            f'<div class="row"><div><h4>Bill to</h4>{_party_html(doc.customer)}</div>',
            '<div class="right"><h4>Balance due</h4>',
            f'<div class="name" dir="auto">{balance}</div></div></div>',
            f'<div class="muted right">{_e(fmt.caption())}</div>',
            _lines_html(doc, fmt),
            _totals_html(doc, fmt),
            _payment_html(doc),
            extras,
            "</body></html>",
            "",
        ]
    )


def _lines_html(doc: InvoiceDocument, fmt: Formatter) -> str:
    table = line_table(doc, fmt)
    aligns = ["l" if c in ("description", "unit") else "r" for c in table.columns]
    head = "".join(
        f'<th class="{a}">{_e(t)}</th>' for a, t in zip(aligns, table.titles, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{a}" dir="auto">{_e(text).replace(chr(10), "<br>")}</td>'
            for a, text in zip(aligns, row, strict=True)
        )
        + "</tr>"
        for row in table.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _totals_html(doc: InvoiceDocument, fmt: Formatter) -> str:
    rows = "".join(
        f'<tr><td>{_e(k)}</td><td class="r" dir="auto">{_e(v)}</td></tr>'
        for k, v, _ in totals_rows(doc, fmt)
    )
    return f'<table class="totals">{rows}</table>'


def _payment_html(doc: InvoiceDocument) -> str:
    """How to pay (details) and the payment link with its QR code as an SVG data URI."""
    pay_rows = doc.payment.rows() if doc.payment else []
    pay_html = "".join(
        f"<div><span class='muted'>{_e(k)}:</span> {_e(v)}</div>" for k, v in pay_rows
    )
    qr_html = ""
    if doc.payment_link:
        qr_uri = segno.make(doc.payment_link, error="m", micro=False).svg_data_uri(scale=3)
        qr_html = (
            f'<div class="qr"><img alt="Payment QR code" src="{_e(qr_uri)}">'
            f'<div><a href="{_e(doc.payment_link)}">{_e(doc.payment_link)}</a></div></div>'
        )
    how_to_pay = f"<h4>How to pay</h4>{pay_html}" if pay_html else ""
    return f'<div class="row"><div>{how_to_pay}</div>{qr_html}</div>'


_CSS = " ".join(
    [
        'body{font-family:"Noto Sans","Noto Sans Arabic","Noto Sans Devanagari",sans-serif;',
        "color:#212529;margin:0;padding:24px;font-size:13px}",
        ".band{height:6px;background:ACCENT;margin:-24px -24px 16px}",
        ".row{display:flex;justify-content:space-between;gap:24px;margin-bottom:16px}",
        ".right{text-align:right} .name{font-weight:bold;font-size:16px}",
        ".muted{color:#6c757d} h1{color:ACCENT;margin:0}",
        "h4{color:ACCENT;margin:12px 0 4px;text-transform:uppercase;font-size:11px}",
        "table{border-collapse:collapse;width:100%}",
        "th{background:ACCENT;color:#fff;padding:6px}",
        "td{padding:6px;border-bottom:1px solid #ced4da;vertical-align:top}",
        ".l{text-align:left} .r{text-align:right}",
        ".totals{width:auto;margin-left:auto;margin-top:12px}",
        ".totals tr:last-child td{font-weight:bold;color:ACCENT}",
        ".status{display:inline-block;padding:2px 8px;background:ACCENT;color:#fff;font-size:11px}",
        ".qr img{width:120px;height:120px}",
    ]
)
