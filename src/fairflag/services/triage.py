"""Weighing a report as it arrives: credibility, coordination, evidence, score and automatic restriction.

Cost per report is bounded, whatever the size of the case or the history: one row each for the reporter's
stats, the case, the case-reporter pair and the subject (primary-key lookups), indexed checks for the
owner's strikes (ix_strikes_account), campaign protection (ix_campaign_targets_subject) and an active
automatic restriction (ix_actions_target), the campaign detector's in-memory sliding-window state, and the
case's running evidence sums. Nothing scans a case's reports. When a reporter is newly linked into a
campaign, only the open cases they were counted on are regrouped (ix_case_reporters_reporter).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, distinct, func, select

from fairflag.domain.enums import CaseStatus, DecisionOutcome, ReportSource
from fairflag.domain.events import EventKind
from fairflag.engine import triage
from fairflag.engine.campaigns import ReportObservation, Suspicion
from fairflag.services import enforcement, reputation
from fairflag.services.context import Context
from fairflag.services.protection import protecting_campaigns_query
from fairflag.store.tables import (
    Account,
    Case,
    CaseReporter,
    Decision,
    EnforcementAction,
    Report,
    ReportState,
    Subject,
)
from fairflag.store.types import UTCDateTime


@dataclass(frozen=True, slots=True)
class SubjectState:
    """What rescoring needs to know that lives outside the case: the owner's active strikes, whether a
    detected campaign protects the subject, and the automatic restriction in force on it (if any)."""

    owner_active_strikes: int
    protected: bool
    auto_restriction_id: str | None
    owner_cleared: bool = False  # the latest decision on the owner's content found no violation


@cache
def _subject_state_query() -> Select[Any]:
    subject_id = bindparam("subject_id")
    owner_id = bindparam("owner_id")
    return select(
        enforcement.active_strikes_query(owner_id, bindparam("now", type_=UTCDateTime())).scalar_subquery(),
        protecting_campaigns_query(subject_id).exists(),
        enforcement.active_auto_restriction_query(subject_id).scalar_subquery(),
        # ix_decisions_owner_id: the owner's decisions, the latest one's outcome
        select(Decision.outcome).where(Decision.owner_id == owner_id)
        .order_by(Decision.decided_at.desc(), Decision.id.desc()).limit(1).scalar_subquery(),
    )


def subject_state(ctx: Context, subject: Subject) -> SubjectState:
    """One round trip (four indexed scalar subqueries, one statement built once) on every report."""
    row = ctx.session.execute(_subject_state_query(),
                              {"owner_id": subject.owner_id, "subject_id": subject.id, "now": ctx.now()}).one()
    return SubjectState(int(row[0] or 0), bool(row[1]), row[2], row[3] == DecisionOutcome.no_violation.value)


@cache
def _owner_activity_query() -> Select[Any]:
    return (
        select(func.count(distinct(Report.subject_id)), func.count(distinct(Report.reporter_id)))
        .join(Subject, Subject.id == Report.subject_id)
        .where(Subject.owner_id == bindparam("owner_id"),
               Report.reported_at > bindparam("since", type_=UTCDateTime()),
               Report.reported_at <= bindparam("now", type_=UTCDateTime()),
               Report.source != ReportSource.automated.value)
    )


def owner_activity(ctx: Context, owner_id: str, window_s: float) -> tuple[int, int]:
    """The owner's distinct reported subjects and distinct human reporters within the window (indexed: the
    owner's subjects, then each one's reports by time)."""
    now = ctx.now()
    row = ctx.session.execute(_owner_activity_query(), {
        "owner_id": owner_id, "since": now - timedelta(seconds=window_s), "now": now}).one()
    return int(row[0] or 0), int(row[1] or 0)


def subject_facts(subject: Subject, state: SubjectState) -> triage.SubjectFacts:
    return triage.SubjectFacts(
        surface=subject.surface, views=subject.views, owner_active_strikes=state.owner_active_strikes,
        signals={k: float(v) for k, v in (subject.signals or {}).items()}, owner_cleared=state.owner_cleared,
    )


def weigh_report(ctx: Context, report: Report, state: ReportState, subject: Subject, case: Case,
                 reporter: Account, *, first_on_case: bool = False) -> None:
    """Count the report's evidence on its case (or store it unprocessed), then rescore the case.
    ``first_on_case``: the caller knows the reporter has no earlier report on this case (a new case or a new
    account), which saves looking."""
    evidence = triage.CaseEvidence.from_json(case.evidence)
    suspicion = _observe(ctx, report, subject, reporter)
    if suspicion is not None:
        state.suspicion = {"score": round(suspicion.score, 4), "signals": suspicion.signals,
                           "group": suspicion.group_key, "campaign": suspicion.campaign_key}
    if not state.processed:
        # DSA Art. 23 (decided at intake, services/reports.py): stored as evidence (and seen by the campaign
        # detector), but not counted.
        evidence.unprocessed += 1
    elif report.source == ReportSource.automated.value:
        _count_classifier(ctx, report, state, evidence)
    elif first_on_case or ctx.session.get(CaseReporter, (case.id, report.reporter_id)) is None:
        _count_reporter(ctx, report, state, reporter, evidence, suspicion,
                        live=subject.surface in ctx.policy.auto_restriction.live_surfaces)
    # else: a reporter's further reports on the same case change nothing.
    case.evidence = evidence.to_json()
    # The caller then persists what the detector changed and rescores the case unless a campaign that grew on
    # it did already (services/consumer.py: campaigns.sync, then rescore).


def observation(report: Report, subject: Subject, reporter: Account | None) -> ReportObservation:
    return ReportObservation(
        report_id=report.id, reporter_id=report.reporter_id, subject_id=subject.id, owner_id=subject.owner_id,
        reason=report.reason, text=report.text, fp_net=report.fp_net, fp_dev=report.fp_dev, at=report.reported_at,
        reporter_age_days=reputation.account_age_days(reporter, report.reported_at),
        subject_views=subject.views, subject_surface=subject.surface,
    )


def _observe(ctx: Context, report: Report, subject: Subject, reporter: Account) -> Suspicion | None:
    if ctx.campaigns is None or report.source == ReportSource.automated.value:
        return None
    return ctx.campaigns.observe(observation(report, subject, reporter))


def _count_classifier(ctx: Context, report: Report, state: ReportState, evidence: triage.CaseEvidence) -> None:
    detail = report.source_detail or {}
    key = reputation.reputation_key(report)
    c = reputation.credibility_of(ctx, key, family=ctx.policy.family_of(report.reason), account=None,
                                  at=report.reported_at)
    weight = c.value * float(detail.get("score", 0.0))
    name = key.removeprefix("classifier:")
    if weight > float(evidence.classifiers.get(name, {}).get("w", -1.0)):
        evidence.classifiers[name] = {"w": round(weight, 6), "reason": report.reason, "credibility": c.value,
                                      "score": detail.get("score")}
    state.weight = weight
    state.group_key = f"classifier:{name}"


def _count_reporter(ctx: Context, report: Report, state: ReportState, reporter: Account,
                    evidence: triage.CaseEvidence, suspicion: Suspicion | None, *, live: bool = False) -> None:
    c = reputation.credibility_of(ctx, report.reporter_id, family=ctx.policy.family_of(report.reason),
                                  account=reporter, at=report.reported_at)
    group = _bucket_key(suspicion)
    credible = c.value >= ctx.policy.triage.credible_reporter
    bucket = evidence.bucket(group)
    if suspicion is not None and suspicion.campaign_key and group == suspicion.campaign_key:
        bucket.campaign = True
    bucket.add(c.value, report.reason, credible and group == triage.INDIVIDUAL)
    if credible and group == triage.INDIVIDUAL:
        age = reputation.account_age_days(reporter, report.reported_at)
        window = ctx.policy.auto_restriction.live_spread_window_s
        spread = _spread(ctx, report, window) if live and window > 0 else 1
        evidence.add_credible_source(report.reporter_id, c.value, report.fp_net, report.fp_dev,
                                     aged=age is not None and age >= ctx.policy.credibility.young_account_days,
                                     spread=spread)
    if report.source == ReportSource.trusted_flagger.value:
        evidence.trusted_flaggers += 1
    ctx.session.add(CaseReporter(case_id=report.case_id, reporter_id=report.reporter_id, group_key=group,
                                 weight=c.value, credible=credible, reason=report.reason,
                                 first_report_at=report.reported_at))
    state.weight = c.value
    state.group_key = group


_SPREAD = (
    select(func.count(distinct(Report.subject_id))).where(
        Report.reporter_id == bindparam("reporter_id"),
        Report.reported_at > bindparam("since", type_=UTCDateTime()),
        Report.reported_at <= bindparam("at", type_=UTCDateTime()))
)


def _spread(ctx: Context, report: Report, window_s: int) -> int:
    """Distinct subjects the reporter reported within the window up to this report (this one included): asked
    only for a credible reporter on a live surface, on the ``(reporter_id, reported_at)`` index."""
    since = report.reported_at - timedelta(seconds=window_s)
    n = ctx.session.scalar(_SPREAD, {"reporter_id": report.reporter_id, "since": since, "at": report.reported_at})
    return max(1, int(n or 0))


def _bucket_key(suspicion: Suspicion | None) -> str:
    if suspicion is None or suspicion.group_key.startswith("r:"):
        return triage.INDIVIDUAL
    return suspicion.campaign_key or suspicion.group_key


def withdraw(ctx: Context, report: Report, case: Case, subject: Subject) -> None:
    """A withdrawn report stops counting; its reporter stops counting once none of their reports remain."""
    row = ctx.session.get(CaseReporter, (case.id, report.reporter_id))
    if row is not None:
        remaining = ctx.session.scalar(
            select(Report.id).join(ReportState, ReportState.report_id == Report.id)
            .where(Report.case_id == case.id, Report.reporter_id == report.reporter_id,
                   ReportState.withdrawn_at.is_(None), ReportState.processed.is_(True)).limit(1)
        )
        if remaining is None:
            evidence = triage.CaseEvidence.from_json(case.evidence)
            evidence.uncount(row.group_key, row.weight, row.reason, row.credible, row.reporter_id)
            if report.source == ReportSource.trusted_flagger.value:
                evidence.trusted_flaggers = max(0, evidence.trusted_flaggers - 1)
            case.evidence = evidence.to_json()
            ctx.session.delete(row)
    elif report.source == ReportSource.automated.value:
        evidence = triage.CaseEvidence.from_json(case.evidence)
        evidence.classifiers.pop(reputation.reputation_key(report).removeprefix("classifier:"), None)
        case.evidence = evidence.to_json()
    rescore(ctx, case, subject)


def rescore(ctx: Context, case: Case, subject: Subject) -> triage.Score:
    """Recompute the score and deadline from the running sums, then apply or lift automatic restriction."""
    evidence = triage.CaseEvidence.from_json(case.evidence)
    state = subject_state(ctx, subject)
    facts = subject_facts(subject, state)
    s = triage.score(evidence, facts, ctx.policy)
    protected = state.protected
    verdict = triage.auto_restriction(evidence, s, facts, ctx.policy, protected=protected)
    if verdict.restrict and state.auto_restriction_id is None and case.status == CaseStatus.open.value:
        # Asked only when a restriction would follow: one indexed query, on few reports. The report being weighed
        # was committed at intake (the consumer follows the committed log), so the surge counts its reporter too.
        surge = ctx.policy.second_review
        withheld = triage.owner_surge_refusal(*owner_activity(ctx, subject.owner_id, surge.owner_surge_window_s),
                                              ctx.policy)
        if withheld is None:
            enforcement.restrict_automatically(ctx, case.id, subject, verdict.reason)
        else:
            verdict = triage.RestrictionVerdict(False, f"{verdict.reason}, but {withheld.reason}", verdict.units,
                                                verdict.evidence)
    elif state.auto_restriction_id is not None and protected:
        active = ctx.session.get(EnforcementAction, state.auto_restriction_id)
        assert active is not None
        enforcement.lift(ctx, active, "a coordinated reporting campaign was detected behind the reports")
    case.priority = s.value
    rereview = _rereview(ctx, case, evidence, subject.surface, float(s.components["expected_organic_reports"]))
    waiting_since = case.held_until or case.opened_at  # a follow-up waits from the end of its hold
    boost = ctx.policy.second_review.rank_boost if case.first_opinion_by else 0.0  # awaiting a second moderator
    # A second look at what a moderator already cleared does not displace a first look at what nobody has seen.
    relook = ctx.policy.rereview.relook_priority_factor if rereview.get("relook") and not boost else 1.0
    case.queue_rank = triage.queue_rank(s.value * relook + boost, waiting_since, ctx.policy)
    case.priority_components = {**s.components, "auto_restriction": {
        "restrict": verdict.restrict, "reason": verdict.reason, "independent_credible_sources": verdict.units,
        "credible_evidence": round(verdict.evidence, 4), "protected_by_campaign_detection": protected},
        "queue": {"rank": round(case.queue_rank, 6), "waiting_since": waiting_since.isoformat(),
                  "aging_per_hour": ctx.policy.triage.aging_per_hour,
                  "second_review_boost": boost, "relook_priority_factor": relook,
                  "rank_now": "priority × relook_priority_factor + second_review_boost + aging_per_hour × hours "
                              "since waiting_since"},
        **({"rereview": rereview} if rereview else {})}
    case.severity = s.severity
    case.deadline_at = triage.deadline(ctx.policy, subject.surface, s.severity, waiting_since)
    case.reporter_count = evidence.reporters
    case.policy_version = ctx.policy.full_version
    return s


_LAST_DECISION = (
    select(Decision.id, Decision.outcome, Decision.decided_at).where(Decision.subject_id == bindparam("subject_id"))
    .order_by(Decision.decided_at.desc(), Decision.id.desc()).limit(1)
)


def hold_after_clearance(ctx: Context, case: Case) -> dict[str, str]:
    """Hold a new case on a subject a moderator cleared within ``rereview.window_s`` (see
    :func:`fairflag.engine.triage.rereview_release`). Returns what the case-opened event records."""
    window = ctx.policy.rereview.window_s
    if window <= 0:
        return {}
    last = ctx.session.execute(_LAST_DECISION, {"subject_id": case.subject_id}).first()
    if last is None or last.outcome != DecisionOutcome.no_violation.value:
        return {}
    until = last.decided_at + timedelta(seconds=window)
    if until <= ctx.now():
        return {}
    case.held_until = until
    case.follows_decision_id = last.id
    return {"held_until": until.isoformat(), "follows_decision_id": last.id}


def _rereview(ctx: Context, case: Case, evidence: triage.CaseEvidence, case_surface: str,
              expected: float) -> dict[str, Any]:
    """Release a held follow-up once its reports bring material new evidence; say why either way.
    ``expected``: the organic reports the subject's views explain (the score's ``expected_organic_reports``).

    A release ends the hold now (``held_until`` = now), so the case waits, ages and gets its deadline from
    ``held_until`` whether the hold was released or ran out.
    """
    if case.follows_decision_id is None or case.held_until is None:
        return {}
    info: dict[str, Any] = {"follows_decision_id": case.follows_decision_id,
                            "window_s": ctx.policy.rereview.window_s, "held_until": case.held_until.isoformat()}
    previous = (case.priority_components or {}).get("rereview", {})
    info.update({k: previous[k] for k in ("clearances", "relook") if k in previous})
    if case.held_until <= ctx.now():
        return {**info, "released_because": previous.get("released_because", "the hold ended")}
    verdict = triage.rereview_release(evidence, ctx.policy, case_surface)
    reporters, independent, r = evidence.reporters, evidence.individual.n, ctx.policy.rereview
    if not verdict.release and (
            (r.relook_min_reporters and reporters >= r.relook_min_reporters)
            or triage.unexplained_independent(independent, expected, ctx.policy)):
        if "clearances" not in info:
            info["clearances"] = _clearances(ctx, case)
        verdict = triage.relook_release(reporters, int(info["clearances"]), ctx.policy, independent=independent,
                                        expected=expected)
        info["relook"] = verdict.release
    if not verdict.release:
        return {**info, "why_held": verdict.reason}
    case.held_until = ctx.now()
    ctx.record(EventKind.case_hold_released, "case", case.id,
               {"follows_decision_id": case.follows_decision_id, "because": verdict.reason})
    return {**info, "held_until": case.held_until.isoformat(), "released_because": verdict.reason}


_CLEARANCES = (
    select(func.count(Decision.id)).where(Decision.subject_id == bindparam("subject_id"),
                                          Decision.outcome == DecisionOutcome.no_violation.value,
                                          Decision.decided_at > bindparam("since", type_=UTCDateTime()))
)


def _clearances(ctx: Context, case: Case) -> int:
    """Moderators' no-violation decisions on the subject within the re-review window (asked once per held
    follow-up, when its reporters first reach ``relook_min_reporters`` or ``relook_min_independent``; the answer is
    kept with the case)."""
    since = ctx.now() - timedelta(seconds=ctx.policy.rereview.window_s)
    return int(ctx.session.scalar(_CLEARANCES, {"subject_id": case.subject_id, "since": since}) or 0)


def regroup_case(ctx: Context, case: Case, members: set[str], campaign_key: str) -> int:
    """Move a case's reporters who turned out to be campaign members into the campaign's group.

    Runs once per case when a campaign is first detected behind it (O(case reporters) then, never per report).
    """
    if case.status != CaseStatus.open.value:
        return 0
    evidence = triage.CaseEvidence.from_json(case.evidence)
    rows = ctx.session.scalars(
        select(CaseReporter).where(CaseReporter.case_id == case.id, CaseReporter.group_key != campaign_key)
    ).all()
    moved = 0
    for row in rows:
        if row.reporter_id not in members:
            continue
        evidence.uncount(row.group_key, row.weight, row.reason, row.credible, row.reporter_id)
        new = evidence.bucket(campaign_key)
        new.campaign = True
        new.add(row.weight, row.reason, False)
        row.group_key = campaign_key
        moved += 1
    if moved:
        case.evidence = evidence.to_json()
    return moved

