"""The user's report page: no login, the signed link is the credential (services.report_links). Its own small
ASGI app, mounted by :func:`fairflag.api.app.create_app` at ``/report``, with the console's security headers
(no script; no referrer, so the link never leaks to another site) and plain forms that work at phone width."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from fairflag.api.errors import STATUS
from fairflag.console.session import PREFIX as CONSOLE_PREFIX
from fairflag.console.templates import html_app
from fairflag.core import Fairflag
from fairflag.domain.errors import DomainError, InvalidInput
from fairflag.services import report_links
from fairflag.services.report_links import VISITOR

PREFIX = "/report"
Token = Annotated[str, Path(min_length=10, max_length=300, pattern=r"^[A-Za-z0-9_.\-]+$")]
Text = Annotated[str, Form(max_length=20000)]
Short = Annotated[str, Form(max_length=500)]
# What each refusal of a link tells the user, and with which status.
REFUSALS: dict[str, tuple[int, str, str]] = {
    report_links.LinkForged.code: (403, "This link does not work",
                                   "It may have been copied incompletely. Report again from the app."),
    report_links.LinkExpired.code: (410, "This link has expired",
                                    "Links to this page work for a short time only. Report again from the app."),
    report_links.LinkUsed.code: (409, "This link was already used",
                                 "Each link files one report. Your report was received; report again from the app "
                                 "to file another."),
}
router = APIRouter()


def _core(request: Request) -> Fairflag:
    return request.app.state.core  # type: ignore[no-any-return]


def _render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, name, {"static": f"{CONSOLE_PREFIX}/static", **context}, status_code=status)


@router.get("/{token}")
def form_page(request: Request, token: Token) -> HTMLResponse:
    form = _core(request).run(VISITOR, report_links.open_link, token)
    return _render(request, "report_form.html", form=form, token=token, values={}, error=None)


@router.post("/{token}")
def file(request: Request, token: Token, reason: Short = "", text: Text = "", evidence: Text = "",
         illegal: Short = "", explanation: Text = "", location: Short = "", name: Short = "", email: Short = "",
         good_faith: Short = "") -> Response:
    values = {"reason": reason, "text": text, "evidence": evidence, "illegal": illegal, "explanation": explanation,
              "location": location, "name": name, "email": email, "good_faith": good_faith}
    core = _core(request)
    try:
        body = report_links.LinkReportIn.model_validate({
            "reason": reason, "text": text or None,
            "evidence_urls": [line.strip() for line in evidence.splitlines() if line.strip()],
            "illegal": {"explanation": explanation, "location": location, "name": name or None,
                        "email": email or None, "good_faith": bool(good_faith)} if illegal else None,
        })
        core.run(VISITOR, report_links.file_via_link, token, body)
    except (ValidationError, InvalidInput) as exc:
        message = exc.message if isinstance(exc, InvalidInput) else "Check what you wrote: no control characters."
        form = core.run(VISITOR, report_links.open_link, token)
        return _render(request, "report_form.html", 422, form=form, token=token, values=values, error=message)
    return RedirectResponse(f"{PREFIX}/{token}/done", status_code=303)


@router.get("/{token}/done")
def done_page(request: Request, token: Token) -> HTMLResponse:
    state = _core(request).query(VISITOR, report_links.filed, token)
    return _render(request, "report_done.html", state=state, token=token)


@router.post("/{token}/follow-up")
def follow_up(request: Request, token: Token, mode: Short = "") -> Response:
    if mode not in report_links.delivered.BLOCK_MODES:
        raise InvalidInput("choose block or mute")
    _core(request).run(VISITOR, report_links.block_or_mute, token, mode)  # type: ignore[arg-type]
    return RedirectResponse(f"{PREFIX}/{token}/done", status_code=303)


def create_report_pages(core: Fairflag) -> FastAPI:
    pages = html_app(core, router)

    def refusal(request: Request, status: int, title: str, message: str) -> HTMLResponse:
        return _render(request, "report_refused.html", status, title=title, message=message)

    @pages.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> HTMLResponse:
        if exc.code in REFUSALS:
            return refusal(request, *REFUSALS[exc.code])
        return refusal(request, STATUS[exc.category], "Not accepted", exc.message)

    @pages.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> HTMLResponse:
        return refusal(request, *REFUSALS[report_links.LinkForged.code]) if any(
            e.get("loc", [None])[0] == "path" for e in exc.errors()) else refusal(
            request, 422, "Not accepted", "Some fields were too long.")

    @pages.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        return refusal(request, exc.status_code, "Not found" if exc.status_code == 404 else "Error", str(exc.detail))

    return pages
