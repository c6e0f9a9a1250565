"""Drafts (manual and from plain language), suggestions, templates, conversion."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from domain.core.errors import NotFound
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.invoicing import draft_generation, drafts
from domain.invoicing import templates as invoice_templates
from domain.invoicing.models import DraftStatus
from resolvers.access import needs
from resolvers.base import Info, business_currency, mutate, reading
from resolvers.invoicing import _view
from schema.errors import result
from schema.relay import expect_id
from schema.types.common import Money
from schema.types.drafts import (
    DraftTotals,
    DraftVersion,
    InvoiceDraft,
    InvoiceSuggestion,
    InvoiceTemplate,
    draft_lines,
    draft_view,
)
from schema.types.invoicing import Invoice, TaxComponent


@strawberry.input
class DraftLineInput:
    description: str
    quantity: Decimal = Decimal(1)
    unit: str | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    tax_rate: Decimal | None = None

    def to_domain(self) -> drafts.DraftLineData:
        return drafts.DraftLineData(
            description=self.description,
            quantity=self.quantity,
            unit=self.unit,
            unit_price=self.unit_price,
            discount_percent=self.discount_percent,
            tax_rate=self.tax_rate,
        )


@strawberry.input
class CreateDraftInput:
    customer_id: strawberry.ID
    lines: list[DraftLineInput]
    notes: str | None = None
    discount_percent: Decimal | None = None
    prices_include_tax: bool = False
    currency: str | None = None


@strawberry.input
class UpdateDraftInput:
    id: strawberry.ID
    lines: list[DraftLineInput] | None = None
    notes: str | None = None
    discount_percent: Decimal | None = None


@strawberry.input
class SendRequestInput:
    channels: list[str] = strawberry.field(default_factory=lambda: ["sms"])
    include_pdf: bool = True
    message: str | None = None
    scheduled_at: datetime | None = None


@strawberry.input
class TemplateInput:
    name: str
    columns: list[str] = strawberry.field(default_factory=lambda: list(invoice_templates.COLUMNS))
    show_tax_breakdown: bool = True
    show_discount: bool = True
    footer_terms: str | None = None
    payment_details: JSON | None = None
    accent_color: str = "#1F6FEB"
    make_default: bool = False


@strawberry.type
class DraftPreview:
    html: str
    pdf_url: str


@strawberry.type
class DraftPayload:
    draft: InvoiceDraft


@strawberry.type
class ConvertDraftPayload:
    draft: InvoiceDraft
    invoice: Invoice
    send_request_id: str | None


@strawberry.type
class TemplatePayload:
    template: InvoiceTemplate


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


@strawberry.type
class DraftMutations:
    @strawberry.mutation(extensions=[needs(Scope.INVOICES_WRITE)])
    async def create_invoice_draft(self, info: Info, input: CreateDraftInput) -> result(
        "CreateInvoiceDraftResult", DraftPayload
    ):
        async def run(tx: Tx) -> DraftPayload:
            row = await drafts.create_draft(
                tx,
                customer_id=expect_id(input.customer_id, "Customer", "customerId"),
                lines=[line.to_domain() for line in input.lines],
                notes=input.notes,
                discount_percent=input.discount_percent,
                prices_include_tax=input.prices_include_tax,
                currency=input.currency,
            )
            return DraftPayload(draft=await _draft(tx, row))

        return await mutate(info, run)

    @strawberry.mutation(
        description="Turn a plain-language prompt into a draft; totals recomputed by us.",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def generate_invoice_draft(
        self, info: Info, customer_id: strawberry.ID, prompt: str
    ) -> result("GenerateInvoiceDraftResult", DraftPayload):
        async def run(tx: Tx) -> DraftPayload:
            row = await draft_generation.generate_draft(
                tx,
                expect_id(customer_id, "Customer", "customerId"),
                prompt,
                parser=info.context.rt.draft_parser,
            )
            return DraftPayload(draft=await _draft(tx, row))

        return await mutate(info, run)

    @strawberry.mutation(
        description="Keeps the previous version.", extensions=[needs(Scope.INVOICES_WRITE)]
    )
    async def update_invoice_draft(self, info: Info, input: UpdateDraftInput) -> result(
        "UpdateInvoiceDraftResult", DraftPayload
    ):
        async def run(tx: Tx) -> DraftPayload:
            row = await drafts.update_draft(
                tx,
                expect_id(input.id, "InvoiceDraft"),
                lines=[line.to_domain() for line in input.lines]
                if input.lines is not None
                else None,
                notes=input.notes,
                discount_percent=input.discount_percent,
            )
            return DraftPayload(draft=await _draft(tx, row))

        return await mutate(info, run)

    @strawberry.mutation(extensions=[needs(Scope.INVOICES_WRITE)])
    async def review_invoice_draft(self, info: Info, id: strawberry.ID) -> result(
        "ReviewInvoiceDraftResult", DraftPayload
    ):
        async def run(tx: Tx) -> DraftPayload:
            row = await drafts.set_draft_status(
                tx, expect_id(id, "InvoiceDraft"), DraftStatus.REVIEWED
            )
            return DraftPayload(draft=await _draft(tx, row))

        return await mutate(info, run)

    @strawberry.mutation(extensions=[needs(Scope.INVOICES_WRITE)])
    async def discard_invoice_draft(self, info: Info, id: strawberry.ID) -> result(
        "DiscardInvoiceDraftResult", DraftPayload
    ):
        async def run(tx: Tx) -> DraftPayload:
            row = await drafts.set_draft_status(
                tx, expect_id(id, "InvoiceDraft"), DraftStatus.DISCARDED
            )
            return DraftPayload(draft=await _draft(tx, row))

        return await mutate(info, run)

    @strawberry.mutation(
        description="Creates the invoice and records the send request as an outbox event.",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def convert_draft_to_invoice(
        self, info: Info, id: strawberry.ID, send: SendRequestInput | None = None
    ) -> result("ConvertDraftToInvoiceResult", ConvertDraftPayload):
        async def run(tx: Tx) -> ConvertDraftPayload:
            request = (
                drafts.SendRequest(
                    channels=sorted({c.lower() for c in send.channels}),
                    include_pdf=send.include_pdf,
                    message=send.message,
                    scheduled_at=send.scheduled_at,
                )
                if send
                else None
            )
            invoice, request_id = await drafts.convert_draft(
                tx, expect_id(id, "InvoiceDraft"), request, info.context.rt.settings.public_url
            )
            draft = await drafts.get_draft(tx, expect_id(id, "InvoiceDraft"))
            return ConvertDraftPayload(
                draft=await _draft(tx, draft),
                invoice=await _view(info, tx, invoice),
                send_request_id=request_id,
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Owner/admin. The first template becomes the default.",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def create_invoice_template(self, info: Info, input: TemplateInput) -> result(
        "CreateInvoiceTemplateResult", TemplatePayload
    ):
        async def run(tx: Tx) -> TemplatePayload:
            row = await invoice_templates.create_template(
                tx,
                name=input.name,
                columns=list(input.columns),
                show_tax_breakdown=input.show_tax_breakdown,
                show_discount=input.show_discount,
                footer_terms=input.footer_terms,
                payment_details={
                    str(k): str(v)
                    for k, v in cast(dict[str, Any], input.payment_details or {}).items()
                },
                accent_color=input.accent_color,
                make_default=input.make_default,
            )
            return TemplatePayload(template=InvoiceTemplate.from_row(row))

        return await mutate(info, run)
