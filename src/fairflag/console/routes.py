"""Console pages and form posts. Each handler authenticates, calls one use case, and renders or redirects
(POST, then a 303 to a page: a reload never repeats an action)."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from fairflag.console import csrf, session
from fairflag.console.session import ConsoleUser
from fairflag.core import Fairflag
from fairflag.domain.enums import CaseStatus, DecisionOutcome, Surface
from fairflag.domain.errors import Forbidden, InvalidInput, Unauthenticated
from fairflag.domain.events import EventKind
from fairflag.services import audit, auth, decisions, queue, views

PREFIX = session.PREFIX
router = APIRouter()
CaseId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
# Events whose data the service blinds while the case is open. The console also leaves out who acted up to the
# last of them: who claimed the case before an opinion says whose opinion it was.
BLINDED = frozenset({EventKind.case_second_review_requested.value, EventKind.case_tie_break_requested.value})


class CsrfRefused(Forbidden):
    code = "csrf_refused"


def get_core(request: Request) -> Fairflag:
    return request.app.state.core  # type: ignore[no-any-return]


CoreDep = Annotated[Fairflag, Depends(get_core)]


def signed_in(request: Request, core: CoreDep) -> ConsoleUser:
    return session.current_user(request, core)


def form_user(request: Request, core: CoreDep, csrf_token: Annotated[str, Form(max_length=200)] = "") -> ConsoleUser:
    """The user behind a form post, which must carry the session's CSRF token."""
    user = session.current_user(request, core)
    if not csrf.session_ok(user.token, csrf_token):
        raise CsrfRefused("this form did not come from your console session; reload the page and try again")
    return user


User = Annotated[ConsoleUser, Depends(signed_in)]
FormUser = Annotated[ConsoleUser, Depends(form_user)]


def render(request: Request, name: str, user: ConsoleUser | None, code: int = 200, **context: Any) -> HTMLResponse:
    core: Fairflag = request.app.state.core
    csrf_token = csrf.for_session(user.token) if user else ""
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, name, {"user": user, "csrf_token": csrf_token, "now": core.clock.now(), "prefix": PREFIX,
                        **context}, status_code=code)


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}{path}", status_code=303)


# --- login -------------------------------------------------------------------------------------------------

@router.get("/", include_in_schema=False)
def home(user: User) -> Response:
    return see_other("/queue")


@router.get("/login")
def login_page(request: Request) -> HTMLResponse:
    return _login_form(request)


def _login_form(request: Request, error: str | None = None, status: int = 200) -> HTMLResponse:
    token = csrf.new_login_token()
    response = render(request, "login.html", None, status, login_csrf=token, error=error)
    session.set_cookie(request, response, csrf.LOGIN_COOKIE, token, max_age=3600)
    return response


