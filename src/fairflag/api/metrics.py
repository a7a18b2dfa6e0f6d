"""Prometheus metrics: what intake received, acknowledged and refused over a rate limit, request latency, and
at scrape time the queue (depth, oldest case, overdue cases per surface), deadlines missed, decisions, and webhook
delivery (pending, lag, dead letters), read from the database by a read-only use case.

Each app has its own registry (``create_app`` may run many times in one process, as tests do), served at
``/metrics`` in the Prometheus text format. The endpoint is off the OpenAPI spec (it is not JSON). It is open
unless ``FAIRFLAG_METRICS_TOKEN`` is set, in which case it wants ``Authorization: Bearer <token>``: operators
usually scrape on a private network, but the API port may be public.
"""

from __future__ import annotations

import collections
import hmac
import time
from collections.abc import Iterable, Iterator

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fairflag.api.responses import SafeJSONResponse, error_body
from fairflag.core import Fairflag
from fairflag.services import consumer, ops
from fairflag.services.context import SYSTEM
from fairflag.services.reports import ReportReceipt

# Latency buckets around the intake's targets (p99 < 50 ms), out to slow console pages.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Triage lag buckets around its target (p99 < 1 s under the flood).
_LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self, core: Fairflag) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.received = Counter("fairflag_reports_received", "Schema-valid reports that reached intake, by "
                                "source and endpoint (single or batch).", ["source", "endpoint"],
                                registry=self.registry)
        self.acknowledged = Counter("fairflag_reports_acknowledged", "Reports answered with a receipt, by "
                                    "source and outcome (created, replayed); received minus acknowledged were "
                                    "refused.", ["source", "outcome"], registry=self.registry)
        self.rate_limited = Counter("fairflag_rate_limited", "Requests (or batch lines) refused with 429, by "
                                    "limit (service_key_rate_limited, reporter_rate_limited, "
                                    "report_link_rate_limited).", ["limit"], registry=self.registry)
        self.latency = Histogram("fairflag_http_request_duration_seconds", "Time to answer an HTTP request, by "
                                 "method, route template and status class.", ["method", "route", "status"],
                                 buckets=_BUCKETS, registry=self.registry)
        self.triage_lag = Histogram("fairflag_triage_lag_seconds", "Time from a report's acknowledgement to the "
                                    "end of its weighing by this process's triage consumer (scored, campaign "
                                    "detection, automatic restriction).", buckets=_LAG_BUCKETS,
                                    registry=self.registry)
        core.consumer.lag_observers.append(self.triage_lag.observe)
        self.registry.register(_StoreCollector(core))

    def register(self, collector: Collector) -> None:
        """The hook for figures other components own (the triage consumer's lag from acknowledgement to
        scored): they register their collector here and are served at /metrics with the rest."""
        self.registry.register(collector)

    def count_received(self, sources: Iterable[str], endpoint: str) -> None:
        for source, n in collections.Counter(sources).items():  # one increment per label, not per report
            self.received.labels(source, endpoint).inc(n)

    def count_rate_limited(self, limit: str) -> None:
        self.rate_limited.labels(limit).inc()

    def count_acknowledged(self, receipt: ReportReceipt) -> None:
        self.acknowledged.labels(receipt.source.value, "replayed" if receipt.replayed else "created").inc()

    def count_acknowledged_many(self, receipts: Iterable[ReportReceipt]) -> None:
        counts = collections.Counter((r.source.value, "replayed" if r.replayed else "created") for r in receipts)
        for labels, n in counts.items():
            self.acknowledged.labels(*labels).inc(n)


class _StoreCollector(Collector):
    """Gauges read at scrape time, so they are true of the database, whichever process changed it."""

    def __init__(self, core: Fairflag) -> None:
        self.core = core

    def describe(self) -> list[Metric]:
        return []  # no query at registration; the families appear on the first scrape

    def collect(self) -> Iterator[Metric]:
        snap = self.core.query(SYSTEM, ops.snapshot)
        depth = GaugeMetricFamily("fairflag_queue_depth", "Open cases, by surface.", labels=["surface"])
        oldest = GaugeMetricFamily("fairflag_queue_oldest_case_age_seconds", "Age of the oldest open case, by "
                                   "surface.", labels=["surface"])
        overdue = GaugeMetricFamily("fairflag_queue_overdue_cases", "Open cases past their review deadline, by "
                                    "surface.", labels=["surface"])
        for q in snap.queues:
            depth.add_metric([q.surface], q.depth)
            oldest.add_metric([q.surface], q.oldest_age_s)
            overdue.add_metric([q.surface], q.overdue)
        missed = CounterMetricFamily("fairflag_deadlines_missed", "Decisions taken after their case's review "
                                     "deadline, by surface (appeal resolutions aside).", labels=["surface"])
        for surface, n in sorted((snap.deadlines_missed or {}).items()):
            missed.add_metric([surface], n)
        decisions = CounterMetricFamily("fairflag_decisions", "Decisions taken, by outcome (never deleted, so "
                                        "a counter).", labels=["outcome"])
        for outcome, n in sorted(snap.decisions.items()):
            decisions.add_metric([outcome], n)
        dead = GaugeMetricFamily("fairflag_webhook_dead_letters", "Webhook deliveries that gave up.")
        dead.add_metric([], snap.dead_letters)
        pending = GaugeMetricFamily("fairflag_webhook_pending_deliveries", "Webhook deliveries waiting for a "
                                    "(re)try.")
        pending.add_metric([], snap.webhook_pending)
        lag = GaugeMetricFamily("fairflag_webhook_lag_seconds", "Age of the oldest action or outcome that an "
                                "active webhook endpoint has not received yet (0 when none waits).")
        lag.add_metric([], snap.webhook_lag_s)
        set_aside = CounterMetricFamily("fairflag_triage_set_aside", "Triage log rows (reports, decisions) set "
                                        "aside unweighed after failing limits.triage_max_attempts times "
                                        "(GET /v1/admin/triage/set-aside lists them).")
        set_aside.add_metric([], snap.triage_set_aside)
        behind, waited = self.core.query(SYSTEM, consumer.backlog)
        backlog = GaugeMetricFamily("fairflag_triage_backlog", "Committed log rows (reports, decisions) the triage "
                                    "consumer has not passed yet.")
        backlog.add_metric([], behind)
        age = GaugeMetricFamily("fairflag_triage_backlog_oldest_age_seconds", "How long ago the oldest log row not "
                                "yet passed happened (0: none waits).")
        age.add_metric([], waited)
        yield from (depth, oldest, overdue, missed, decisions, dead, pending, lag, set_aside, backlog, age)


class LatencyMiddleware:
    """Times every HTTP request; labels by route template (bounded), never by raw path."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or _mount_of(scope)
            self.metrics.latency.labels(scope["method"], route, f"{status // 100}xx").observe(
                time.perf_counter() - began)


def _mount_of(scope: Scope) -> str:
    root = scope.get("root_path") or ""
    return f"{root}/*" if root else "unmatched"


def install(app: FastAPI, core: Fairflag, *, token: str | None) -> Metrics:
    metrics = Metrics(core)
    app.state.metrics = metrics
    app.add_middleware(LatencyMiddleware, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    def scrape(request: Request) -> Response:
        if token is not None:
            sent = request.headers.get("authorization", "")
            if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
                return SafeJSONResponse(error_body("unauthenticated", "send the metrics token as "
                                                   "`Authorization: Bearer <token>`"), status_code=401,
                                        headers={"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
