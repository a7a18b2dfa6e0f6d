"""Appeals (DSA Art. 20): the creator appeals an action, a reporter appeals a "no violation".

Rules:
- an appeal is filed within the policy's window after the decision, once per appellant and decision;
- a creator appeals decisions on their own content or account that took action; a reporter appeals
  "no violation" decisions on a case holding one of their reports;
- a senior moderator other than the one who decided resolves it: upheld (the decision stands) or
  overturned. Overturning a creator's appeal reverses the actions, removes the strike and turns the
  upheld reports into rejected ones; overturning a reporter's appeal is a new decision, taken by the
  senior, with its own action and statement of reasons.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select

from fairflag.delivery import events as delivered
from fairflag.delivery import outbox
from fairflag.domain.enums import ActionKind, AppealStatus, AppellantRole, DecisionOutcome, ReportOutcome
from fairflag.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from fairflag.domain.events import EventKind
from fairflag.services import campaigns, decisions, enforcement, reputation, validation
from fairflag.services.context import Context
from fairflag.services.inputs import Input, Integer, Label, Statement
from fairflag.services.permissions import READERS, SENIORS, require_role
from fairflag.services.pseudonyms import pseudonym_for
from fairflag.store.rows import insert_new
from fairflag.store.tables import Appeal, Case, Decision, Report, ReportState, Subject


class DecisionNotFound(NotFound):
    code = "decision_not_found"


class AppealNotFound(NotFound):
    code = "appeal_not_found"


class AppealExists(Conflict):
    code = "appeal_exists"


class AppealWindowClosed(InvalidInput):
    code = "appeal_window_closed"


class NotAppealable(InvalidInput):
    code = "not_appealable"


class AppealAlreadyResolved(Conflict):
    code = "appeal_resolved"


class OwnDecision(Forbidden):
    code = "own_decision"


class AppealIn(Input):
    decision_id: Label = Field(max_length=200)
    statement: Statement = Field(description="Why the appellant thinks the decision is wrong.")


class ResolutionIn(Input):
    outcome: Literal["upheld", "overturned"] = Field(description="upheld: the decision stands.")
    statement: Statement = Field(description="The reasons for the resolution, shown to the appellant.")
    action: ActionKind | None = Field(None, description="For an overturned reporter appeal: the action now taken.")
    rule: Label | None = Field(None, json_schema_extra={"x-policy-enum": "reasons"})
    duration_s: Integer | None = Field(None, gt=0, le=10 * 365 * 86400)


class AppealOut(BaseModel):
    id: str
    decision_id: str
    appellant_role: AppellantRole
    statement: str
    filed_at: datetime
    status: AppealStatus
    resolved_at: datetime | None
    resolution_statement: str | None
    new_decision_id: str | None


class AppealForModerator(AppealOut):
    appellant_id: str = Field(description="The creator's account id; for a reporter, the pseudonym (rp_...) that "
                              "the reporter's reports carry in the case view.")
    decided_by: str
    resolved_by: str | None


def file_appeal(ctx: Context, appellant_id: str, role: AppellantRole, body: AppealIn) -> AppealOut:
    validation.external_id(ctx.policy, appellant_id, "appellant_id")
    validation.text(ctx.policy, body.statement, "statement", required=True)
    decision = ctx.session.get(Decision, body.decision_id)
    if decision is None:
        raise DecisionNotFound("no such decision", field="decision_id")
    if role is AppellantRole.creator:
        if decision.owner_id != appellant_id:
            raise DecisionNotFound("no such decision on your content or account", field="decision_id")
        if decision.outcome != DecisionOutcome.violation.value:
            raise NotAppealable("only decisions that took action can be appealed by the creator",
                                field="decision_id")
    else:
        reported = ctx.session.scalar(
            select(Report.id).where(Report.case_id == decision.case_id, Report.reporter_id == appellant_id).limit(1)
        )
        if reported is None:
            raise DecisionNotFound("no such decision on a case you reported", field="decision_id")
        if decision.outcome != DecisionOutcome.no_violation.value:
            raise NotAppealable("a reporter can appeal only a no-violation decision", field="decision_id")
    if ctx.now() > decision.appeal_deadline_at:
        raise AppealWindowClosed(
            f"the appeal window closed at {decision.appeal_deadline_at.isoformat()}", field="decision_id"
        )
    existing = ctx.session.scalar(
        select(Appeal.id).where(Appeal.decision_id == decision.id, Appeal.appellant_id == appellant_id)
    )
    if existing is not None:
        raise AppealExists("you already appealed this decision", field="decision_id")
    # ON CONFLICT on uq_appeals_decision_appellant: of two identical appeals sent at once, the second waits for
    # the first to commit and is refused like any later one.
    appeal = insert_new(ctx.session, Appeal, {
        "id": ctx.ids.new("apl"), "decision_id": decision.id, "appellant_id": appellant_id,
        "appellant_role": role.value, "statement": body.statement, "filed_at": ctx.now(),
        "status": AppealStatus.open.value, "policy_version": ctx.policy.full_version,
    })
    if appeal is None:
        raise AppealExists("you already appealed this decision", field="decision_id")
    ctx.record(EventKind.appeal_filed, "appeal", appeal.id,
               {"decision_id": decision.id, "appellant_role": role.value})
    return appeal_out(appeal)


def list_appeals(ctx: Context, status: AppealStatus | None = AppealStatus.open, limit: int = 100
                 ) -> list[AppealForModerator]:
    require_role(ctx.actor, READERS, "reading appeals")
    stmt = select(Appeal, Decision.moderator_id).join(Decision, Decision.id == Appeal.decision_id)
    if status is not None:
        stmt = stmt.where(Appeal.status == status.value)
    stmt = stmt.order_by(Appeal.filed_at).limit(limit)
    return [appeal_for_moderator(ctx, a, decided_by) for a, decided_by in ctx.session.execute(stmt)]


def resolve_appeal(ctx: Context, appeal_id: str, body: ResolutionIn) -> AppealForModerator:
    senior = require_role(ctx.actor, SENIORS, "resolving an appeal")
    validation.text(ctx.policy, body.statement, "statement", required=True)
    appeal = ctx.session.scalars(select(Appeal).where(Appeal.id == appeal_id).with_for_update()).first()
    if appeal is None:
        raise AppealNotFound("no such appeal", field="appeal_id")
    if appeal.status != AppealStatus.open.value:
        raise AppealAlreadyResolved(f"this appeal was already {appeal.status}", field="appeal_id")
    decision = ctx.session.get(Decision, appeal.decision_id)
    assert decision is not None
    if senior in _deciders(ctx, decision):
        raise OwnDecision("an appeal must be resolved by someone other than the deciding moderator")
    new_decision_id = None
    if body.outcome == AppealStatus.overturned.value:
        if appeal.appellant_role == AppellantRole.creator.value:
            _no_new_action(body)
            enforcement.reverse(ctx, decision, reason=f"appeal {appeal.id} overturned")
            _flip_outcomes(ctx, decision, ReportOutcome.upheld, ReportOutcome.rejected, appeal.id)
        else:
            new_decision_id = _decide_anew(ctx, appeal, decision, body, senior)
        # The reports' outcomes changed: the groups that reported the subject are judged again, as after a
        # decision (a creator's overturn clears the subject, a reporter's upholds it).
        subject = ctx.session.get(Subject, decision.subject_id)
        assert subject is not None
        campaigns.after_decision(ctx, subject, appeal.appellant_role == AppellantRole.reporter.value)
    else:
        _no_new_action(body)
    overturned = body.outcome == AppealStatus.overturned.value
    appeal.status = AppealStatus.overturned.value if overturned else AppealStatus.upheld.value
    appeal.resolved_by = senior
    appeal.resolved_at = ctx.now()
    appeal.resolution_statement = body.statement
    appeal.new_decision_id = new_decision_id
    ctx.record(EventKind.appeal_resolved, "appeal", appeal.id,
               {"decision_id": decision.id, "outcome": appeal.status, "new_decision_id": new_decision_id})
    return appeal_for_moderator(ctx, appeal, decision.moderator_id)


def _deciders(ctx: Context, decision: Decision) -> set[str]:
    """Who took the decision: its moderator and, after a second review, whoever gave an opinion before (DSA
    Art. 20: the appeal goes to someone who had no part in it)."""
    deciders = {decision.moderator_id}
    if decision.from_appeal_id is None:
        case = ctx.session.get(Case, decision.case_id)
        if case is not None:
            deciders.update(m for m in (case.first_opinion_by, case.second_opinion_by) if m is not None)
    return deciders


def _no_new_action(body: ResolutionIn) -> None:
    for name in ("action", "rule", "duration_s"):
        if getattr(body, name) is not None:
            raise InvalidInput("only an overturned reporter appeal takes a new action", field=name)


def _decide_anew(ctx: Context, appeal: Appeal, decision: Decision, body: ResolutionIn, senior: str) -> str:
    """The reporter was right: the senior takes the decision that should have been taken."""
    case = ctx.session.get(Case, decision.case_id)
    subject = ctx.session.get(Subject, decision.subject_id)
    assert case is not None and subject is not None
    new_body = decisions.DecisionIn(outcome=DecisionOutcome.violation, action=body.action, rule=body.rule,
                                    statement=body.statement, duration_s=body.duration_s)
    decisions.validate_decision(ctx, new_body, subject)
    new, _ = decisions.record_decision(ctx, case, subject, new_body, decision_id=ctx.ids.new("dec"),
                                       moderator=senior, from_appeal_id=appeal.id)
    decisions.set_report_outcomes(ctx, case, new)
    return new.id


def _flip_outcomes(ctx: Context, decision: Decision, old: ReportOutcome, new: ReportOutcome, appeal_id: str) -> None:
    """After an overturn the reports' outcomes change, and so does their reporters' record."""
    rows = ctx.session.execute(
        select(Report, ReportState).join(ReportState, ReportState.report_id == Report.id)
        .where(ReportState.decision_id == decision.id, ReportState.outcome == old.value)
        .order_by(Report.reported_at, Report.id)
    ).all()
    credits = decisions.case_upheld_credits(ctx, decision.case_id)  # an upheld report earned what it added
    for report, state in rows:
        state.outcome = new.value
        state.updated_at = ctx.now()
        key = reputation.reputation_key(report)
        reputation.record_outcome(ctx, key, report.reason, old.value,  # type: ignore[arg-type]
                                  weight=-credits.get(report.id, 1.0) if old is ReportOutcome.upheld else -1.0)
        reputation.record_outcome(ctx, key, report.reason, new.value,  # type: ignore[arg-type]
                                  weight=credits.get(report.id, 1.0) if new is ReportOutcome.upheld else 1.0)
    ctx.record(EventKind.report_outcome_set, "decision", decision.id,
               {"case_id": decision.case_id, new.value: [r.id for r, _ in rows], "appeal_id": appeal_id})
    # The platform tells the reporters that the outcome of their reports changed.
    outbox.enqueue(ctx, decisions.REPORTS_RESOLVED, delivered.reports_resolved(
        delivered.ResolutionCause.overturned_on_appeal, subject_id=decision.subject_id, decision_id=decision.id,
        appeal_id=appeal_id, reports=[delivered.resolved_report(r.id, r.reporter_id, new) for r, _ in rows]))


def appeal_out(a: Appeal) -> AppealOut:
    return AppealOut(id=a.id, decision_id=a.decision_id, appellant_role=AppellantRole(a.appellant_role),
                     statement=a.statement, filed_at=a.filed_at, status=AppealStatus(a.status),
                     resolved_at=a.resolved_at, resolution_statement=a.resolution_statement,
                     new_decision_id=a.new_decision_id)


def appeal_for_moderator(ctx: Context, a: Appeal, decided_by: str) -> AppealForModerator:
    """Moderators see reporters only as pseudonyms, so a reporter's appeal shows the reporter's pseudonym."""
    creator = a.appellant_role == AppellantRole.creator.value
    appellant = a.appellant_id if creator else pseudonym_for(ctx, a.appellant_id)
    return AppealForModerator(**appeal_out(a).model_dump(), appellant_id=appellant, decided_by=decided_by,
                              resolved_by=a.resolved_by)


class AppealDetail(AppealForModerator):
    """One appeal with the decision it contests, for the console's appeal page."""

    case_id: str
    subject_id: str
    decision_outcome: DecisionOutcome
    decision_action: str | None
    decision_rule: str | None
    decision_statement: str
    decided_at: datetime
    may_resolve: bool = Field(description="Whether the reading user may resolve it: a senior who had no part in "
                              "the decision (neither decided nor gave an opinion), while it is open.")


def get_appeal(ctx: Context, appeal_id: str) -> AppealDetail:
    require_role(ctx.actor, READERS, "reading an appeal")
    appeal = ctx.session.get(Appeal, appeal_id)
    if appeal is None:
        raise AppealNotFound("no such appeal", field="appeal_id")
    decision = ctx.session.get(Decision, appeal.decision_id)
    assert decision is not None
    may = (appeal.status == AppealStatus.open.value and ctx.actor.role in SENIORS
           and ctx.actor.id not in _deciders(ctx, decision))
    return AppealDetail(**appeal_for_moderator(ctx, appeal, decision.moderator_id).model_dump(),
                        case_id=decision.case_id, subject_id=decision.subject_id,
                        decision_outcome=DecisionOutcome(decision.outcome), decision_action=decision.action,
                        decision_rule=decision.rule, decision_statement=decision.statement,
                        decided_at=decision.decided_at, may_resolve=may)
