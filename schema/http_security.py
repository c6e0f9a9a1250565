"""Response headers every answer carries, and CORS for browser front ends on other origins.

- `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` and
  `X-Frame-Options: DENY` on every HTTP response.
- A Content-Security-Policy: pages that set their own (GraphiQL, see schema/graphiql.py)
  keep it; every other response gets one that allows nothing, so a document served by
  mistake runs no script and cannot be framed. PDFs are left alone: browsers' PDF
  viewers are plugins that such a policy can block.
- `Cache-Control: no-store` on personal documents: PDFs, exports and the payment page.
- `Strict-Transport-Security` only when the request reached us over TLS: the ASGI scheme
  is https, which uvicorn also sets from `X-Forwarded-Proto` of a proxy it trusts
  (`FORWARDED_ALLOW_IPS`); the header from anyone else is ignored.
- CORS (`KHATA_CORS_ORIGINS`, off when empty) through Starlette's CORSMiddleware. Clients
  authenticate with the Authorization header, never cookies, so credentials mode is off.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.core.settings import Settings

HSTS = "max-age=31536000"
LOCKED_DOWN_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
NO_STORE_PATHS = ("/files/", "/exports/", "/pay/", "/p/")
NO_STORE_TYPES = ("application/pdf", "text/csv")
CORS_HEADERS = ["authorization", "content-type", "x-khata-business", "x-request-id"]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        tls = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["x-content-type-options"] = "nosniff"
                headers["referrer-policy"] = "no-referrer"
                headers.setdefault("x-frame-options", "DENY")
                content_type = headers.get("content-type", "")
                if "content-security-policy" not in headers and not content_type.startswith(
                    "application/pdf"
                ):
                    headers["content-security-policy"] = LOCKED_DOWN_CSP
                if path.startswith(NO_STORE_PATHS) or content_type.startswith(NO_STORE_TYPES):
                    headers["cache-control"] = "no-store"
                if tls:
                    headers["strict-transport-security"] = HSTS
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: Starlette, settings: Settings) -> None:
    """Add the middlewares to the app (outermost: preflight answers carry the headers)."""
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,  # type: ignore[arg-type]
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=CORS_HEADERS,
            expose_headers=["x-request-id"],
            allow_credentials=False,
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)  # type: ignore[arg-type]
