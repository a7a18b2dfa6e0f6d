"""Deciding a case: no violation, or an action with the rule broken and a statement of reasons."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import bindparam, select

from fairflag.delivery import events as delivered
from fairflag.delivery import outbox
from fairflag.domain import cases as case_rules
from fairflag.domain.enums import ActionKind, DecisionOutcome, ReportOutcome
from fairflag.domain.errors import InvalidInput
from fairflag.domain.events import EventKind
from fairflag.engine import credibility as cred
from fairflag.engine.second_review import Trigger, TriggerCode
from fairflag.services import enforcement, reputation, second_review, triage, validation
from fairflag.services.context import Context
from fairflag.services.inputs import Input, Integer, Label, Statement, when
from fairflag.services.permissions import MODERATORS, require_role
from fairflag.store import cases as case_store
from fairflag.store import triagelog
from fairflag.store.tables import Case, Decision, EnforcementAction, Report, ReportState, Subject

REPORTS_RESOLVED = delivered.EventType.reports_resolved


class DecisionIn(Input):
    model_config = ConfigDict(json_schema_extra={"allOf": [
        when("outcome", "violation", then_required=("action", "rule"),
             otherwise_null=("action", "rule", "duration_s")),
    ]})

    outcome: DecisionOutcome
    action: ActionKind | None = Field(None, description="Required when outcome is violation.")
    rule: Label | None = Field(None, description="The reason code of the rule broken (violation only).",
                               json_schema_extra={"x-policy-enum": "reasons"})
    statement: Statement = Field(description="Statement of reasons shown to the creator (DSA Art. 17).")
    duration_s: Integer | None = Field(None, gt=0, le=10 * 365 * 86400,
                                       description="For time-limited actions, e.g. suspend.")
    report_outcomes: dict[Label, Literal["upheld", "rejected", "abusive"]] = Field(
        default_factory=dict,
        description="Per-report overrides; by default a violation upholds every report and no violation "
        "rejects them. `abusive` marks a report manifestly unfounded (bad faith), which counts toward misuse "
        "handling (DSA Art. 23); a merely mistaken report is `rejected`.",
    )


class ActionOut(BaseModel):
    id: str
    kind: ActionKind
    target_type: str
    target_id: str
    automatic: bool
    via_strike_ladder: bool
    status: str
    starts_at: datetime
    ends_at: datetime | None
    ended_at: datetime | None


class DecisionOut(BaseModel):
    status: Literal["decided"] = "decided"
    id: str
    case_id: str
    subject_id: str
    outcome: DecisionOutcome
    action: ActionKind | None
    rule: str | None
    statement: str
    duration_s: int | None
    decided_at: datetime
    appeal_deadline_at: datetime
    policy_version: str
    actions: list[ActionOut]


class SecondReviewPending(BaseModel):
    """A restrictive first opinion: nothing is enforced until a second moderator, who does not see this
    opinion, also finds a violation ([second_review]; :mod:`fairflag.engine.second_review` says when)."""

    status: Literal["awaiting_second_review"] = "awaiting_second_review"
    case_id: str
    subject_id: str
    first_opinion_by: str
    trigger: TriggerCode = Field(
        description="campaign: a detected campaign targets the subject or its members reported it; "
        "thin_evidence: the reports weigh too little to stand behind one moderator's judgement; owner_surge: "
        "many accounts reported several of the creator's subjects at once; owner_spread: a few accounts did, with no "
        "trusted flagger or credible classifier behind the subject; after_clearance: a moderator cleared "
        "the subject within the re-review window; relook: a moderator cleared the subject and the volume of "
        "reports brought it back for one more look.")
    reason: str


class TieBreakPending(BaseModel):
    """The second moderator found no violation where the first found one: a third moderator, who sees neither
    opinion, decides ([second_review] tie_break)."""

    status: Literal["awaiting_tie_break"] = "awaiting_tie_break"
    case_id: str
    subject_id: str
    second_opinion_by: str
    reason: str


TIE_BREAK_REASON = ("the second moderator found no violation where the first found one: a third moderator, who "
                    "gave neither opinion, decides")


def validate_decision(ctx: Context, body: DecisionIn, subject: Subject) -> None:
    policy = ctx.policy
    validation.text(policy, body.statement, "statement", required=True)
    if body.outcome is DecisionOutcome.violation:
        if body.action is None:
            raise InvalidInput("a violation needs an action", field="action")
        if body.rule is None:
            raise InvalidInput("a violation needs the rule broken", field="rule")
        if body.rule not in policy.reasons:
            raise InvalidInput(f"{body.rule!r} is not in the policy's reason taxonomy", field="rule")
        spec = policy.actions[body.action.value]
        if spec.surfaces and subject.surface not in spec.surfaces:
            raise InvalidInput(f"{body.action.value} applies only to {', '.join(spec.surfaces)}", field="action")
        if spec.requires_duration and body.duration_s is None:
            raise InvalidInput(f"{body.action.value} needs duration_s", field="duration_s")
        if spec.permanent and body.duration_s is not None:
            raise InvalidInput(f"{body.action.value} is permanent and takes no duration", field="duration_s")
        if spec.max_duration_s and body.duration_s and body.duration_s > spec.max_duration_s:
            raise InvalidInput(f"at most {spec.max_duration_s} seconds", field="duration_s")
    else:
        for name in ("action", "rule", "duration_s"):
            if getattr(body, name) is not None:
                raise InvalidInput("only a violation takes this", field=name)


def decide(ctx: Context, case_id: str, body: DecisionIn) -> DecisionOut | SecondReviewPending | TieBreakPending:
    moderator = require_role(ctx.actor, MODERATORS, "deciding a case")
    case = case_store.lock(ctx.session, case_id)
    subject = ctx.session.get(Subject, case.subject_id)
    assert subject is not None
    validate_decision(ctx, body, subject)
    trigger = second_review.trigger(ctx, case, subject, body.outcome)
    if trigger is not None or _disagrees(ctx, case, body):  # an opinion, not yet the decision
        if body.report_outcomes:  # checked as fully as a decision's
            _check_report_ids(set(ctx.session.scalars(_CASE_REPORT_IDS, {"case_id": case.id})), body.report_outcomes)
        if trigger is not None:
            return _first_opinion(ctx, case, subject, body, moderator, trigger)
        return _second_opinion(ctx, case, subject, body, moderator)
    # Read everything first: the writes below then go out in one flush at commit. (The reducer checks the
    # lease; a refusal rolls the unit of work back.)
    decision_id = ctx.ids.new("dec")
    automatic = enforcement.active_auto_restriction(ctx, subject.id)
    rows = case_reports(ctx, case.id)
    reviewed = _second_review_record(case, body)
    case_store.transition(ctx.session, case, case_rules.CaseDecided(moderator, decision_id, ctx.now()))
    decision, actions = record_decision(
        ctx, case, subject, body, decision_id=decision_id, moderator=moderator,
        extra={"second_review": reviewed} if reviewed else None)
    set_report_outcomes(ctx, case, decision, body.report_outcomes, rows=rows)
    # What the decision says about the campaigns behind the subject (campaigns.after_decision) follows the commit,
    # in log order, in the triage consumer, which holds the detector (services/consumer.py).
    triagelog.append(ctx.session, triagelog.DECISION, decision.id, ctx.now())
    if automatic is not None:
        # The review replaces the restriction that was pending it (a violation brings its own actions).
        enforcement.lift(ctx, automatic, f"reviewed: {decision.outcome}")
    return decision_out(ctx, decision, actions)


_CASE_REPORT_IDS = select(Report.id).where(Report.case_id == bindparam("case_id"))
_CASE_REPORTS = (
    select(Report, ReportState).join(ReportState, ReportState.report_id == Report.id)
    .where(Report.case_id == bindparam("case_id")).order_by(Report.reported_at, Report.id)
)


def case_reports(ctx: Context, case_id: str) -> list[tuple[Report, ReportState]]:
    """A case's reports with their states, and their reporters' stats locked, for deciding the case."""
    rows = [(r, st) for r, st in ctx.session.execute(_CASE_REPORTS, {"case_id": case_id}).all()]
    reputation.lock_all(ctx, (reputation.reputation_key(r) for r, _ in rows))
    return rows


def _disagrees(ctx: Context, case: Case, body: DecisionIn) -> bool:
    """The second moderator finds no violation where the first found one (a first opinion is always
    restrictive), and a third is to decide ([second_review] tie_break)."""
    return (ctx.policy.second_review.tie_break and case.first_opinion_by is not None
            and case.second_opinion_by is None and body.outcome is DecisionOutcome.no_violation)


def _second_review_record(case: Case, body: DecisionIn) -> dict[str, object] | None:
    """What the decision event says of the opinions before it (None: there were none)."""
    if case.first_opinion_by is None:
        return None
    record: dict[str, object] = {"first_opinion_by": case.first_opinion_by,
                                 "agreed": body.outcome is DecisionOutcome.violation}
    if case.second_opinion_by is not None:
        record["tie_break"] = {"second_opinion_by": case.second_opinion_by,
                               "sided_with": "first" if body.outcome is DecisionOutcome.violation else "second"}
    return record


def _opinion(ctx: Context, body: DecisionIn, moderator: str) -> dict[str, object]:
    return {"moderator_id": moderator, "at": ctx.now().isoformat(), "outcome": body.outcome.value,
            "action": body.action.value if body.action else None, "rule": body.rule,
            "duration_s": body.duration_s, "statement": body.statement,
            **({"report_outcomes": dict(body.report_outcomes)} if body.report_outcomes else {})}


def _second_opinion(ctx: Context, case: Case, subject: Subject, body: DecisionIn, moderator: str) -> TieBreakPending:
    """A disagreement: recorded (hidden from the third moderator, as the first opinion is) and put back, ahead."""
    case_store.transition(ctx.session, case, case_rules.SecondOpinionGiven(moderator, ctx.now()))
    case.second_opinion = _opinion(ctx, body, moderator)
    ctx.record(EventKind.case_tie_break_requested, "case", case.id,
               {"second_opinion": case.second_opinion, "because": TIE_BREAK_REASON})
    triage.rescore(ctx, case, subject)
    return TieBreakPending(case_id=case.id, subject_id=subject.id, second_opinion_by=moderator,
                           reason=TIE_BREAK_REASON)


def _first_opinion(ctx: Context, case: Case, subject: Subject, body: DecisionIn, moderator: str,
                   trigger: Trigger) -> SecondReviewPending:
    """Record the opinion (for the audit; the second moderator does not see it) and put the case back, ahead."""
    case_store.transition(ctx.session, case, case_rules.FirstOpinionGiven(moderator, ctx.now()))
    opinion = _opinion(ctx, body, moderator)
    case.first_opinion = opinion
    ctx.record(EventKind.case_second_review_requested, "case", case.id,
               {"first_opinion": opinion, "trigger": trigger.code, "because": trigger.reason, **trigger.facts})
    triage.rescore(ctx, case, subject)
    return SecondReviewPending(case_id=case.id, subject_id=subject.id, first_opinion_by=moderator,
                               trigger=trigger.code, reason=trigger.reason)


def record_decision(ctx: Context, case: Case, subject: Subject, body: DecisionIn, *, decision_id: str,
                    moderator: str, from_appeal_id: str | None = None,
                    extra: dict[str, object] | None = None) -> tuple[Decision, list[EnforcementAction]]:
    """The decision, and the actions it made (a violation's)."""
    decision = Decision(
        id=decision_id, case_id=case.id, subject_id=subject.id, owner_id=subject.owner_id,
        moderator_id=moderator, outcome=body.outcome.value, action=body.action.value if body.action else None,
        rule=body.rule, statement=body.statement, duration_s=body.duration_s, decided_at=ctx.now(),
        appeal_deadline_at=ctx.now() + timedelta(days=ctx.policy.limits.appeal_window_days),
        from_appeal_id=from_appeal_id, policy_version=ctx.policy.full_version,
    )
    ctx.session.add(decision)
    ctx.record(EventKind.case_decided, "case", case.id,
               {"decision_id": decision.id, "outcome": decision.outcome, "action": decision.action,
                "rule": decision.rule, "duration_s": decision.duration_s, "from_appeal_id": from_appeal_id,
                **(extra or {})})
    actions = enforcement.enforce(ctx, decision) if body.outcome is DecisionOutcome.violation else []
    return decision, actions


def set_report_outcomes(ctx: Context, case: Case, decision: Decision, overrides: dict[str, str] | None = None,
                        *, rows: list[tuple[Report, ReportState]] | None = None) -> dict[str, list[str]]:
    """Give every report in the case an outcome, fold it into its reporter's credibility and tell the platform.

    Withdrawn reports keep their outcome, and so do reports already marked abusive (a confirmed campaign).
    A report whose outcome this decision changes (a new decision after an appeal) has its old outcome taken
    back from its reporter's record; one that keeps its outcome is neither counted again nor announced again
    (the platform hears each change once). ``rows`` are the case's reports from :func:`case_reports`, when the
    caller read them already.
    """
    overrides = dict(overrides or {})
    default = ReportOutcome.upheld if decision.outcome == DecisionOutcome.violation.value else ReportOutcome.rejected
    if rows is None:
        rows = case_reports(ctx, case.id)
    _check_report_ids({r.id for r, _ in rows}, overrides)
    changed: dict[str, list[str]] = {o.value: [] for o in (ReportOutcome.upheld, ReportOutcome.rejected,
                                                              ReportOutcome.abusive)}
    resolved = []
    credits = upheld_credits(ctx, rows)
    for report, state in rows:
        if state.withdrawn_at is not None or (state.outcome == ReportOutcome.abusive.value
                                              and report.id not in overrides):
            continue
        outcome, before = overrides.get(report.id, default.value), state.outcome
        if outcome == before:
            continue  # the decision that set it still stands behind it
        state.outcome = outcome
        state.decision_id = decision.id
        state.updated_at = ctx.now()
        changed[outcome].append(report.id)
        resolved.append(delivered.resolved_report(report.id, report.reporter_id, outcome))
        key = reputation.reputation_key(report)
        if before in changed:  # decided before: that outcome no longer stands
            reputation.record_outcome(ctx, key, report.reason, before,  # type: ignore[arg-type]
                                      weight=-credits[report.id] if before == ReportOutcome.upheld.value else -1.0)
        reputation.record_outcome(ctx, key, report.reason, outcome,  # type: ignore[arg-type]
                                  weight=credits[report.id] if outcome == ReportOutcome.upheld.value else 1.0)
    ctx.record(EventKind.report_outcome_set, "decision", decision.id, {"case_id": case.id, **changed})
    # The platform tells each reporter the outcome of their report.
    outbox.enqueue(ctx, REPORTS_RESOLVED, delivered.reports_resolved(
        decision.outcome, subject_id=case.subject_id, decision_id=decision.id, appeal_id=decision.from_appeal_id,
        reports=resolved))
    return changed


def upheld_credits(ctx: Context, rows: list[tuple[Report, ReportState]]) -> dict[str, float]:
    """Each report's credit if upheld (:func:`fairflag.engine.credibility.information_credits`), from the
    case's reports in arrival order and the weight each was counted with."""
    weights = [st.weight if st.processed and st.withdrawn_at is None else 0.0 for _, st in rows]
    credits = cred.information_credits(weights, ctx.policy.credibility)
    return {r.id: c for (r, _), c in zip(rows, credits, strict=True)}


def case_upheld_credits(ctx: Context, case_id: str) -> dict[str, float]:
    """:func:`upheld_credits` for a case decided earlier (an appeal flipping its outcome)."""
    return upheld_credits(ctx, [(r, st) for r, st in ctx.session.execute(_CASE_REPORTS, {"case_id": case_id}).all()])


def _check_report_ids(known: set[str], overrides: dict[str, str]) -> None:
    for report_id in overrides:
        if report_id not in known:
            raise InvalidInput(f"report {report_id} is not in this case", field=f"report_outcomes.{report_id}")


def decision_out(ctx: Context, decision: Decision, actions: list[EnforcementAction] | None = None) -> DecisionOut:
    """``actions``: the decision's actions when the caller just made them (else they are read)."""
    if actions is None:
        actions = list(ctx.session.scalars(
            select(EnforcementAction).where(EnforcementAction.decision_id == decision.id)
            .order_by(EnforcementAction.starts_at, EnforcementAction.id)))
    actions = sorted(actions, key=lambda a: (a.starts_at, a.id))
    return DecisionOut(
        id=decision.id, case_id=decision.case_id, subject_id=decision.subject_id,
        outcome=DecisionOutcome(decision.outcome), action=ActionKind(decision.action) if decision.action else None,
        rule=decision.rule, statement=decision.statement, duration_s=decision.duration_s,
        decided_at=decision.decided_at, appeal_deadline_at=decision.appeal_deadline_at,
        policy_version=decision.policy_version,
        actions=[action_out(a) for a in actions],
    )


def action_out(a: EnforcementAction) -> ActionOut:
    return ActionOut(id=a.id, kind=ActionKind(a.kind), target_type=a.target_type, target_id=a.target_id,
                     automatic=a.automatic, via_strike_ladder=a.via_strike_ladder, status=a.status,
                     starts_at=a.starts_at, ends_at=a.ends_at, ended_at=a.ended_at)
