"""Gathering what the second-review rules (:mod:`fairflag.engine.second_review`) need, when a moderator finds
a violation: cheapest first, and nothing at all for a no-violation decision or a second opinion."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, distinct, func, select

from fairflag.domain.enums import DecisionOutcome, ReportSource
from fairflag.engine import second_review
from fairflag.engine.second_review import Trigger
from fairflag.engine.triage import CaseEvidence
from fairflag.services import triage
from fairflag.services.context import Context
from fairflag.services.protection import reported_by_members
from fairflag.store.tables import Case, Report, Subject
from fairflag.store.types import UTCDateTime


def trigger(ctx: Context, case: Case, subject: Subject, outcome: DecisionOutcome) -> Trigger | None:
    """Why this decision is only a first opinion, or None when it takes effect now."""
    if outcome is not DecisionOutcome.violation or case.first_opinion_by is not None:
        return None
    policy = ctx.policy
    state = triage.subject_state(ctx, subject)
    evidence = CaseEvidence.from_json(case.evidence)
    if policy.second_review.on_protected_subjects and second_review.campaign_waiver(evidence, policy) is None and (
            state.protected or reported_by_members(ctx, case.id)):
        return second_review.CAMPAIGN
    thin = second_review.thin_evidence(evidence, subject.surface, state.owner_active_strikes, policy)
    if thin is not None:
        return thin
    if not policy.second_review.owner_surge_subjects or not policy.second_review.owner_surge_reporters:
        return None  # turned off: spare the query
    subjects, reporters = owner_activity(ctx, subject.owner_id, policy.second_review.owner_surge_window_s)
    return second_review.owner_surge(subjects, reporters, policy)


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
