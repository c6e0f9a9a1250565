"""Invoice draft queries: drafts, suggestions, templates."""

from __future__ import annotations

from typing import cast

import strawberry
from strawberry.scalars import JSON

from domain.core.errors import NotFound
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.invoicing import draft_generation, drafts
from domain.invoicing import templates as invoice_templates
from resolvers.access import needs
from resolvers.base import Info, business_currency, reading
from schema.relay import expect_id
from schema.types.common import Money
from schema.types.invoicing.draft_payloads import DraftPreview
from schema.types.invoicing.drafts import (
    DraftTotals,
    DraftVersion,
    InvoiceDraft,
    InvoiceSuggestion,
    InvoiceTemplate,
    draft_lines,
    draft_view,
)
from schema.types.invoicing.objects import TaxComponent


async def _draft(tx: Tx, row: object) -> InvoiceDraft:
    totals = await drafts.draft_totals(tx, row)  # type: ignore[arg-type]
    view = None
    if totals is not None:
        cur = row.currency  # type: ignore[attr-defined]
        view = DraftTotals(
            subtotal=Money.of(totals.subtotal, cur),
            discount_total=Money.of(totals.discount_total, cur),
            tax_total=Money.of(totals.tax_total, cur),
            total=Money.of(totals.total, cur),
            taxes=[
                TaxComponent(
                    name=c.name,
                    rate=c.rate,
                    taxable=Money.of(c.taxable, cur),
                    amount=Money.of(c.amount, cur),
                )
                for c in totals.components
            ],
        )
    return draft_view(row, view)  # type: ignore[arg-type]


@strawberry.type
class DraftQueries:
    @strawberry.field(extensions=[needs(Scope.INVOICES_READ)])
    async def invoice_draft(self, info: Info, id: strawberry.ID) -> InvoiceDraft | None:
        async with reading(info) as tx:
            try:
                return await _draft(tx, await drafts.get_draft(tx, expect_id(id, "InvoiceDraft")))
            except NotFound:
                return None

    @strawberry.field(
        description="Previous versions of a draft, oldest first.",
        extensions=[needs(Scope.INVOICES_READ)],
    )
    async def invoice_draft_versions(self, info: Info, id: strawberry.ID) -> list[DraftVersion]:
        async with reading(info) as tx:
            rows = await drafts.draft_versions(tx, expect_id(id, "InvoiceDraft"))
        return [
            DraftVersion(
                version=r.version,
                snapshot=cast(JSON, r.snapshot),
                actor=r.actor,
                created_at=r.created_at,
            )
            for r in rows
        ]

    @strawberry.field(
        description="Recurring patterns in past invoices -> the next invoice, with reasoning.",
        extensions=[needs(Scope.INVOICES_READ)],
    )
    async def suggest_invoices(
        self, info: Info, customer_id: strawberry.ID
    ) -> list[InvoiceSuggestion]:
        async with reading(info) as tx:
            found = await draft_generation.suggest_invoices(
                tx, expect_id(customer_id, "Customer", "customerId")
            )
            currency = await business_currency(info, tx) if found else ""
        return [
            InvoiceSuggestion(
                next_date=s.next_date,
                cadence=s.cadence,
                reasoning=s.reasoning,
                confidence=s.confidence,
                key=s.key,
                lines=draft_lines([line.as_json() for line in s.lines], currency),
            )
            for s in found
        ]

    @strawberry.field(
        description="The draft rendered as the invoice would be: HTML and a signed PDF link.",
        extensions=[needs(Scope.INVOICES_READ)],
    )
    async def invoice_draft_preview(self, info: Info, id: strawberry.ID) -> DraftPreview:
        from domain.core.signing import download_url
        from domain.invoicing.pdf.preview import render_invoice_html
        from domain.invoicing.rendering import draft_document

        async with reading(info) as tx:
            draft_id = expect_id(id, "InvoiceDraft")
            document = await draft_document(tx, draft_id)
        rt = info.context.rt
        return DraftPreview(
            html=render_invoice_html(document),
            pdf_url=download_url(
                rt.settings.secret_key,
                rt.settings.public_url,
                f"/files/drafts/{tx.business_id}/{draft_id}.pdf",
                rt.clock.now(),
            ),
        )

    @strawberry.field(extensions=[needs(Scope.INVOICES_READ)])
    async def invoice_templates(self, info: Info) -> list[InvoiceTemplate]:
        async with reading(info) as tx:
            return [InvoiceTemplate.from_row(t) for t in await invoice_templates.templates(tx)]
