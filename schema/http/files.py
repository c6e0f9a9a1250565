"""Signed, short-lived PDF links (see Invoice.pdfUrl): the signature covers the business,
the document and the expiry, so a link cannot be turned into another one."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.core.errors import DomainError
from domain.core.signing import verify_download
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.invoicing.pdf.invoice import render_invoice_pdf
from domain.invoicing.pdf.statement import render_statement_pdf
from domain.invoicing.rendering import draft_document, invoice_document, statement_document
from domain.invoicing.statements import customer_statement
from domain.orders.document import order_document

KINDS = ("invoices", "statements", "drafts", "orders")


async def download_pdf(request: Request) -> Response:
    rt = request.app.state.runtime
    kind = request.path_params["kind"]
    business_id, doc_id = request.path_params["business"], request.path_params["doc"]
    if kind not in KINDS:
        return JSONResponse({"error": "not found"}, status_code=404)
    query = request.query_params
    extra = (
        f"from={query.get('from', '')}&to={query.get('to', '')}"
        f"&currency={query.get('currency', '')}"
        if kind == "statements"
        else ""
    )
    path = f"/files/{kind}/{business_id}/{doc_id}.pdf"
    try:
        verify_download(
            rt.settings.secret_key,
            path + ("?" + extra if extra else ""),
            query.get("exp", ""),
            query.get("sig", ""),
            rt.clock.now(),
        )
    except DomainError as exc:
        return JSONResponse({"error": exc.message, "code": exc.code}, status_code=403)
    viewer = Viewer.system_actor("download", business_id=int(business_id))
    try:
        async with rt.db.read() as session:
            tx = Tx(session, viewer, rt.clock)
            document = await _document(tx, kind, int(doc_id), query, rt.settings.public_url)
    except DomainError as exc:
        return JSONResponse({"error": exc.message}, status_code=404)
    render = render_statement_pdf if kind == "statements" else render_invoice_pdf
    pdf = await run_in_threadpool(render, document)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "content-disposition": f'inline; filename="{kind[:-1]}-{doc_id}.pdf"',
            "cache-control": "private, max-age=300",
        },
    )


async def _document(tx: Tx, kind: str, doc_id: int, query: QueryParams, public_url: str) -> Any:
    if kind == "invoices":
        return await invoice_document(tx, doc_id, public_url)
    if kind == "drafts":
        return await draft_document(tx, doc_id)
    if kind == "orders":
        return await order_document(tx, doc_id)
    statement = await customer_statement(
        tx,
        doc_id,
        date.fromisoformat(query["from"]),
        date.fromisoformat(query["to"]),
        query.get("currency") or None,
    )
    return await statement_document(tx, statement)
