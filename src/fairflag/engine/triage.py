"""Queue priority of a case, with its components stored so the console can say why a case ranks where
it does.

The first formula (issue 1/6) is deliberately simple; the fair triage model of issue 2/6 replaces it
behind the same function::

    priority = severity_weight(max severity of active reports)
               * surface_urgency
               * (1 + ln(1 + distinct active reporters))
             + trusted_flagger_bonus   (if any active report comes from a trusted flagger)
             + automated_score_weight * max classifier score

Distinct reporters count once however many reports each files; withdrawn reports do not count.
The review deadline is ``opened_at + review_deadline_s[surface][severity]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from fairflag.policy import SEVERITY_ORDER, Policy


@dataclass(frozen=True, slots=True)
class CaseEvidence:
    """Aggregates over a case's active (not withdrawn) reports."""

    surface: str
    reasons: frozenset[str]
    distinct_reporters: int
    trusted_flagger_reports: int
    max_automated_score: float


@dataclass(frozen=True, slots=True)
class Priority:
    value: float
    severity: str
    components: dict[str, float | int | str]


def max_severity(policy: Policy, reasons: frozenset[str]) -> str:
    if not reasons:
        return SEVERITY_ORDER[0]
    return max((policy.severity_of(r) for r in reasons), key=SEVERITY_ORDER.index)


def score(policy: Policy, evidence: CaseEvidence) -> Priority:
    severity = max_severity(policy, evidence.reasons)
    severity_weight = policy.severities[severity]  # type: ignore[index]
    urgency = policy.surfaces[evidence.surface].urgency
    volume = 1.0 + math.log1p(evidence.distinct_reporters)
    trusted = policy.triage.trusted_flagger_bonus if evidence.trusted_flagger_reports else 0.0
    automated = evidence.max_automated_score
    value = severity_weight * urgency * volume + trusted + automated
    return Priority(
        value=round(value, 6),
        severity=severity,
        components={
            "formula": "severity_weight * surface_urgency * (1 + ln(1 + distinct_reporters)) "
            "+ trusted_flagger_bonus + automated_score_weight * max_automated_score",
            "severity": severity,
            "severity_weight": severity_weight,
            "surface_urgency": urgency,
            "distinct_reporters": evidence.distinct_reporters,
            "volume_factor": round(volume, 6),
            "trusted_flagger_bonus": trusted,
            "automated_component": round(automated, 6),
        },
    )


def deadline(policy: Policy, surface: str, severity: str, opened_at: datetime) -> datetime:
    return opened_at + timedelta(seconds=policy.review_deadline_s(surface, severity))
