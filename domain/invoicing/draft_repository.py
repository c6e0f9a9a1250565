"""All SQL for invoice drafts, their versions and invoice templates. Every read goes
through `read_policy`."""

from __future__ import annotations

from collections.abc import Sequence

from domain.core.repository import TenantRepository
from domain.invoicing.models import InvoiceDraft, InvoiceDraftVersion, InvoiceTemplate


class DraftRepository(TenantRepository):
    """Drafts, versions and templates are the business's own working papers."""

    async def draft(self, draft_id: int) -> InvoiceDraft | None:
        return await self.get_row(InvoiceDraft, draft_id)

    async def versions(self, draft_id: int) -> Sequence[InvoiceDraftVersion]:
        stmt = (
            self.readable(InvoiceDraftVersion)
            .where(InvoiceDraftVersion.draft_id == draft_id)
            .order_by(InvoiceDraftVersion.version)
        )
        return (await self.s.scalars(stmt)).all()

    async def templates(self) -> Sequence[InvoiceTemplate]:
        stmt = self.readable(InvoiceTemplate).order_by(InvoiceTemplate.id)
        return (await self.s.scalars(stmt)).all()

    async def template(self, template_id: int | None) -> InvoiceTemplate | None:
        """That template, or the default one when no id is given."""
        stmt = self.readable(InvoiceTemplate)
        stmt = (
            stmt.where(InvoiceTemplate.id == template_id)
            if template_id
            else stmt.where(InvoiceTemplate.is_default)
        )
        return await self.s.scalar(stmt)
