"""Gathering what the second-review rules (:mod:`fairflag.engine.second_review`) need, when a moderator finds
a violation: cheapest first, and nothing at all for a no-violation decision or a second opinion."""

from __future__ import annotations

from fairflag.domain.enums import DecisionOutcome
from fairflag.engine import second_review
from fairflag.engine.second_review import Trigger
from fairflag.engine.triage import CaseEvidence
from fairflag.services import triage
from fairflag.services.context import Context
from fairflag.services.protection import reported_by_members
from fairflag.store.tables import Case, Subject


def trigger(ctx: Context, case: Case, subject: Subject, outcome: DecisionOutcome) -> Trigger | None:
    """Why this decision is only a first opinion, or None when it takes effect now."""
    if outcome is not DecisionOutcome.violation or case.first_opinion_by is not None:
        return None
    policy = ctx.policy
    state = triage.subject_state(ctx, subject)
    evidence = CaseEvidence.from_json(case.evidence)
    clean_record = not second_review.record_exempt(state.owner_active_strikes, policy)
    if clean_record and policy.second_review.on_protected_subjects and \
            second_review.campaign_waiver(evidence, policy) is None and (
            state.protected or reported_by_members(ctx, case.id)):
        return second_review.CAMPAIGN
    looked_again = second_review.relook(bool((case.priority_components or {}).get("rereview", {}).get("relook")),
                                        subject.surface, policy)
    if looked_again is not None:
        return looked_again
    thin = second_review.thin_evidence(evidence, subject.surface, state.owner_active_strikes, policy)
    if thin is not None:
        return thin
    disputed = second_review.after_clearance(case.follows_decision_id is not None, subject.surface, policy)
    if disputed is not None:
        return disputed
    rule = policy.second_review
    if not clean_record or (not (rule.owner_surge_subjects and rule.owner_surge_reporters) and not (
            rule.owner_spread_subjects and rule.owner_spread_reporters)):
        return None  # a confirmed violator's content, or both turned off: spare the query
    subjects, reporters = triage.owner_activity(ctx, subject.owner_id, rule.owner_surge_window_s)
    return (second_review.owner_surge(subjects, reporters, policy)
            or second_review.owner_spread(subjects, reporters, evidence, subject.surface, policy))
