"""Invoice draft mutations: draft (by hand or from a prompt), review, convert, templates."""

from __future__ import annotations

from typing import Any, cast

import strawberry

from domain.core import idempotency
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.invoicing import draft_generation, drafts
from domain.invoicing import templates as invoice_templates
from domain.invoicing.models import DraftStatus
from resolvers.access import needs
from resolvers.base import Info, mutate
from resolvers.invoicing.drafts_queries import _draft
from resolvers.invoicing.views import _view
from schema.errors import result
from schema.relay import expect_id
from schema.types.invoicing.draft_inputs import (
    ConvertDraftToInvoiceInput,
    CreateDraftInput,
    DiscardInvoiceDraftInput,
    GenerateInvoiceDraftInput,
    ReviewInvoiceDraftInput,
    TemplateInput,
    UpdateDraftInput,
)
from schema.types.invoicing.draft_payloads import ConvertDraftPayload, DraftPayload, TemplatePayload
from schema.types.invoicing.drafts import (
    InvoiceTemplate,
)


@strawberry.type
class DraftMutations:
    @strawberry.mutation(extensions=[needs(Scope.INVOICES_WRITE)])
    async def create_invoice_draft(self, info: Info, input: CreateDraftInput) -> result(
        "CreateInvoiceDraftResult", DraftPayload
    ):
        async def run(tx: Tx) -> DraftPayload:
            fields: dict[str, Any] = {
                "customer_id": expect_id(input.customer_id, "Customer", "customerId"),
                "lines": [line.to_domain() for line in input.lines],
                "notes": input.notes,
                "discount_percent": input.discount_percent,
                "prices_include_tax": input.prices_include_tax,
                "currency": input.currency,
            }
            outcome = await idempotency.once(
                tx,
                "createInvoiceDraft",
                input.idempotency_key,
                fields,
                create=lambda: drafts.create_draft(tx, **fields),
                load=lambda id: drafts.get_draft(tx, id),
            )
            return DraftPayload(draft=await _draft(tx, outcome.record), replayed=outcome.replayed)

        return await mutate(info, run)

    @strawberry.mutation(
        description="Turn a plain-language prompt into a draft; totals recomputed by us.",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def generate_invoice_draft(self, info: Info, input: GenerateInvoiceDraftInput) -> result(
        "GenerateInvoiceDraftResult", DraftPayload
    ):
        customer_id, prompt = input.customer_id, input.prompt

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
    async def review_invoice_draft(self, info: Info, input: ReviewInvoiceDraftInput) -> result(
        "ReviewInvoiceDraftResult", DraftPayload
    ):
        id = input.id

        async def run(tx: Tx) -> DraftPayload:
            row = await drafts.set_draft_status(
                tx, expect_id(id, "InvoiceDraft"), DraftStatus.REVIEWED
            )
            return DraftPayload(draft=await _draft(tx, row))

        return await mutate(info, run)

    @strawberry.mutation(extensions=[needs(Scope.INVOICES_WRITE)])
    async def discard_invoice_draft(self, info: Info, input: DiscardInvoiceDraftInput) -> result(
        "DiscardInvoiceDraftResult", DraftPayload
    ):
        id = input.id

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
        self, info: Info, input: ConvertDraftToInvoiceInput
    ) -> result("ConvertDraftToInvoiceResult", ConvertDraftPayload):
        id, send = input.id, input.send

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
