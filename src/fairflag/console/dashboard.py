"""The transparency dashboard: the figures of :mod:`fairflag.services.transparency` as server-drawn charts,
tables and one CSV per table. The operator may also publish a read-only copy without login at
:data:`PUBLIC_PREFIX` (``FAIRFLAG_PUBLIC_TRANSPARENCY``): its own small app, mounted only then."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from fairflag.console import charts
from fairflag.console.routes import PREFIX, CoreDep, User, render
from fairflag.console.session import ANONYMOUS, ConsoleUser
from fairflag.console.templates import html_app
from fairflag.core import Fairflag
from fairflag.domain.errors import NotFound
from fairflag.services import transparency

PUBLIC_PREFIX = "/transparency"
router = APIRouter()
public_router = APIRouter()
Days = Annotated[int, Query(ge=1, le=transparency.MAX_PERIOD.days)]
TableName = Annotated[str, Path(pattern=r"^[a-z_]{1,40}$")]
PERIODS = (7, 30, 90, 365)


class TableNotFound(NotFound):
    code = "table_not_found"


def _report(core: Fairflag, days: int, user: ConsoleUser | None) -> transparency.TransparencyReport:
    """Signed in, the console's figures; without a user, the public page's (mounted only when published)."""
    until = core.clock.now() + timedelta(seconds=1)  # the period ends after this second, which counts
    since = until - timedelta(days=days)
    if user is None:
        return core.query(ANONYMOUS, transparency.public_transparency_report, since, until)
    return core.query(user.actor, transparency.transparency_report, since, until)


def _charts(report: transparency.TransparencyReport) -> dict[str, list[Markup]]:
    """The charts drawn above each table (by table name); the table itself stays the reference."""
    out: dict[str, list[Markup]] = {}
    reports = report.table("reports")
    if reports.rows:
        periods = sorted({str(r[0]) for r in reports.rows})
        for column, by in ((1, "reason"), (2, "surface")):
            keys = sorted({str(r[column]) for r in reports.rows})
            series = {k: [sum(int(r[3] or 0) for r in reports.rows if r[0] == p and r[column] == k) for p in periods]
                      for k in keys}
            out.setdefault("reports", []).append(
                charts.bars(periods, series, f"Reports per period, by {by}", ylabel="reports", stacked=True))
    actions = report.table("actions")
    if actions.rows:
        kinds = sorted({str(r[0]) for r in actions.rows})
        series = {by: [sum(int(r[2] or 0) for r in actions.rows if r[0] == k and r[1] == by) for k in kinds]
                  for by in ("human", "automated")}
        out["actions"] = [charts.bars(kinds, series, "Actions taken, by a person or automatically",
                                      ylabel="actions")]
    tta = report.table("time_to_action")
    if tta.rows:
        out["time_to_action"] = [charts.bars([str(r[0]) for r in tta.rows],
                                             {"median hours": [float(r[2] or 0) for r in tta.rows]},
                                             "Median hours from first report to action, by surface",
                                             ylabel="hours")]
    return out


def _page(request: Request, core: Fairflag, user: ConsoleUser | None, days: int, csv_base: str) -> HTMLResponse:
    report = _report(core, days, user)
    return render(request, "transparency.html", user, report=report, charts=_charts(report), days=days,
                  periods=PERIODS, public=user is None, csv_base=csv_base)


def _csv(report: transparency.TransparencyReport, name: str) -> Response:
    table = next((t for t in report.tables if t.name == name), None)
    if table is None:
        raise TableNotFound("no such table")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows([_safe(cell) for cell in row] for row in table.rows)
    filename = f"fairflag-{name}-{report.since.date().isoformat()}-{report.until.date().isoformat()}.csv"
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _safe(cell: object) -> object:
    """A text cell a spreadsheet would run as a formula is quoted as text."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return "" if cell is None else cell


# --- in the console ----------------------------------------------------------------------------------------

@router.get("/transparency")
def dashboard(request: Request, core: CoreDep, user: User, days: Days = 30) -> HTMLResponse:
    return _page(request, core, user, days, f"{PREFIX}/transparency/")


@router.get("/transparency/{name}.csv")
def export(core: CoreDep, user: User, name: TableName, days: Days = 30) -> Response:
    return _csv(_report(core, days, user), name)


# --- published, without login ------------------------------------------------------------------------------

@public_router.get("/")
def public_dashboard(request: Request, core: CoreDep, days: Days = 30) -> HTMLResponse:
    return _page(request, core, None, days, f"{PUBLIC_PREFIX}/")


@public_router.get("/{name}.csv")
def public_export(core: CoreDep, name: TableName, days: Days = 30) -> Response:
    return _csv(_report(core, days, None), name)


def create_public_transparency(core: Fairflag) -> FastAPI:
    public = html_app(core, public_router)

    def error_page(request: Request, status: int, message: str) -> HTMLResponse:
        return render(request, "error.html", None, status, title="Not found" if status == 404 else "Not accepted",
                      message=message)

    @public.exception_handler(NotFound)
    async def _missing(request: Request, exc: NotFound) -> HTMLResponse:
        return error_page(request, 404, exc.message)

    @public.exception_handler(RequestValidationError)
    async def _invalid(request: Request, _: RequestValidationError) -> HTMLResponse:
        return error_page(request, 422, "Choose a period of 1 to 400 days.")

    @public.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        return error_page(request, exc.status_code, str(exc.detail))

    return public
