"""Routes for console users: login, the queue, cases, decisions, appeals and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from fairflag.api.deps import CoreDep, PathId, UserActor
from fairflag.domain.enums import ActorType, AppealStatus, Surface
from fairflag.services import appeals, audit, auth, decisions, queue
from fairflag.services.context import Actor

router = APIRouter(prefix="/v1", tags=["moderation"])
CaseId = PathId


@router.post("/auth/login", summary="Log in; returns a bearer token")
def login(body: auth.LoginIn, core: CoreDep) -> auth.LoginOut:
    return core.run(Actor(ActorType.user, None), auth.login, body)


@router.get("/queue", summary="Open cases by rank (priority with aging), as claim-next hands them out")
def list_queue(core: CoreDep, actor: UserActor, limit: Annotated[int, Query(ge=1, le=500)] = 50,
               surface: Surface | None = None,
               include_held: Annotated[bool, Query(description="also list follow-ups held after a subject "
                                                               "was cleared")] = False,
               ) -> list[queue.CaseSummary]:
    return core.query(actor, queue.list_queue, limit=limit, surface=surface, include_held=include_held)


@router.post("/queue/claim-next", summary="Claim the highest-ranked unclaimed case that no hold keeps back")
def claim_next(core: CoreDep, actor: UserActor, surface: Surface | None = None) -> queue.CaseSummary:
    return core.run(actor, queue.claim_next, surface)


@router.get("/cases/{case_id}", summary="A case with its reports (reporters as pseudonyms) and history")
def get_case(case_id: CaseId, core: CoreDep, actor: UserActor) -> queue.CaseDetail:
    return core.query(actor, queue.get_case, case_id)


@router.post("/cases/{case_id}/claim", summary="Claim a case (a lease that expires)")
def claim(case_id: CaseId, core: CoreDep, actor: UserActor) -> queue.CaseSummary:
    return core.run(actor, queue.claim, case_id)


@router.post("/cases/{case_id}/release", summary="Give a claimed case back to the queue")
def release(case_id: CaseId, core: CoreDep, actor: UserActor) -> queue.CaseSummary:
    return core.run(actor, queue.release, case_id)


@router.post("/cases/{case_id}/decision", summary="Decide a case you hold")
def decide(case_id: CaseId, body: decisions.DecisionIn, core: CoreDep,
           actor: UserActor) -> decisions.DecisionOut | decisions.SecondReviewPending | decisions.TieBreakPending:
    return core.run(actor, decisions.decide, case_id, body)


@router.get("/appeals", summary="Appeals, oldest first")
def list_appeals(core: CoreDep, actor: UserActor, status: AppealStatus | None = AppealStatus.open,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[appeals.AppealForModerator]:
    return core.query(actor, appeals.list_appeals, status, limit)


@router.post("/appeals/{appeal_id}/resolution", summary="Resolve an appeal (not your own decision)")
def resolve_appeal(appeal_id: PathId, body: appeals.ResolutionIn, core: CoreDep,
                   actor: UserActor) -> appeals.AppealForModerator:
    return core.run(actor, appeals.resolve_appeal, appeal_id, body)


@router.get("/audit", summary="The audit log (admins and auditors)")
def audit_log(core: CoreDep, actor: UserActor, after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> audit.AuditPage:
    return core.query(actor, audit.read_log, after, limit)
