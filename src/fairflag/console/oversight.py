"""Console pages for senior work and what it rests on: appeals, campaigns, and a reporter's record (always as a
pseudonym). Like :mod:`fairflag.console.routes`, each handler calls one use case; who may resolve or confirm
is the service's answer, never the page's."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from fairflag.console import charts
from fairflag.console.routes import CoreDep, FormUser, User, render, see_other
from fairflag.domain.enums import AppealStatus, AppellantRole, CampaignStatus
from fairflag.domain.errors import InvalidInput
from fairflag.services import appeals, campaigns, reporters
from fairflag.services.permissions import SENIORS

router = APIRouter()
M = TypeVar("M", bound=BaseModel)
Id = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
Via = Annotated[str, Query(max_length=200)]


# --- appeals -----------------------------------------------------------------------------------------------

@router.get("/appeals")
def appeals_page(request: Request, core: CoreDep, user: User,
                 status: Annotated[str, Query(max_length=20)] = AppealStatus.open.value) -> HTMLResponse:
    chosen = AppealStatus(status) if status in AppealStatus.__members__ else None
    rows = core.query(user.actor, appeals.list_appeals, chosen, 200)
    return render(request, "appeals.html", user, rows=rows, status=chosen.value if chosen else "all",
                  statuses=list(AppealStatus))


@router.get("/appeals/{appeal_id}")
def appeal_page(request: Request, core: CoreDep, user: User, appeal_id: Id) -> HTMLResponse:
    appeal = core.query(user.actor, appeals.get_appeal, appeal_id)
    policy = core.policy
    return render(request, "appeal.html", user, appeal=appeal, reporter_appeal=appeal.appellant_role
                  is AppellantRole.reporter, actions=sorted(policy.actions), action_specs=policy.actions,
                  rules=sorted(policy.reasons), reason_specs=policy.reasons)


@router.post("/appeals/{appeal_id}/resolution")
def resolve(core: CoreDep, user: FormUser, appeal_id: Id,
            outcome: Annotated[str, Form(max_length=20)] = "",
            statement: Annotated[str, Form(max_length=20000)] = "",
            action: Annotated[str, Form(max_length=50)] = "",
            rule: Annotated[str, Form(max_length=50)] = "",
            duration_days: Annotated[str, Form(max_length=10)] = "") -> Response:
    """Fields that only an overturned reporter appeal uses are dropped otherwise; the use case checks the rest."""
    new_action = outcome == AppealStatus.overturned.value and (action or rule or duration_days.strip())
    try:
        days = float(duration_days) if new_action and duration_days.strip() else None
        body = appeals.ResolutionIn.model_validate({
            "outcome": outcome, "statement": statement,
            "action": (action or None) if new_action else None, "rule": (rule or None) if new_action else None,
            "duration_s": round(days * 86400) if days is not None else None,
        })
    except (ValidationError, ValueError, OverflowError) as exc:
        raise InvalidInput("choose upheld or overturned and write the reasons (durations in days)") from exc
    out = core.run(user.actor, appeals.resolve_appeal, appeal_id, body)
    return see_other(f"/appeals/{appeal_id}?done={out.status.value}")


# --- campaigns ---------------------------------------------------------------------------------------------

@router.get("/campaigns")
def campaigns_page(request: Request, core: CoreDep, user: User,
                   status: Annotated[str, Query(max_length=20)] = CampaignStatus.detected.value) -> HTMLResponse:
    chosen = CampaignStatus(status) if status in CampaignStatus.__members__ else None
    rows = core.query(user.actor, campaigns.list_campaigns, chosen, 200)
    return render(request, "campaigns.html", user, rows=rows, status=chosen.value if chosen else "all",
                  statuses=list(CampaignStatus))


@router.get("/campaigns/{campaign_id}")
def campaign_page(request: Request, core: CoreDep, user: User, campaign_id: Id,
                  done: Annotated[str, Query(max_length=50)] = "") -> HTMLResponse:
    campaign = core.query(user.actor, campaigns.get_campaign, campaign_id)
    edges = core.query(user.actor, campaigns.campaign_edges, campaign_id)
    graph = charts.campaign_graph(edges, f"Graph of campaign {campaign.id}: each member linked to the subjects "
                                         "they reported")
    return render(request, "campaign.html", user, campaign=campaign, graph=graph, edges=len(edges),
                  senior=user.role in SENIORS, done=done)


def _body(model: type[M], **fields: str) -> M:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise InvalidInput(f"check these fields: {', '.join(fields)}") from exc


@router.post("/campaigns/{campaign_id}/confirm")
def confirm(core: CoreDep, user: FormUser, campaign_id: Id,
            note: Annotated[str, Form(max_length=20000)] = "") -> Response:
    core.run(user.actor, campaigns.confirm, campaign_id, _body(campaigns.CampaignDecisionIn, note=note))
    return see_other(f"/campaigns/{campaign_id}?done=confirmed")


@router.post("/campaigns/{campaign_id}/dismiss")
def dismiss(core: CoreDep, user: FormUser, campaign_id: Id,
            note: Annotated[str, Form(max_length=20000)] = "") -> Response:
    core.run(user.actor, campaigns.dismiss, campaign_id, _body(campaigns.CampaignDecisionIn, note=note))
    return see_other(f"/campaigns/{campaign_id}?done=dismissed")


@router.post("/campaigns/{campaign_id}/dismiss-cases")
def dismiss_cases(core: CoreDep, user: FormUser, campaign_id: Id,
                  statement: Annotated[str, Form(max_length=20000)] = "") -> Response:
    out = core.run(user.actor, campaigns.dismiss_cases, campaign_id,
                   _body(campaigns.BulkDismissIn, statement=statement))
    return see_other(f"/campaigns/{campaign_id}?done=closed-{len(out.decided_cases)}-skipped-"
                     f"{len(out.skipped_cases)}")


# --- a reporter, as a pseudonym ----------------------------------------------------------------------------

@router.get("/reporters/{pseudonym}")
def reporter_page(request: Request, core: CoreDep, user: User,
                  pseudonym: Annotated[str, Path(pattern=r"^rp_[0-9a-f]{12}$")],
                  case: Via = "", campaign: Via = "") -> HTMLResponse:
    profile = core.query(user.actor, reporters.reporter_profile, pseudonym, case_id=case or None,
                         campaign_id=campaign or None)
    return render(request, "reporter.html", user, profile=profile, via_case=case, via_campaign=campaign)
