"""Payloads of the invoice draft mutations."""

from __future__ import annotations

import strawberry

from schema.types.invoicing.drafts import (
    InvoiceDraft,
    InvoiceTemplate,
)
from schema.types.invoicing.objects import Invoice


@strawberry.type
class DraftPreview:
    html: str
    pdf_url: str


@strawberry.type
class DraftPayload:
    draft: InvoiceDraft
    replayed: bool = strawberry.field(
        default=False, description="True when a create's idempotency key was seen before."
    )


@strawberry.type
class ConvertDraftPayload:
    draft: InvoiceDraft
    invoice: Invoice
    send_request_id: str | None


@strawberry.type
class TemplatePayload:
    template: InvoiceTemplate
