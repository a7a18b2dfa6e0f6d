"""The Jinja2 environment (autoescaped), the small formatting helpers the pages share, and the app that serves
them."""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from fairflag.console.headers import SecurityHeaders

if TYPE_CHECKING:
    from fairflag.core import Fairflag

# Reasons whose reports may carry disturbing text or media: shown behind a <details> until asked for.
SENSITIVE_REASONS = frozenset({"violence", "sexual_content", "self_harm", "minor_safety"})


def duration(seconds: float) -> str:
    """``2 h 05 min``, ``4 min``, ``3 d 2 h``: how long, to the minute."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"


def time_left(deadline: datetime, now: datetime) -> str:
    left = (deadline - now).total_seconds()
    return f"{duration(left)} left" if left >= 0 else f"overdue by {duration(left)}"


def number(value: Any, digits: int = 2) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
    env = templates.env
    env.autoescape = True  # every value, report text above all, is escaped
    env.filters.update(duration=duration, number=number)
    env.globals.update(time_left=time_left, SENSITIVE_REASONS=SENSITIVE_REASONS)
    return templates


def html_app(core: Fairflag, *routers: APIRouter) -> FastAPI:
    """An app of server-rendered pages (console, public transparency, report page): the core, the escaping
    templates and the security headers every page needs, and no API docs. Each adds its own error pages."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.core = core
    app.state.templates = make_templates()
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(Exception, _unexpected)
    for router in routers:
        app.include_router(router)
    return app


async def _unexpected(request: Request, exc: Exception) -> HTMLResponse:
    """A page's last-resort 500: a short page naming the request id that the log line (with the traceback,
    written by the API's guard) names too; never the failure's details."""
    rid = html.escape(str(getattr(request.state, "request_id", "-")))
    return HTMLResponse("<!doctype html><meta charset=\"utf-8\"><title>Something went wrong</title>"
                        f"<h1>Something went wrong</h1><p>Please try again later; quote request id {rid} when "
                        "reporting it.</p>", status_code=500)
