"""Files that go with an email, rendered at send time from the data as it is: the
invoice PDF of an invoice send and the statement PDF of a statement email (the same
documents the signed download links serve)."""

from __future__ import annotations

from datetime import date

from domain.core.errors import NotFound
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.invoicing.documents import InvoiceDocument, StatementDocument
from domain.invoicing.pdf.invoice import render_invoice_pdf
from domain.invoicing.pdf.statement import render_statement_pdf
from domain.invoicing.rendering import invoice_document, statement_document
from domain.invoicing.statements import customer_statement
from domain.notifications.models import NotificationLog
from domain.notifications.port import Attachment
from domain.notifications.repository import NotificationRepository

INVOICE_PDF = "invoice_pdf"
STATEMENT_PDF = "statement_pdf"
Document = InvoiceDocument | StatementDocument


async def wanted(tx: Tx, row_id: int, public_url: str) -> Document | None:
    """The document to attach to a ledger row, if it carries one."""
    repo = NotificationRepository(tx.session, tx.viewer)
    row = await repo.entry(row_id)
    if row is None or row.business_id is None or row.attachment is None:
        return None
    btx = Tx(tx.session, Viewer.system_actor("job:deliver", business_id=row.business_id), tx.clock)
    try:
        if row.attachment == INVOICE_PDF and row.invoice_id is not None:
            return await invoice_document(btx, row.invoice_id, public_url)
        if row.attachment == STATEMENT_PDF:
            return await _statement(btx, repo, row)
    except NotFound:
        return None
    return None


async def _statement(
    tx: Tx, repo: NotificationRepository, row: NotificationLog
) -> StatementDocument | None:
    """The period is on the statement send's outbox event (ledger key `<event>:email`)."""
    event = await repo.event(row.idempotency_key.rsplit(":", 1)[0])
    if event is None or row.customer_id is None:
        return None
    start = date.fromisoformat(str(event.payload["from"]))
    end = date.fromisoformat(str(event.payload["to"]))
    statement = await customer_statement(tx, row.customer_id, start, end)
    return await statement_document(tx, statement)


def render(document: Document) -> Attachment:
    """CPU-bound (fpdf2): the caller runs it in a thread."""
    if isinstance(document, StatementDocument):
        name = f"statement-{document.period_start}-{document.period_end}.pdf"
        return Attachment(name, render_statement_pdf(document))
    return Attachment(f"invoice-{document.number}.pdf", render_invoice_pdf(document))
