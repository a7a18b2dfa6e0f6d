"""What creators and reporters see, through the platform; and the read-only views the moderator console needs
beyond the queue's own (:func:`moderator_queue`, :func:`report_credibility`).

The creator view is built only from decisions, actions, strikes and appeals: it never reads a report,
so nothing in it can reveal who reported or anything derived from it (not even how many).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select

from fairflag.domain.enums import (
    ActionKind,
    ActionStatus,
    AppellantRole,
    CampaignStatus,
    DecisionOutcome,
    ReportOutcome,
    ReportSource,
    Surface,
)
from fairflag.services import reputation, validation
from fairflag.services.appeals import AppealOut, appeal_out
from fairflag.services.context import Context
from fairflag.services.decisions import ActionOut, action_out
from fairflag.services.permissions import READERS, require_role
from fairflag.services.queue import CaseSummary, list_queue
from fairflag.store.tables import (
    Account,
    Appeal,
    Campaign,
    CampaignTarget,
    Case,
    Decision,
    EnforcementAction,
    Report,
    ReportState,
    Strike,
    Subject,
)


class StatementOfReasons(BaseModel):
    """DSA Art. 17: what was restricted, on what ground, on what facts, and how to seek redress."""

    decision_id: str | None = Field(description="Null for an automatic restriction pending review.")
    subject_id: str
    surface: str
    restriction: ActionKind
    duration_s: int | None
    ground: str = Field(description="The rule of the community guidelines that was broken.")
    ground_description: str
    facts_and_circumstances: str = Field(description="The moderator's statement of reasons.")
    basis: str = Field(description="'notice': the decision followed reports from users or other sources.")
    automated_detection: bool = Field(description="Whether automated means detected the content.")
    automated_decision: bool = Field(description="Whether the decision itself was taken by automated means.")
    decided_at: datetime
    policy_version: str
    redress: str
    appeal_deadline_at: datetime | None
    appealable_now: bool


class StrikeOut(BaseModel):
    id: str
    decision_id: str
    issued_at: datetime
    expires_at: datetime
    removed_at: datetime | None
    active: bool


class CreatorNotices(BaseModel):
    account_id: str
    active_strikes: int
    statements: list[StatementOfReasons]
    actions: list[ActionOut]
    strikes: list[StrikeOut]
    appeals: list[AppealOut]


class DecisionSummary(BaseModel):
    id: str
    outcome: DecisionOutcome
    action: ActionKind | None
    rule: str | None
    decided_at: datetime
    appeal_deadline_at: datetime
    appealable_now: bool


class ReporterReport(BaseModel):
    id: str
    subject_id: str
    reason: str
    source: ReportSource
    reported_at: datetime
    outcome: ReportOutcome
    withdrawn_at: datetime | None
    processed: bool = Field(description="False when filed while the reporter's processing was suspended.")
    decisions: list[DecisionSummary]


class MisuseStatus(BaseModel):
    """DSA Art. 23: a warning, or a time-limited suspension of processing, with the reasons."""

    warned_at: datetime | None
    warning_reason: str | None
    suspended_until: datetime | None
    suspension_reason: str | None
    processing_suspended: bool


class ReporterView(BaseModel):
    account_id: str
    misuse: MisuseStatus
    reports: list[ReporterReport]
    appeals: list[AppealOut]


REDRESS = (
    "You can appeal this decision until {deadline} through the platform; a different, senior moderator will "
    "review it. You may also use a certified out-of-court dispute settlement body or seek judicial redress."
)


def creator_notices(ctx: Context, account_id: str) -> CreatorNotices:
    validation.external_id(ctx.policy, account_id, "account_id")
    now = ctx.now()
    rows = ctx.session.execute(
        select(Decision, Subject.surface).join(Subject, Subject.id == Decision.subject_id)
        .where(Decision.owner_id == account_id, Decision.outcome == DecisionOutcome.violation.value)
        .order_by(Decision.decided_at, Decision.id)
    ).all()
    appealed = set(ctx.session.scalars(select(Appeal.decision_id).where(Appeal.appellant_id == account_id)))
    statements = []
    for d, surface in rows:
        assert d.action is not None and d.rule is not None
        statements.append(StatementOfReasons(
            decision_id=d.id, subject_id=d.subject_id, surface=surface, restriction=ActionKind(d.action),
            duration_s=d.duration_s, ground=d.rule, ground_description=ctx.policy.reasons[d.rule].description
            if d.rule in ctx.policy.reasons else d.rule,
            facts_and_circumstances=d.statement, basis="notice", automated_detection=False,
            automated_decision=False, decided_at=d.decided_at, policy_version=d.policy_version,
            redress=REDRESS.format(deadline=d.appeal_deadline_at.date().isoformat()),
            appeal_deadline_at=d.appeal_deadline_at,
            appealable_now=now <= d.appeal_deadline_at and d.id not in appealed,
        ))
    actions = ctx.session.scalars(
        select(EnforcementAction).where(EnforcementAction.owner_id == account_id)
        .order_by(EnforcementAction.starts_at, EnforcementAction.id)
    ).all()
    statements.extend(_automatic_statement(ctx, a) for a in actions if a.automatic)
    strikes = ctx.session.scalars(
        select(Strike).where(Strike.account_id == account_id).order_by(Strike.issued_at, Strike.id)
    ).all()
    strike_out = [
        StrikeOut(id=s.id, decision_id=s.decision_id, issued_at=s.issued_at, expires_at=s.expires_at,
                  removed_at=s.removed_at, active=s.removed_at is None and s.expires_at > now)
        for s in strikes
    ]
    appeals = ctx.session.scalars(
        select(Appeal).where(Appeal.appellant_id == account_id,
                             Appeal.appellant_role == AppellantRole.creator.value).order_by(Appeal.filed_at)
    ).all()
    return CreatorNotices(
        account_id=account_id, active_strikes=sum(1 for s in strike_out if s.active), statements=statements,
        actions=[action_out(a) for a in actions], strikes=strike_out, appeals=[appeal_out(a) for a in appeals],
    )


AUTOMATIC_FACTS = (
    "Visibility was restricted automatically, pending review by a moderator, because several independent "
    "sources with a good record of accurate reports described a likely violation of this rule."
)


def _automatic_statement(ctx: Context, action: EnforcementAction) -> StatementOfReasons:
    """Art. 17 also covers automatic restrictions. The ground is the reason category most backed by credible
    evidence, which says nothing about who reported."""
    subject = ctx.session.get(Subject, action.target_id)
    case = ctx.session.scalars(select(Case).where(Case.subject_id == action.target_id)
                               .order_by(Case.opened_at.desc()).limit(1)).first()
    by_reason = (case.priority_components or {}).get("evidence_by_reason", {}) if case else {}
    ground = max(by_reason, key=by_reason.get) if by_reason else "other"
    ended = action.status != ActionStatus.active.value
    return StatementOfReasons(
        decision_id=None, subject_id=action.target_id, surface=subject.surface if subject else "unknown",
        restriction=ActionKind(action.kind), duration_s=None, ground=ground,
        ground_description=ctx.policy.reasons[ground].description if ground in ctx.policy.reasons else ground,
        facts_and_circumstances=AUTOMATIC_FACTS + (f" It ended: {action.end_reason}." if ended else ""),
        basis="notice", automated_detection=True, automated_decision=True, decided_at=action.starts_at,
        policy_version=action.policy_version,
        redress="A moderator reviews this restriction; you will receive the decision, which you can appeal.",
        appeal_deadline_at=None, appealable_now=False,
    )


def reporter_view(ctx: Context, account_id: str, limit: int = 200) -> ReporterView:
    validation.external_id(ctx.policy, account_id, "account_id")
    now = ctx.now()
    rows = ctx.session.execute(
        select(Report, ReportState).join(ReportState, ReportState.report_id == Report.id)
        .where(Report.reporter_id == account_id).order_by(Report.reported_at.desc(), Report.id).limit(limit)
    ).all()
    case_ids = {r.case_id for r, _ in rows}
    by_case: dict[str, list[DecisionSummary]] = {}
    appealed = set(ctx.session.scalars(select(Appeal.decision_id).where(Appeal.appellant_id == account_id)))
    if case_ids:
        for d in ctx.session.scalars(
            select(Decision).where(Decision.case_id.in_(case_ids)).order_by(Decision.decided_at, Decision.id)
        ):
            by_case.setdefault(d.case_id, []).append(DecisionSummary(
                id=d.id, outcome=DecisionOutcome(d.outcome), action=ActionKind(d.action) if d.action else None,
                rule=d.rule, decided_at=d.decided_at, appeal_deadline_at=d.appeal_deadline_at,
                appealable_now=d.outcome == DecisionOutcome.no_violation.value and now <= d.appeal_deadline_at
                and d.id not in appealed,
            ))
    reports = [
        ReporterReport(id=r.id, subject_id=r.subject_id, reason=r.reason, source=ReportSource(r.source),
                       reported_at=r.reported_at, outcome=ReportOutcome(st.outcome), withdrawn_at=st.withdrawn_at,
                       processed=st.processed, decisions=by_case.get(r.case_id, []))
        for r, st in rows
    ]
    appeals = ctx.session.scalars(
        select(Appeal).where(Appeal.appellant_id == account_id,
                             Appeal.appellant_role == AppellantRole.reporter.value).order_by(Appeal.filed_at)
    ).all()
    stats = reputation.stats(ctx, account_id)
    misuse = MisuseStatus(
        warned_at=stats.warned_at if stats else None, warning_reason=stats.warning_reason if stats else None,
        suspended_until=stats.suspended_until if stats else None,
        suspension_reason=stats.suspension_reason if stats else None,
        processing_suspended=reputation.processing_suspended(ctx, account_id, now),
    )
    return ReporterView(account_id=account_id, misuse=misuse, reports=reports,
                        appeals=[appeal_out(a) for a in appeals])


QueueFilter = Literal["open", "unclaimed", "claimed", "second_review", "tie_break", "held"]
QUEUE_FILTERS: dict[str, str] = {
    "open": "every open case", "unclaimed": "nobody holds it", "claimed": "someone holds it",
    "second_review": "awaiting a second review", "tie_break": "awaiting a tie-break",
    "held": "held follow-ups on cleared subjects",
}


class QueueRow(BaseModel):
    """One line of the console's queue: the case plus what a moderator scans for before opening it."""

    case: CaseSummary
    reasons: list[str]
    campaigns: list[CampaignStatus] = Field(description="Live (not dismissed) campaigns targeting the subject.")
    held_why: str | None = Field(description="Why a follow-up on a cleared subject is held back, while it is.")


