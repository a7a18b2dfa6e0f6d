"""``create_console``: the console as its own small ASGI app, mounted by :func:`fairflag.api.app.create_app`
at :data:`PREFIX`, so its error pages, security headers and static files stay apart from the JSON API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from fairflag.api.errors import STATUS
from fairflag.console import admin, dashboard, oversight, routes, session
from fairflag.console.templates import html_app
from fairflag.core import Fairflag
from fairflag.domain.errors import DomainError

PREFIX = session.PREFIX


def create_console(core: Fairflag) -> FastAPI:
    console = html_app(core, routes.router, oversight.router, dashboard.router, admin.router)
    console.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
        return console.state.templates.TemplateResponse(  # type: ignore[no-any-return]
            request, "error.html", {"title": title, "message": message, "user": None, "prefix": PREFIX},
            status_code=status)

    @console.exception_handler(session.LoginRequired)
    async def _login(request: Request, _: session.LoginRequired) -> Response:
        response = RedirectResponse(f"{PREFIX}/login", status_code=303)
        if request.cookies.get(session.COOKIE):
            session.clear_cookie(request, response, session.COOKIE)
        return response

    @console.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> HTMLResponse:
        status = STATUS[exc.category]
        title = {403: "Not allowed", 404: "Not found", 409: "Not now", 422: "Not accepted"}.get(status, "Refused")
        return error_page(request, status, title, exc.message)

    @console.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> HTMLResponse:
        fields = ", ".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors())
        return error_page(request, 422, "Not accepted", f"Check these fields: {fields}.")

    @console.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        return error_page(request, exc.status_code, "Error", str(exc.detail))

    return console
