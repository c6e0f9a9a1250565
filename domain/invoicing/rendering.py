"""Turns stored invoices and statements into the documents the PDF renderer draws."""

from __future__ import annotations

from decimal import Decimal

from domain.accounts.models import Business
from domain.core.tx import Tx
from domain.customers.models import Customer
from domain.customers.repository import CustomerRepository
from domain.invoicing.documents import (
    PAYMENT_DETAIL_KEYS,
    DocumentLine,
    InvoiceDocument,
    PartyBlock,
    PaymentDetails,
    StatementDocument,
    StatementEntry,
    TaxLine,
    TemplateOptions,
    stored_lines,
    stored_taxes,
)
from domain.invoicing.draft_repository import DraftRepository
from domain.invoicing.models import InvoiceTemplate
from domain.invoicing.repository import InvoiceRepository
from domain.invoicing.service import get_invoice, load_business
from domain.invoicing.statements import Statement

LOCALES = {"IN": "en_IN", "KE": "en_KE", "OM": "ar_OM", "ZA": "en_ZA"}


def _business_block(b: Business) -> PartyBlock:
    return PartyBlock(b.name, None, [], b.tax_id, None, None)


def _customer_block(c: Customer) -> PartyBlock:
    return PartyBlock(c.name, c.name_alt, [], c.tax_id, c.phone, c.email)


async def _template(tx: Tx, template_id: int | None) -> InvoiceTemplate | None:
    return await DraftRepository(tx.session, tx.viewer).template(template_id)


async def invoice_document(tx: Tx, invoice_id: int, public_url: str) -> InvoiceDocument:
    invoice = await get_invoice(tx, invoice_id)
    business = await load_business(tx)
    customer = await CustomerRepository(tx.session, tx.viewer).get(invoice.customer_id)
    assert customer is not None
    lines = await InvoiceRepository(tx.session, tx.viewer).lines_for([invoice.id])
    template = await _template(tx, invoice.template_id)
    options = TemplateOptions()
    payment = None
    if template is not None:
        options = TemplateOptions(
            columns=list(template.columns),
            show_tax_breakdown=template.show_tax_breakdown,
            show_discount=template.show_discount,
            footer_terms=template.footer_terms,
            accent_color=template.accent_color,
        )
        if template.payment_details:
            d = template.payment_details
            payment = PaymentDetails(**{k: d.get(k) for k in PAYMENT_DETAIL_KEYS})
    return InvoiceDocument(
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        locale=LOCALES.get(business.country, "en"),
        business=_business_block(business),
        customer=_customer_block(customer),
        lines=stored_lines(lines),
        subtotal=invoice.subtotal,
        discount_total=invoice.discount_total,
        taxes=stored_taxes(invoice.tax_components),
        total=invoice.total,
        amount_paid=invoice.amount_paid + invoice.amount_credited,
        balance_due=invoice.balance,
        notes=invoice.notes,
        terms=invoice.terms,
        payment_link=f"{public_url}/pay/{invoice.payment_token}",
        payment=payment,
        template=options,
        status=invoice.status,
    )


async def statement_document(tx: Tx, statement: Statement) -> StatementDocument:
    business = await load_business(tx)
    return StatementDocument(
        business=_business_block(business),
        customer=_customer_block(statement.customer),
        currency=statement.currency,
        locale=LOCALES.get(business.country, "en"),
        period_start=statement.start,
        period_end=statement.end,
        opening_balance=statement.opening_balance,
        entries=[
            StatementEntry(e.on, e.kind, e.reference, e.description, e.debit, e.credit, e.balance)  # type: ignore[arg-type]
            for e in statement.entries
        ],
        closing_balance=statement.closing_balance,
        aging=statement.aging,
    )


async def draft_document(tx: Tx, draft_id: int) -> InvoiceDocument:
    """A draft rendered like the invoice it would become (status "draft", no number yet)."""
    from domain.invoicing.drafts import DraftLineData, computed_draft, get_draft

    draft = await get_draft(tx, draft_id)
    business = await load_business(tx)
    customer = await CustomerRepository(tx.session, tx.viewer).get(draft.customer_id)
    assert customer is not None
    totals = await computed_draft(tx, draft)
    lines = [DraftLineData.from_json(raw) for raw in draft.lines]
    computed = totals
    doc_lines = []
    for i, x in enumerate(lines):
        lt = computed.lines[i] if computed else None
        doc_lines.append(
            DocumentLine(
                x.description,
                x.quantity,
                x.unit,
                x.unit_price or Decimal(0),
                lt.discount if lt else Decimal(0),
                lt.tax_rate if lt else (x.tax_rate or Decimal(0)),
                lt.tax if lt else Decimal(0),
                lt.total if lt else Decimal(0),
            )
        )
    template = await _template(tx, draft.template_id)
    options = (
        TemplateOptions()
        if template is None
        else TemplateOptions(
            columns=list(template.columns),
            show_tax_breakdown=template.show_tax_breakdown,
            show_discount=template.show_discount,
            footer_terms=template.footer_terms,
            accent_color=template.accent_color,
        )
    )
    zero = Decimal(0)
    return InvoiceDocument(
        number=f"DRAFT-{draft.id}",
        issue_date=tx.now().date(),
        due_date=None,
        currency=draft.currency,
        locale=LOCALES.get(business.country, "en"),
        business=_business_block(business),
        customer=_customer_block(customer),
        lines=doc_lines,
        subtotal=totals.subtotal if totals else zero,
        discount_total=totals.discount_total if totals else zero,
        taxes=[TaxLine(c.name, c.rate, c.amount) for c in (totals.components if totals else [])],
        total=totals.total if totals else zero,
        amount_paid=zero,
        balance_due=totals.total if totals else zero,
        notes=draft.notes,
        template=options,
        status="draft",
    )
