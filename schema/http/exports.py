"""The streamed customer export (/exports/customers.csv), authorized like /graphql."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from domain.core import audit
from domain.core.errors import DomainError
from domain.core.tx import Tx
from domain.customers.csv_export import export_customers
from schema.http.view import request_context


async def export_csv(request: Request) -> Response:
    rt = request.app.state.runtime
    context = request_context(rt, request)
    try:
        viewer = await context.require_viewer()
        stream = export_customers(rt.db, viewer)
        first = await stream.__anext__()  # permission checks run before headers go out
        async with rt.db.unit_of_work() as session:
            audit.record(Tx(session, viewer, rt.clock), "customer.exported", target_type="customer")
    except DomainError as exc:
        status = {"UNAUTHENTICATED": 401, "PERMISSION_DENIED": 403}.get(exc.code, 400)
        return JSONResponse(
            {"error": {"code": exc.code, "message": exc.message}}, status_code=status
        )

    async def body() -> AsyncIterator[str]:
        yield first
        async for chunk in stream:
            yield chunk

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="customers.csv"'},
    )