@router.post("/login")
def login(request: Request, core: CoreDep, username: Annotated[str, Form(max_length=100)] = "",
          password: Annotated[str, Form(max_length=1024)] = "",
          csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    if not csrf.login_ok(request.cookies.get(csrf.LOGIN_COOKIE), csrf_token):
        return _login_form(request, "The login form expired; please try again.", 403)
    try:
        body = auth.LoginIn(username=username, password=password)
        out = core.run(session.ANONYMOUS, auth.login, body, ttl=auth.CONSOLE_IDLE)
    except (ValidationError, Unauthenticated):
        return _login_form(request, "Wrong username or password.", 401)
    old = request.cookies.get(session.COOKIE)
    if old and len(old) <= 200:
        core.run(session.ANONYMOUS, auth.logout, old)  # a session id is never carried across a login
    response = see_other("/queue")
    session.set_cookie(request, response, session.COOKIE, out.token, max_age=int(auth.TOKEN_TTL.total_seconds()))
    session.clear_cookie(request, response, csrf.LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, core: CoreDep, user: FormUser) -> Response:
    core.run(user.actor, auth.logout, user.token)
    response = see_other("/login")
    session.clear_cookie(request, response, session.COOKIE)
    return response


# --- queue -------------------------------------------------------------------------------------------------

@router.get("/queue")
def queue_page(request: Request, core: CoreDep, user: User,
               surface: Annotated[str, Query(max_length=50)] = "",
               reason: Annotated[str, Query(max_length=50)] = "",
               status: Annotated[str, Query(max_length=50)] = "open",
               empty: bool = False) -> HTMLResponse:
    chosen_surface = Surface(surface) if surface in Surface.__members__ else None
    chosen_reason = reason if reason in core.policy.reasons else None
    chosen_status = cast(views.QueueFilter, status if status in views.QUEUE_FILTERS else "open")
    rows = core.query(user.actor, views.moderator_queue, surface=chosen_surface, reason=chosen_reason,
                      status=chosen_status)
    return render(request, "queue.html", user, rows=rows, surfaces=list(Surface), reasons=sorted(core.policy.reasons),
                  filters=views.QUEUE_FILTERS, surface=chosen_surface.value if chosen_surface else "",
                  reason=chosen_reason or "", status=chosen_status, empty=empty)


@router.post("/queue/claim-next")
def claim_next(core: CoreDep, user: FormUser, surface: Annotated[str, Form(max_length=50)] = "") -> Response:
    try:
        case = core.run(user.actor, queue.claim_next, Surface(surface) if surface in Surface.__members__ else None)
    except queue.QueueEmpty:
        return see_other("/queue?empty=true")
    return see_other(f"/cases/{case.id}")


# --- a case ------------------------------------------------------------------------------------------------

@router.get("/cases/{case_id}")
def case_page(request: Request, core: CoreDep, user: User, case_id: CaseId,
              done: Annotated[str, Query(max_length=50)] = "") -> HTMLResponse:
    case = core.query(user.actor, queue.get_case, case_id)
    credibility = core.query(user.actor, views.report_credibility, case_id)
    by_reason: dict[str, list[queue.ReportForModerator]] = {}
    for report in case.reports:
        by_reason.setdefault(report.reason, []).append(report)
    is_open = case.status is CaseStatus.open
    anonymous_upto = max((i for i, e in enumerate(case.history) if e.kind in BLINDED), default=-1) if is_open else -1
    policy = core.policy
    actions = [name for name, spec in policy.actions.items()
               if not spec.surfaces or case.surface.value in spec.surfaces]
    return render(request, "case.html", user, case=case, by_reason=by_reason, credibility=credibility,
                  history=case.history, anonymous_upto=anonymous_upto, is_open=is_open,
                  mine=case.claimed_by == user.actor.id, actions=actions, action_specs=policy.actions,
                  rules=sorted(policy.reasons), reason_specs=policy.reasons, done=done)


@router.post("/cases/{case_id}/claim")
def claim(core: CoreDep, user: FormUser, case_id: CaseId) -> Response:
    core.run(user.actor, queue.claim, case_id)
    return see_other(f"/cases/{case_id}")


@router.post("/cases/{case_id}/release")
def release(core: CoreDep, user: FormUser, case_id: CaseId) -> Response:
    core.run(user.actor, queue.release, case_id)
    return see_other("/queue")


@router.post("/cases/{case_id}/decision")
def decide(core: CoreDep, user: FormUser, case_id: CaseId,
           outcome: Annotated[str, Form(max_length=50)] = "",
           action: Annotated[str, Form(max_length=50)] = "",
           rule: Annotated[str, Form(max_length=50)] = "",
           duration_days: Annotated[str, Form(max_length=10)] = "",
           statement: Annotated[str, Form(max_length=20000)] = "") -> Response:
    """The form sends every field; those that do not apply to the outcome chosen are dropped here, and the
    use case checks the rest exactly as it does for the API."""
    violation = outcome == DecisionOutcome.violation.value
    try:
        days = float(duration_days) if violation and duration_days.strip() else None
        body = decisions.DecisionIn.model_validate({
            "outcome": outcome, "statement": statement,
            "action": (action or None) if violation else None,
            "rule": (rule or None) if violation else None,
            "duration_s": round(days * 86400) if days is not None else None,
        })
    except (ValidationError, ValueError, OverflowError) as exc:
        raise InvalidInput("choose an outcome; for a violation, an action and the rule; and write a statement "
                           "of reasons (durations in days)") from exc
    out = core.run(user.actor, decisions.decide, case_id, body)
    return see_other(f"/cases/{case_id}?done={out.status}")


# --- audit log (auditors and admins) -----------------------------------------------------------------------

@router.get("/audit")
def audit_page(request: Request, core: CoreDep, user: User,
               after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0) -> HTMLResponse:
    page = core.query(user.actor, audit.read_log, after, 100, pseudonymous=True)
    return render(request, "audit.html", user, page=page, after=after)
