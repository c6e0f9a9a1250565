"""Live invoice updates of the active business, resumable with `after`."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from decimal import Decimal

import strawberry

from domain.core.errors import NotFound
from domain.core.stream import StreamEvent
from domain.core.viewer import Scope
from domain.invoicing import service
from domain.invoicing.models import Invoice as InvoiceRow
from resolvers.base import Info, reading
from resolvers.invoicing.views import _view
from resolvers.stream import live_updates, snapshot_row
from schema.relay import expect_id
from schema.types.common import Money
from schema.types.invoicing.events import TOPICS, InvoiceUpdate
from schema.types.invoicing.objects import Invoice, PaymentMethodKind


async def _invoice(info: Info, event: StreamEvent) -> Invoice | None:
    """The invoice as the event's transaction committed it, from the event's snapshot;
    an event written before snapshots existed loads the invoice as it is now."""
    row = snapshot_row(event, "invoice", InvoiceRow)
    if row is not None:
        today = await info.context.loaders.business_today(row.business_id)
        return Invoice.from_row(row, today, info.context.rt.settings.public_url)
    if event.snapshot is not None:
        return None  # a snapshot of another business: never shown
    async with reading(info) as tx:
        try:
            return await _view(info, tx, await service.get_invoice(tx, event.payload["invoiceId"]))
        except NotFound:
            return None


@strawberry.type
class InvoiceSubscriptions:
    @strawberry.subscription(
        description="Invoices of the active business as they change: issued, sent, "
        "payments, paid in full, overdue, voided, credit notes. Optional filters; `after` "
        "resumes after an event's cursor (missed events first, from the database)."
    )
    async def invoice_updates(
        self,
        info: Info,
        invoice_id: strawberry.ID | None = None,
        customer_id: strawberry.ID | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[InvoiceUpdate, None]:
        want_invoice = expect_id(invoice_id, "Invoice") if invoice_id else None
        want_customer = expect_id(customer_id, "Customer") if customer_id else None

        async def build(event: StreamEvent) -> InvoiceUpdate | None:
            p = event.payload
            kind = TOPICS.get(event.topic)
            if kind is None or "invoiceId" not in p:
                return None
            if want_invoice is not None and p["invoiceId"] != want_invoice:
                return None
            if want_customer is not None and p.get("customerId") != want_customer:
                return None
            invoice = await _invoice(info, event)
            if invoice is None:
                return None
            currency = p["currency"]
            amount = p.get("amount")
            return InvoiceUpdate(
                cursor=event.cursor,
                kind=kind,
                invoice=invoice,
                amount=Money.of(Decimal(amount), currency) if amount is not None else None,
                method=PaymentMethodKind(p["method"]) if p.get("method") else None,
                balance=Money.of(Decimal(p["balance"]), currency),
            )

        async for update in live_updates(info, Scope.INVOICES_READ, after, build):
            yield update
