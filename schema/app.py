"""The ASGI app: /graphql (HTTP + graphql-transport-ws + GraphiQL), health probes, the
streamed customer export, payments and signed PDF links. khata.composition builds the
Runtime and calls build_app; the pieces live in schema/http/."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route, WebSocketRoute
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from schema.graphiql import assets_mount
from schema.http.exports import export_csv
from schema.http.files import download_pdf
from schema.http.health import healthz, readyz
from schema.http.middleware import RequestGuard
from schema.http.notify_webhooks import sendgrid_events, twilio_inbound, twilio_status
from schema.http.payments import pay_page, payment_webhook
from schema.http.short_links import short_link
from schema.http.view import KhataGraphQL
from schema.http_security import install as install_http_security
from schema.metrics import install as install_metrics

if TYPE_CHECKING:
    from khata.runtime import Runtime


def graphql_view(rt: Runtime, *, cohorts: bool | None = None) -> KhataGraphQL:
    settings = rt.settings
    return KhataGraphQL(
        rt,
        cohorts=cohorts,
        graphql_ide="graphiql" if settings.graphiql else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        # a backstop one above ours: resolvers/stream.py answers the typed
        # SUBSCRIPTION_LIMIT first (Strawberry's own error carries no code)
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection + 1,
        keep_alive=True,
        keep_alive_interval=settings.ws_keep_alive_seconds,
    )


def routes(rt: Runtime, graphql: KhataGraphQL) -> list[BaseRoute]:
    return [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/exports/customers.csv", export_csv),
        Route("/webhooks/payments", payment_webhook, methods=["POST"]),
        Route("/webhooks/twilio/status", twilio_status, methods=["POST"]),
        Route("/webhooks/twilio/inbound", twilio_inbound, methods=["POST"]),
        Route("/webhooks/sendgrid/events", sendgrid_events, methods=["POST"]),
        Route("/pay/{token}", pay_page),
        Route("/p/{code}", short_link),
        Route("/files/{kind:str}/{business:int}/{doc:int}.pdf", download_pdf),
        *([assets_mount()] if rt.settings.graphiql else []),
    ]


def lifespan(rt: Runtime, *, owns_runtime: bool) -> Callable[[Starlette], Any]:
    """Starts the runtime; an app that owns it also migrates (when the settings say so)
    first and stops it last."""

    @contextlib.asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[None]:
        if owns_runtime and rt.settings.should_auto_migrate:
            from domain.migrations.run import upgrade

            await upgrade(rt.settings.database_url)
        await rt.start()
        app.state.metrics.loop_lag.start()
        try:
            yield
        finally:
            await app.state.metrics.loop_lag.stop()
            if owns_runtime:
                await rt.stop()

    return run


def build_app(rt: Runtime, *, owns_runtime: bool) -> Starlette:
    graphql = graphql_view(rt)
    app = Starlette(routes=routes(rt, graphql), lifespan=lifespan(rt, owns_runtime=owns_runtime))
    app.state.runtime = rt
    app.state.cohorts = graphql.cohorts  # tests and benchmarks wait on its members
    app.add_middleware(RequestGuard, max_body=rt.settings.max_body_bytes)  # type: ignore[arg-type]
    install_metrics(app, rt, rt.settings)
    install_http_security(app, rt.settings)
    return app