def moderator_queue(ctx: Context, *, surface: Surface | None = None, reason: str | None = None,
                    status: QueueFilter = "open", limit: int = 100, scan: int = 500) -> list[QueueRow]:
    """The queue in rank order with each case's reported reasons and campaign flags. The reason and status
    filters apply to the ``scan`` top-ranked open cases (held ones included only for ``held``)."""
    require_role(ctx.actor, READERS, "reading the queue")
    cases = list_queue(ctx, limit=scan, surface=surface, include_held=status == "held")
    now = ctx.now()
    keep = {
        "open": lambda c: True,
        "unclaimed": lambda c: c.claimed_by is None,
        "claimed": lambda c: c.claimed_by is not None,
        "second_review": lambda c: c.awaiting_second_review,
        "tie_break": lambda c: c.awaiting_tie_break,
        "held": lambda c: c.held_until is not None and c.held_until > now,
    }[status]
    cases = [c for c in cases if keep(c)]
    ids = [c.id for c in cases]
    reasons: dict[str, set[str]] = {}
    campaigns: dict[str, set[str]] = {}
    if ids:
        for case_id, why in ctx.session.execute(
            select(Report.case_id, Report.reason).where(Report.case_id.in_(ids)).distinct()
        ):
            reasons.setdefault(case_id, set()).add(why)
        subjects = {c.subject_id for c in cases}
        for subject_id, campaign_status in ctx.session.execute(
            select(CampaignTarget.subject_id, Campaign.status)
            .join(Campaign, Campaign.id == CampaignTarget.campaign_id)
            .where(CampaignTarget.subject_id.in_(subjects), Campaign.status != CampaignStatus.dismissed.value)
        ):
            campaigns.setdefault(subject_id, set()).add(campaign_status)
    rows = [
        QueueRow(case=c, reasons=sorted(reasons.get(c.id, ())),
                 campaigns=sorted(CampaignStatus(s) for s in campaigns.get(c.subject_id, ())),
                 held_why=(c.priority_components.get("rereview") or {}).get("why_held") if c.held_until else None)
        for c in cases
    ]
    if reason is not None:
        rows = [r for r in rows if reason in r.reasons]
    return rows[:limit]


def report_credibility(ctx: Context, case_id: str) -> dict[str, float]:
    """Each report's reporter credibility now, in the report's reason family (what moderators weigh a report
    by; the reporter stays a pseudonym)."""
    require_role(ctx.actor, READERS, "reading a case")
    now = ctx.now()
    out: dict[str, float] = {}
    for report_id, reporter_id, reason, account in ctx.session.execute(
        select(Report.id, Report.reporter_id, Report.reason, Account)
        .outerjoin(Account, Account.id == Report.reporter_id).where(Report.case_id == case_id)
    ):
        out[report_id] = reputation.credibility_of(ctx, reporter_id, family=ctx.policy.family_of(reason),
                                                   account=account, at=now).value
    return out
