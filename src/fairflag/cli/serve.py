"""``fairflag serve``: the HTTP API, the background worker and the triage consumer, in one or several
processes."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.engine import make_url

from fairflag import logs
from fairflag.cli.base import CLI, core_for, settings_from_env
from fairflag.cli.demo import base_url, print_summary, seed_with_progress
from fairflag.services import auth
from fairflag.settings import default_workers
from fairflag.store import migrate as store_migrate


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on. [default: $FAIRFLAG_HOST or 127.0.0.1]",
                                             show_default=False)] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, show_default=False,
                                             help="Port to listen on. [default: $FAIRFLAG_PORT or 8000]")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="First migrate and, if the database is empty, seed the "
                                       "demo dataset; print demo credentials to try the API with.")] = False,
    workers: Annotated[int | None, typer.Option(
        min=1, max=64, show_default=False,
        help="Server processes. [default: 1 on SQLite (one writer: more processes only wait for each other); "
        "min(4, 2 x CPUs) on PostgreSQL]")] = None,
) -> None:
    """Run the HTTP API (and the background worker and triage consumer) with uvicorn."""
    settings = settings_from_env(host=host, port=port)
    processes = workers or default_workers(make_url(settings.database_url).get_backend_name())
    with core_for(settings) as core:
        # Fail here, as one red line, rather than in the server's start-up with a traceback.
        if demo or settings.auto_migrate:
            core.migrate()
        else:
            store_migrate.check(core.db)
        if demo:
            summary = seed_with_progress(core)
            if summary.service_key is None:  # seeded earlier: its key was shown then; keys are shown once
                summary = replace(summary, service_key=core.run(CLI, auth.create_service_key, "demo (serve --demo)"))
            print_summary(summary, base_url=base_url(settings))
        from fairflag.api.app import create_app  # the web stack loads only for the server

        if processes == 1:
            uvicorn.run(create_app(settings, core=core), host=settings.host, port=settings.port,
                        log_config=logs.config(settings.log_format, settings.log_level), access_log=False,
                        timeout_keep_alive=int(settings.keepalive_timeout_s))
            return
    # Several processes: each builds its app from the environment (migrated once, above). One of them holds
    # the triage lease at a time (consumer.py); the others only acknowledge.
    os.environ.update({"FAIRFLAG_DATABASE_URL": settings.database_url, "FAIRFLAG_AUTO_MIGRATE": "false"})
    os.environ.setdefault("FAIRFLAG_DB_POOL_MAX", str(max(2, 80 // processes)))  # N processes share 80 connections
    uvicorn.run("fairflag.api.app:create_app", factory=True, host=settings.host, port=settings.port,
                workers=processes, log_config=logs.config(settings.log_format, settings.log_level), access_log=False,
                timeout_keep_alive=int(settings.keepalive_timeout_s))
