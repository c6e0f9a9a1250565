"""Files that go with an email: the invoice PDF of an invoice send (the same document
the signed download link serves), rendered at send time from the invoice as it is."""

from __future__ import annotations

from domain.core.errors import NotFound
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.invoicing.documents import InvoiceDocument
from domain.invoicing.pdf.invoice import render_invoice_pdf
from domain.invoicing.rendering import invoice_document
from domain.notifications.port import Attachment
from domain.notifications.repository import NotificationRepository

INVOICE_PDF = "invoice_pdf"


async def wanted(tx: Tx, row_id: int, public_url: str) -> InvoiceDocument | None:
    """The document to attach to a ledger row, if it carries one."""
    row = await NotificationRepository(tx.session, tx.viewer).entry(row_id)
    if row is None or row.attachment != INVOICE_PDF or row.invoice_id is None:
        return None
    if row.business_id is None:
        return None
    viewer = Viewer.system_actor("job:deliver", business_id=row.business_id)
    try:
        return await invoice_document(Tx(tx.session, viewer, tx.clock), row.invoice_id, public_url)
    except NotFound:
        return None


def render(document: InvoiceDocument) -> Attachment:
    """CPU-bound (fpdf2): the caller runs it in a thread."""
    return Attachment(f"invoice-{document.number}.pdf", render_invoice_pdf(document))
