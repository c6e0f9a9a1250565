"""The order confirmation as a document the invoice PDF renderer draws (same renderer,
fonts and template as invoices): titled "Order", delivered-to address under the
customer, the expected delivery date among the facts, no payment link."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.core.tx import Tx
from domain.customers.repository import CustomerRepository
from domain.invoicing.documents import (
    InvoiceDocument,
    PartyBlock,
    TemplateOptions,
    stored_lines,
    stored_taxes,
)
from domain.invoicing.draft_repository import DraftRepository
from domain.invoicing.rendering import LOCALES
from domain.invoicing.service import business_today, load_business
from domain.orders.repository import OrderRepository
from domain.orders.service import get_order


def address_lines(address: dict[str, Any] | None) -> list[str]:
    if not address:
        return []
    first = ", ".join(p for p in (address.get("building"), address.get("street")) if p)
    second = ", ".join(
        p for p in (address.get("area"), address.get("city"), address.get("postal_code")) if p
    )
    return [line for line in (first, second, address.get("delivery_notes")) if line]


async def order_document(tx: Tx, order_id: int) -> InvoiceDocument:
    order = await get_order(tx, order_id)
    business = await load_business(tx)
    customer = await CustomerRepository(tx.session, tx.viewer).get(order.customer_id)
    assert customer is not None
    lines = await OrderRepository(tx.session, tx.viewer).lines_for([order.id])
    template = await DraftRepository(tx.session, tx.viewer).template(None)
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
    facts: list[tuple[str, str]] = []
    if order.expected_delivery is not None:
        facts.append(("Delivery by", order.expected_delivery.strftime("%d %b %Y")))
    paid = Decimal(0)
    return InvoiceDocument(
        number=order.number,
        issue_date=business_today(business, order.placed_at),
        due_date=None,
        currency=order.currency,
        locale=LOCALES.get(business.country, "en"),
        business=PartyBlock(business.name, None, [], business.tax_id, None, None),
        customer=PartyBlock(
            customer.name,
            customer.name_alt,
            address_lines(order.delivery_address),
            customer.tax_id,
            customer.phone,
            customer.email,
        ),
        lines=stored_lines(lines),
        subtotal=order.subtotal,
        discount_total=order.discount_total,
        taxes=stored_taxes(order.tax_components),
        total=order.total,
        amount_paid=paid,
        balance_due=order.total - paid,
        notes=order.notes,
        template=options,
        status=order.status,
        title="Order",
        date_label="Order date",
        extra_facts=tuple(facts),
    )
