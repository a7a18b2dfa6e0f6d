"""``create_app``: the FastAPI application for a given core (no app is built at import time)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from fairflag import __version__
from fairflag.api import errors, metrics, openapi
from fairflag.api.middleware import RequestGuard, RequestTimeout
from fairflag.api.responses import SafeJSONResponse, error_body
from fairflag.api.routes import admin, campaigns, feed, moderation, platform, webhooks
from fairflag.api.routes.report_links import router as report_links_router
from fairflag.console import PREFIX as CONSOLE_PREFIX
from fairflag.console import create_console
from fairflag.console.dashboard import PUBLIC_PREFIX, create_public_transparency
from fairflag.console.reportpage import PREFIX as REPORT_PREFIX
from fairflag.console.reportpage import create_report_pages
from fairflag.core import Fairflag
from fairflag.services import ops
from fairflag.services.context import SYSTEM
from fairflag.settings import Settings
from fairflag.worker import BackgroundWorker

log = logging.getLogger("fairflag.api")


class Health(BaseModel):
    status: str
    version: str
    policy_version: str
    database: str


def create_app(settings: Settings | None = None, *, core: Fairflag | None = None) -> FastAPI:
    settings = settings or Settings()
    core = core or Fairflag.from_settings(settings)
    worker = BackgroundWorker(core, interval_s=settings.background_interval_s) if settings.run_background else None
    # With the background worker (`fairflag serve`), triage follows the log in a consumer thread; without it
    # (tests, an embedded app) each request that filed reports drains the log before answering.
    background_triage = settings.run_background

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            core.migrate()
        if background_triage:
            core.triage_inline = False  # acknowledged at commit; the consumer thread follows the log
            core.consumer.start()  # takes the lease (PostgreSQL), rebuilds the detector, catches up
        else:
            core.catch_up_triage()
        if worker:
            worker.start()
        try:
            yield
        finally:
            if worker:
                worker.stop()
            if background_triage:
                core.consumer.stop()

    app = FastAPI(
        title="fairflag",
        version=__version__,
        description="Receives user reports (flags) and handles them fairly, resisting mass-reporting abuse.",
        lifespan=lifespan,
    )
    app.state.core = core
    app.state.worker = worker
    errors.install(app)
    if settings.request_timeout_s is not None:  # inside the guard: the 504 has the request id and access line
        app.add_middleware(RequestTimeout, timeout_s=settings.request_timeout_s)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    metrics.install(app, core, token=settings.metrics_token)
    for module in (platform, moderation, campaigns, admin, feed, webhooks):
        app.include_router(module.router, responses=errors.ERROR_RESPONSES)
    app.mount(CONSOLE_PREFIX, create_console(core))
    openapi.install(app, core.policy, max_body_bytes=settings.max_body_bytes,
                    request_timeout_s=settings.request_timeout_s)

    @app.get("/healthz", tags=["ops"], summary="Liveness and the policy in force")
    def health() -> Health:
        return Health(status="ok", version=__version__, policy_version=core.policy.full_version,
                      database=core.db.dialect)

    @app.get("/readyz", tags=["ops"], response_model=Health,
             summary="Readiness: the database answers and its migrations are at head",
             responses={503: {"model": errors.ErrorBody, "description": "Not ready (`not_ready`): the database "
                              "does not answer, or its migrations are behind."}})
    def ready() -> Health | Response:
        try:
            core.query(SYSTEM, ops.readiness)
        except ops.NotReady as exc:
            return SafeJSONResponse(error_body(exc.code, exc.message), status_code=503)
        except SQLAlchemyError as exc:
            log.warning("readiness probe: the database did not answer (%s)", type(exc).__name__)
            return SafeJSONResponse(error_body("not_ready", "the database does not answer"), status_code=503)
        return health()

    # The user's report page, reached with a signed link from POST /v1/report-links; and the transparency
    # figures without login, where the operator publishes them.
    app.include_router(report_links_router, responses=errors.ERROR_RESPONSES)
    app.mount(REPORT_PREFIX, create_report_pages(core))
    if settings.public_transparency:
        app.mount(PUBLIC_PREFIX, create_public_transparency(core))

    return app
