"""`/metrics` in the Prometheus text format, per app (its own registry: several apps in one
process, as in the tests, never share series).

Off unless `KHATA_METRICS_TOKEN` is set; then a scrape must send `Authorization: Bearer
<token>` (anything else is 404, as if the route did not exist). Series:

- `khata_graphql_requests_total{operation,type,outcome}` and
  `khata_graphql_request_seconds{operation,type}`: by operation name (names clients
  choose are capped, the rest count as `other`); outcome `ok`, `error` (the result has
  errors) or `rejected` (did not parse or validate). Subscriptions count when they end
  and have no latency.
- `khata_websockets_open`, `khata_subscriptions_open`.
- `khata_events_published_total`, `khata_events_delivered_total` (this process).
- `khata_outbox_pending`, `khata_outbox_oldest_age_seconds`: one query per scrape.
- `khata_jobs_queued` (arq: the Redis queue's length), `khata_jobs_running` and
  `khata_jobs_failed_total` (the in-process runner; arq workers run elsewhere).
- `khata_db_pool_checked_out`, `khata_db_pool_size`, `khata_db_pool_overflow` per engine.
- `khata_gc_pause_seconds{generation}`, `khata_event_loop_lag_seconds`: stalls of the
  event loop (schema/stalls.py); the lag probe runs while the app's lifespan does.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from domain.core import outbox
from domain.core.settings import Settings
from schema.stalls import GcPauses, LoopLag, gc_pauses
from schema.stalls import families as stall_families

if TYPE_CHECKING:
    from khata.runtime import Runtime

SCOPE_KEY = "khata.metrics"
PATH = "/metrics"
MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "khata_graphql_requests",
            "GraphQL operations by name, type and outcome",
            ["operation", "type", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "khata_graphql_request_seconds",
            "GraphQL operation latency (queries and mutations)",
            ["operation", "type"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.websockets = Gauge(
            "khata_websockets_open", "Open WebSocket connections", registry=self.registry
        )
        self.outbox_pending = 0
        self.outbox_oldest_age = 0.0
        self.jobs_queued = 0
        self._names: set[str] = set()
        self.gc_pauses: GcPauses = gc_pauses()
        self.loop_lag = LoopLag()  # started and stopped by the app's lifespan
        self.registry.register(_Live(self))

    def operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if not _NAME.match(name):
            return "invalid"
        if name not in self._names:
            if len(self._names) >= MAX_OPERATION_NAMES:
                return "other"
            self._names.add(name)
        return name

    async def refresh(self) -> None:
        """The values that need I/O, read once per scrape."""
        pending, oldest = await outbox.backlog(self.rt.db)
        self.outbox_pending = pending
        self.outbox_oldest_age = (
            max(0.0, (self.rt.clock.now() - oldest).total_seconds()) if oldest else 0.0
        )
        queued = getattr(self.rt.jobs, "queued", None)
        self.jobs_queued = int(await queued()) if queued is not None else 0

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _Live(Collector):
    """Counts kept by the hub, the job runner and the pools, read at scrape time."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m, rt = self.metrics, self.metrics.rt
        yield GaugeMetricFamily(
            "khata_subscriptions_open", "Open GraphQL subscriptions", rt.hub.subscriptions()
        )
        yield CounterMetricFamily(
            "khata_events_published", "Events published by this process", rt.hub.published
        )
        yield CounterMetricFamily(
            "khata_events_delivered",
            "Events handed to this process's subscribers",
            rt.hub.delivered,
        )
        yield GaugeMetricFamily("khata_outbox_pending", "Outbox rows not relayed", m.outbox_pending)
        yield GaugeMetricFamily(
            "khata_outbox_oldest_age_seconds",
            "Age of the oldest outbox row not relayed",
            m.outbox_oldest_age,
        )
        yield GaugeMetricFamily("khata_jobs_queued", "Jobs waiting in the queue", m.jobs_queued)
        yield GaugeMetricFamily(
            "khata_jobs_running",
            "Jobs running in this process",
            getattr(rt.jobs, "running", 0),
        )
        yield CounterMetricFamily(
            "khata_jobs_failed", "Jobs of this process that failed", getattr(rt.jobs, "failed", 0)
        )
        families = {
            "checkedout": GaugeMetricFamily(
                "khata_db_pool_checked_out", "Connections in use", labels=["engine"]
            ),
            "size": GaugeMetricFamily("khata_db_pool_size", "Pool size", labels=["engine"]),
            "overflow": GaugeMetricFamily(
                "khata_db_pool_overflow", "Connections beyond the pool size", labels=["engine"]
            ),
        }
        engines = {"write": rt.db.write_engine, "read": rt.db.read_engine}
        seen: set[int] = set()
        for label, engine in engines.items():
            if id(engine) in seen:
                continue
            seen.add(id(engine))
            for method, family in families.items():
                read = getattr(engine.pool, method, None)
                if callable(read):
                    family.add_metric([label], float(read()))
        yield from families.values()
        yield from stall_families(m.gc_pauses, m.loop_lag)


class OperationMetrics(SchemaExtension):
    """Counts each operation of an app that installed metrics (found in the ASGI scope)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        ec = self.execution_context
        request = getattr(ec.context, "request", None)
        metrics = request.scope.get(SCOPE_KEY) if request is not None else None
        if not isinstance(metrics, Metrics):
            return
        kind = ec.operation_type.value if ec.operation_type else "unknown"
        name = metrics.operation_label(ec.operation_name)
        if ec.pre_execution_errors:
            outcome = "rejected"
        elif ec.result is not None and ec.result.errors:
            outcome = "error"
        else:
            outcome = "ok"
        metrics.requests.labels(name, kind, outcome).inc()
        if kind != "subscription":
            metrics.latency.labels(name, kind).observe(time.perf_counter() - started)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, token: str | None) -> None:
        self.app = app
        self.metrics = metrics
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope[SCOPE_KEY] = self.metrics
        if scope["type"] == "websocket":
            self.metrics.websockets.inc()
            try:
                await self.app(scope, receive, send)
            finally:
                self.metrics.websockets.dec()
            return
        if scope.get("path") == PATH and self.token:
            await self.scrape(scope)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def scrape(self, scope: Scope) -> Response | _Deferred:
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"").decode(errors="replace")
        given = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if not self.token or not hmac.compare_digest(given.encode(), self.token.encode()):
            return PlainTextResponse("Not Found", status_code=404)
        return _Deferred(self.metrics)


class _Deferred:
    """The scrape response: refresh the I/O-backed values, then render."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.metrics.refresh()
        response = Response(self.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
        await response(scope, receive, send)


def install(app: Starlette, rt: Runtime, settings: Settings) -> Metrics:
    metrics = Metrics(rt)
    app.add_middleware(
        MetricsMiddleware,  # type: ignore[arg-type]
        metrics=metrics,
        token=settings.metrics_token,
    )
    app.state.metrics = metrics
    return metrics
