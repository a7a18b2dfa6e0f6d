"""Recomputes a case's queue priority and deadline from its active reports.

Cost: one aggregate query over the case's reports through ``ix_reports_case`` (no scan of other
cases). Issue 2/6 makes this incremental for very large cases.
"""

from __future__ import annotations

from sqlalchemy import and_, func, select

from fairflag.domain.enums import ReportSource
from fairflag.engine import triage
from fairflag.services.context import Context
from fairflag.store.tables import Case, Report, ReportState, Subject


def reprioritise(ctx: Context, case: Case, subject: Subject) -> triage.Priority:
    active = and_(Report.case_id == case.id, ReportState.withdrawn_at.is_(None))
    base = select(Report).join(ReportState, ReportState.report_id == Report.id).where(active).subquery()
    reasons = frozenset(ctx.session.scalars(select(base.c.reason).distinct()))
    distinct_reporters, trusted = ctx.session.execute(
        select(
            func.count(func.distinct(base.c.reporter_id)),
            func.count().filter(base.c.source == ReportSource.trusted_flagger.value),
        )
    ).one()
    automated_scores = ctx.session.scalars(
        select(base.c.source_detail).where(base.c.source == ReportSource.automated.value)
    ).all()
    max_auto = max((float(d.get("score", 0.0)) for d in automated_scores), default=0.0)
    evidence = triage.CaseEvidence(
        surface=subject.surface, reasons=reasons, distinct_reporters=int(distinct_reporters or 0),
        trusted_flagger_reports=int(trusted or 0), max_automated_score=max_auto,
    )
    priority = triage.score(ctx.policy, evidence)
    case.priority = priority.value
    case.priority_components = priority.components
    case.severity = priority.severity
    case.deadline_at = triage.deadline(ctx.policy, subject.surface, priority.severity, case.opened_at)
    case.reporter_count = evidence.distinct_reporters
    case.policy_version = ctx.policy.full_version
    return priority
