"""Payments at the edge: the signed provider webhook and the payment-link page."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.accounts.repository import AccountsRepository
from domain.core.errors import DomainError
from domain.core.money import format_money
from domain.core.signing import verify_webhook
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.invoicing.repository import InvoiceRepository
from domain.invoicing.webhooks import handle_payment
from schema.http.view import client_ip


async def payment_webhook(request: Request) -> Response:
    """Provider-agnostic, HMAC-signed (`X-Khata-Signature: t=…,v1=…`), idempotent on the
    provider's payment id. A bad signature writes nothing."""
    rt = request.app.state.runtime
    secret = rt.settings.payment_webhook_secret
    if not secret:
        return JSONResponse({"error": "payment webhook not configured"}, status_code=503)
    body = await request.body()
    try:
        verify_webhook(secret, request.headers.get("x-khata-signature"), body, rt.clock.now())
    except DomainError as exc:
        return JSONResponse({"error": exc.message}, status_code=401)
    try:
        payload = orjson.loads(body)
        if not isinstance(payload, dict):
            raise ValueError
    except ValueError:
        return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
    viewer = Viewer.system_actor(  # the signature is verified: a trusted caller
        "webhook:payments",
        ip=client_ip(request.scope),
        request_id=request.scope.get("request_id"),
    )
    try:
        async with rt.db.unit_of_work() as session:
            outcome = await handle_payment(Tx(session, viewer, rt.clock), payload)
    except DomainError as exc:
        status = {"NOT_FOUND": 404, "CONFLICT": 409}.get(exc.code, 400)
        return JSONResponse({"error": exc.message, "code": exc.code}, status_code=status)
    return JSONResponse({"status": outcome.status, "invoice": outcome.invoice_number})


async def pay_page(request: Request) -> Response:
    """What the payment link shows until real providers are wired: the amount due."""
    rt = request.app.state.runtime
    link = Viewer.system_actor("payment-link")  # the unguessable token is the authority
    async with rt.db.read() as session:
        invoice = await InvoiceRepository(session, link).by_payment_token(
            request.path_params["token"]
        )
        business = (
            await AccountsRepository(
                session, Viewer.system_actor("payment-link", business_id=invoice.business_id)
            ).business()
            if invoice
            else None
        )
    if invoice is None or business is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    return JSONResponse(
        {
            "business": business.name,
            "invoice": invoice.number,
            "status": invoice.status,
            "currency": invoice.currency,
            "balance": format_money(invoice.balance, invoice.currency),
            "dueDate": invoice.due_date.isoformat(),
        }
    )
