"""The review queue: listing open cases by priority, claiming and releasing them, and case detail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, or_, select

from fairflag.domain import cases as case_rules
from fairflag.domain.enums import CaseStatus, ReportOutcome, ReportSource, Surface
from fairflag.domain.errors import Conflict
from fairflag.domain.events import EventKind
from fairflag.services.context import Context
from fairflag.services.permissions import MODERATORS, READERS, require_role
from fairflag.services.pseudonyms import pseudonym_for
from fairflag.store import cases as case_store
from fairflag.store.tables import Campaign, CampaignTarget, Case, Event, Report, ReportState, Subject
from fairflag.store.types import UTCDateTime


class QueueEmpty(Conflict):
    code = "queue_empty"


class CaseSummary(BaseModel):
    id: str
    subject_id: str
    surface: Surface
    status: CaseStatus
    severity: str
    priority: float
    priority_components: dict[str, Any]
    queue_rank: float  # the sort key: priority plus aging (priority_components.queue says how)
    held_until: datetime | None  # a follow-up on a cleared subject, not handed out by claim-next until then
    follows_decision_id: str | None
    opened_at: datetime
    deadline_at: datetime
    overdue: bool
    report_count: int
    reporter_count: int
    claimed_by: str | None
    lease_expires_at: datetime | None
    decision_id: str | None
    awaiting_second_review: bool = False  # a restrictive first opinion awaits another moderator
    awaiting_tie_break: bool = False  # the second moderator disagreed: a third decides


class ReportForModerator(BaseModel):
    id: str
    reporter: str  # a pseudonym: moderators see that reports share a reporter, not who it is
    reason: str
    text: str | None
    evidence_urls: list[str]
    source: ReportSource
    source_detail: dict[str, Any]
    reported_at: datetime
    outcome: ReportOutcome
    withdrawn_at: datetime | None


class CaseHistoryEntry(BaseModel):
    kind: str
    at: datetime
    actor: str
    policy_version: str
    data: dict[str, Any]


class CaseCampaign(BaseModel):
    id: str
    status: str
    confidence: float


class CaseDetail(CaseSummary):
    subject: dict[str, Any]
    reports: list[ReportForModerator]
    history: list[CaseHistoryEntry]
    campaigns: list[CaseCampaign]  # detected campaigns targeting the subject (why it may be protected)


def summary(ctx: Context, case: Case, surface: str) -> CaseSummary:
    state = case_store.to_state(case)
    now = ctx.now()
    holder = state.holder_at(now)
    return CaseSummary(
        id=case.id, subject_id=case.subject_id, surface=Surface(surface), status=CaseStatus(case.status),
        severity=case.severity, priority=case.priority, priority_components=case.priority_components or {},
        queue_rank=case.queue_rank, held_until=case.held_until if _held(case, now) else None,
        follows_decision_id=case.follows_decision_id, opened_at=case.opened_at, deadline_at=case.deadline_at,
        overdue=case.status == CaseStatus.open.value and now > case.deadline_at,
        report_count=case.report_count, reporter_count=case.reporter_count,
        claimed_by=holder, lease_expires_at=case.lease_expires_at if holder else None,
        decision_id=case.decision_id,
        awaiting_second_review=case.status == CaseStatus.open.value and case.first_opinion_by is not None,
        awaiting_tie_break=case.status == CaseStatus.open.value and case.second_opinion_by is not None,
    )


def _held(case: Case, now: datetime) -> bool:
    return case.held_until is not None and case.held_until > now


def _not_held(now: Any) -> Any:
    return or_(Case.held_until.is_(None), Case.held_until <= now)


def list_queue(ctx: Context, *, limit: int = 50, surface: Surface | None = None,
               include_claimed: bool = True, include_held: bool = False) -> list[CaseSummary]:
    """Open cases in the order claim-next hands them out: highest rank (priority with aging) first, earliest
    deadline breaking ties. Held follow-ups on cleared subjects are left out unless asked for."""
    require_role(ctx.actor, READERS, "reading the queue")
    stmt = (
        select(Case, Subject.surface)
        .join(Subject, Subject.id == Case.subject_id)
        .where(Case.status == CaseStatus.open.value)
        .order_by(Case.queue_rank.desc(), Case.deadline_at, Case.opened_at)
        .limit(limit)
    )
    if not include_held:
        stmt = stmt.where(_not_held(ctx.now()))
    if surface is not None:
        stmt = stmt.where(Subject.surface == surface.value)
    if not include_claimed:
        stmt = stmt.where(or_(Case.claimed_by.is_(None), Case.lease_expires_at <= ctx.now()))
    return [summary(ctx, case, surf) for case, surf in ctx.session.execute(stmt)]


def get_case(ctx: Context, case_id: str) -> CaseDetail:
    require_role(ctx.actor, READERS, "reading a case")
    case = ctx.session.get(Case, case_id)
    if case is None:
        raise case_store.CaseNotFound(f"no case {case_id}", field="case_id")
    subject = ctx.session.get(Subject, case.subject_id)
    assert subject is not None
    rows = ctx.session.execute(
        select(Report, ReportState).join(ReportState, ReportState.report_id == Report.id)
        .where(Report.case_id == case.id).order_by(Report.reported_at)
    ).all()
    reports = [
        ReportForModerator(
            id=r.id, reporter=pseudonym_for(ctx, r.reporter_id), reason=r.reason, text=r.text,
            evidence_urls=r.evidence_urls or [], source=ReportSource(r.source), source_detail=r.source_detail or {},
            reported_at=r.reported_at, outcome=ReportOutcome(st.outcome), withdrawn_at=st.withdrawn_at,
        )
        for r, st in rows
    ]
    events = ctx.session.scalars(
        select(Event).where(Event.entity_type == "case", Event.entity_id == case.id).order_by(Event.seq)
    )
    blind = case.status == CaseStatus.open.value  # the second moderator decides without the first opinion
    history = [
        CaseHistoryEntry(kind=e.kind, at=e.occurred_at, actor=f"{e.actor_type}:{e.actor_id or ''}",
                         policy_version=e.policy_version,
                         data=_blinded(e.data or {})
                         if blind and e.kind in _BLINDED else e.data or {})
        for e in events
    ]
    campaigns = [
        CaseCampaign(id=c.id, status=c.status, confidence=c.confidence)
        for c in ctx.session.scalars(
            select(Campaign).join(CampaignTarget, CampaignTarget.campaign_id == Campaign.id)
            .where(CampaignTarget.subject_id == subject.id).order_by(Campaign.first_at)
        )
    ]
    base = summary(ctx, case, subject.surface)
    return CaseDetail(
        **base.model_dump(),
        subject={"id": subject.id, "surface": subject.surface, "owner_id": subject.owner_id,
                 "views": subject.views, "is_live": subject.is_live, "signals": subject.signals or {},
                 "created_at": subject.created_at},
        reports=reports, history=history, campaigns=campaigns,
    )


def summary_holder(ctx: Context, case_id: str) -> str | None:
    """Who holds a live lease on the case now, if anyone."""
    case = ctx.session.get(Case, case_id)
    return case_store.to_state(case).holder_at(ctx.now()) if case else None


def claim(ctx: Context, case_id: str) -> CaseSummary:
    """Take a lease on the case; nobody else can claim it until the lease lapses."""
    moderator = require_role(ctx.actor, MODERATORS, "claiming a case")
    case = case_store.lock(ctx.session, case_id)
    return _lease(ctx, moderator, case, _surface(ctx, case))


def _lease(ctx: Context, moderator: str, case: Case, surface: str) -> CaseSummary:
    lease_s = ctx.policy.limits.claim_lease_s
    case_store.transition(ctx.session, case, case_rules.CaseClaimed(moderator, ctx.now(), lease_s))
    ctx.record(EventKind.case_claimed, "case", case.id,
               {"lease_expires_at": case.lease_expires_at.isoformat() if case.lease_expires_at else None})
    return summary(ctx, case, surface)


def _next_query(by_surface: bool) -> Any:
    """The top of the queue, built once (the statement is the same on every claim; only the values change)."""
    now = bindparam("now", type_=UTCDateTime())
    stmt = (
        select(Case, Subject.surface)
        .join(Subject, Subject.id == Case.subject_id)
        .where(Case.status == CaseStatus.open.value, _not_held(now),
               or_(Case.claimed_by.is_(None), Case.lease_expires_at <= now),
               or_(Case.first_opinion_by.is_(None), Case.first_opinion_by != bindparam("me")),
               or_(Case.second_opinion_by.is_(None), Case.second_opinion_by != bindparam("me")))
        .order_by(Case.queue_rank.desc(), Case.deadline_at, Case.opened_at)
        .limit(1)
        .with_for_update(skip_locked=True, of=Case)
    )
    return stmt.where(Subject.surface == bindparam("surface")) if by_surface else stmt


_NEXT = _next_query(False)
_NEXT_ON_SURFACE = _next_query(True)


_BLINDED = frozenset({EventKind.case_second_review_requested.value, EventKind.case_tie_break_requested.value})


def _blinded(data: dict[str, Any]) -> dict[str, Any]:
    """Why another look is needed, without the opinions themselves."""
    return {**{k: v for k, v in data.items() if k not in ("first_opinion", "second_opinion")},
            "hidden": "the opinion, until the case is decided"}


def claim_next(ctx: Context, surface: Surface | None = None) -> CaseSummary:
    """Claim the highest-ranked case nobody holds and no hold keeps back (``SKIP LOCKED`` on PostgreSQL),
    never one this moderator gave the first opinion on (it awaits someone else).
    The row comes back locked from the same query that picked it."""
    moderator = require_role(ctx.actor, MODERATORS, "claiming a case")
    if surface is None:
        row = ctx.session.execute(_NEXT, {"now": ctx.now(), "me": moderator}).first()
    else:
        row = ctx.session.execute(_NEXT_ON_SURFACE, {"now": ctx.now(), "me": moderator,
                                                     "surface": surface.value}).first()
    if row is None:
        raise QueueEmpty("no unclaimed open case")
    case, case_surface = row
    return _lease(ctx, moderator, case, case_surface)


def release(ctx: Context, case_id: str) -> CaseSummary:
    moderator = require_role(ctx.actor, MODERATORS, "releasing a case")
    case = case_store.lock(ctx.session, case_id)
    case_store.transition(ctx.session, case, case_rules.CaseReleased(moderator, ctx.now()))
    ctx.record(EventKind.case_released, "case", case.id, {})
    return summary(ctx, case, _surface(ctx, case))


def _surface(ctx: Context, case: Case) -> str:
    subject = ctx.session.get(Subject, case.subject_id)
    assert subject is not None
    return subject.surface
