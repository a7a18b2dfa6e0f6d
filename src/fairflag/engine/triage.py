"""Case score and automatic restriction: reports are evidence to weigh, not votes to count.

Each case keeps running aggregates of its evidence (:class:`CaseEvidence`), updated in O(1) per report:
individual reporters add their credibility ``w``; reporters the campaign detector links together form a
*coordinated group* whose total is bounded. The score, with every component stored, is::

    W(group)   = max(group_cap × (1 − exp(−S_g / group_cap)), min(S_g, credible_reporter))
                                                               S_g = Σ credibility of its members
    E          = Σ_individual w  +  Σ_groups W(group)  +  Σ_classifiers credibility × score
    N_eff      = individuals + Σ_groups max(group_cap_members × (1 − exp(−n_g / group_cap_members)), min(n_g, 1))
    expected   = views × reports_per_view(reason)             organic reports the exposure explains
    exposure   = floor + (1 − floor) × N_eff / (N_eff + expected)
    severity   = max(low, max_reason severity_weight(reason) × min(1, E_reason / severity_evidence_full))
    X(group)   = capped(S_g − W(group), review_group_extra) × n_g / (n_g + expected)
    E_review   = E + Σ_groups X(group)                          (severity_review likewise, from E_review by reason)
    priority   = severity_review × surface_urgency × (1 + E_review × exposure) × owner_factor × signal_factor
                 + trusted_flagger_bonus (if a trusted flagger reported)

so one coordinated group adds at most ``group_cap`` to E and ``group_cap_members`` to N_eff however
large it is; a severe reason chosen by low-credibility reporters cannot buy urgency; and 50 reports on a
video seen 5 million times weigh little while 50 on a video seen 100 times weigh fully (and the campaign
detector looks at the latter).

E (and the severity label, the deadline and every automatic step) counts a group at most ``group_cap``. The
priority alone also counts X: what the group's weight beyond its cap would add, bounded by
``review_group_extra`` and in the share of its members the subject's views cannot explain (and not at all once
a moderator's latest decision on the owner's content was a clearance). Coordination is
evidence about the reporters, not about the content: it bounds what they can *do* to a subject, but a crowd
far beyond what the exposure explains is still a reason for a person to look sooner (a community reporting a
scam is coordinated too), and a brigade on a viral video, whose views explain its volume, gains nothing.

An automatic restriction (reversible, pending review; never permanent) needs strong evidence from
enough *independent credible* sources: see :func:`auto_restriction`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from scipy.special import pdtrc

from fairflag.policy import SEVERITY_ORDER, Policy

INDIVIDUAL = "individual"
MAX_CREDIBLE_SOURCES = 12  # credible individual reporters remembered per case, with their fingerprints
RANK_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass
class GroupTally:
    """Running sums for one bucket of reporters (the individual bucket, or one coordinated group)."""

    n: int = 0
    s: float = 0.0
    credible_n: int = 0  # members at or above triage.credible_reporter (individual bucket only)
    credible_s: float = 0.0
    reasons: dict[str, float] = field(default_factory=dict)
    campaign: bool = False

    def add(self, weight: float, reason: str, credible: bool, sign: int = 1) -> None:
        self.n += sign
        self.s = max(0.0, self.s + sign * weight)
        self.reasons[reason] = max(0.0, self.reasons.get(reason, 0.0) + sign * weight)
        if credible:
            self.credible_n += sign
            self.credible_s = max(0.0, self.credible_s + sign * weight)

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "s": self.s, "credible_n": self.credible_n, "credible_s": self.credible_s,
                "reasons": dict(self.reasons), "campaign": self.campaign}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> GroupTally:
        return cls(n=int(d.get("n", 0)), s=float(d.get("s", 0.0)), credible_n=int(d.get("credible_n", 0)),
                   credible_s=float(d.get("credible_s", 0.0)), reasons=dict(d.get("reasons", {})),
                   campaign=bool(d.get("campaign", False)))


@dataclass
class CaseEvidence:
    """Everything the score needs about a case's reports, kept as running sums (stored as JSON)."""

    individual: GroupTally = field(default_factory=GroupTally)
    groups: dict[str, GroupTally] = field(default_factory=dict)
    classifiers: dict[str, dict[str, Any]] = field(default_factory=dict)  # "name@version" -> {w, reason}
    trusted_flaggers: int = 0
    unprocessed: int = 0  # reports stored but not counted (reporter's processing suspended)
    # The first few credible individual reporters with their fingerprints and whether their account is past
    # the young-account age: what :func:`independent_sources` needs, kept bounded (see MAX_CREDIBLE_SOURCES).
    credible_sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reporters(self) -> int:
        """Reporters counted on the case, individual and in coordinated groups alike."""
        return self.individual.n + sum(g.n for g in self.groups.values())

    def add_credible_source(self, reporter_id: str, weight: float, fp_net: str | None, fp_dev: str | None,
                            aged: bool, spread: int = 1) -> None:
        """Remember a credible individual reporter (the first MAX_CREDIBLE_SOURCES are enough to decide), with
        ``spread``: the distinct subjects it reported within ``auto_restriction.live_spread_window_s`` up to this
        report (counted on live surfaces only; 1 elsewhere)."""
        if len(self.credible_sources) < MAX_CREDIBLE_SOURCES and all(
                c["r"] != reporter_id for c in self.credible_sources):
            entry: dict[str, Any] = {"r": reporter_id, "w": round(weight, 6), "net": fp_net, "dev": fp_dev,
                                     "aged": aged}
            if spread > 1:
                entry["spread"] = spread
            self.credible_sources.append(entry)

    def bucket(self, group_key: str) -> GroupTally:
        if group_key == INDIVIDUAL:
            return self.individual
        return self.groups.setdefault(group_key, GroupTally())

    def uncount(self, group_key: str, weight: float, reason: str, credible: bool,
                reporter_id: str | None = None) -> None:
        """Take one reporter's contribution back out (withdrawn, or moved to a campaign's group)."""
        if reporter_id is not None and group_key == INDIVIDUAL:
            self.credible_sources = [c for c in self.credible_sources if c["r"] != reporter_id]
        bucket = self.bucket(group_key)
        bucket.add(weight, reason, credible and group_key == INDIVIDUAL, sign=-1)
        if group_key != INDIVIDUAL and bucket.n <= 0:
            self.groups.pop(group_key, None)

    def to_json(self) -> dict[str, Any]:
        return {"individual": self.individual.to_json(),
                "groups": {k: g.to_json() for k, g in self.groups.items()},
                "classifiers": self.classifiers, "trusted_flaggers": self.trusted_flaggers,
                "unprocessed": self.unprocessed, "credible_sources": list(self.credible_sources)}

    @classmethod
    def from_json(cls, d: dict[str, Any] | None) -> CaseEvidence:
        if not d:
            return cls()
        return cls(individual=GroupTally.from_json(d.get("individual", {})),
                   groups={k: GroupTally.from_json(v) for k, v in d.get("groups", {}).items()},
                   classifiers=dict(d.get("classifiers", {})), trusted_flaggers=int(d.get("trusted_flaggers", 0)),
                   unprocessed=int(d.get("unprocessed", 0)),
                   credible_sources=list(d.get("credible_sources", [])))


@dataclass(frozen=True, slots=True)
class SubjectFacts:
    surface: str
    views: int
    owner_active_strikes: int
    signals: dict[str, float]
    # The latest decision on the owner's content found no violation: a crowd was found wrong about this creator,
    # so its volume brings no extra review priority (see :func:`review_extra`).
    owner_cleared: bool = False


@dataclass(frozen=True, slots=True)
class Score:
    value: float
    severity: str
    evidence: float
    effective_reporters: float
    components: dict[str, Any]


def capped(total: float, cap: float) -> float:
    """Saturating sum: close to ``total`` while small, never above ``cap``."""
    return cap * (1.0 - math.exp(-total / cap)) if cap > 0 else 0.0


def _evidence(ev: CaseEvidence, policy: Policy) -> tuple[float, float, dict[str, float], list[dict[str, Any]]]:
    t = policy.triage
    total = ev.individual.s
    n_eff = float(ev.individual.n)
    by_reason = dict(ev.individual.reasons)
    groups = []
    for key, g in sorted(ev.groups.items()):
        # Coordination bounds a group's weight, and never below what one credible reporter would bring: a
        # subject a group reports ranks at least as high as if the group were one credible member.
        w = max(capped(g.s, t.group_cap), min(g.s, t.credible_reporter, t.group_cap))
        n = max(capped(g.n, t.group_cap_members), min(float(g.n), 1.0, t.group_cap_members))
        total += w
        n_eff += n
        for reason, s in g.reasons.items():
            by_reason[reason] = by_reason.get(reason, 0.0) + (w * s / g.s if g.s > 0 else 0.0)
        groups.append({"group": key, "members": g.n, "raw_weight": round(g.s, 4), "counted_weight": round(w, 4),
                       "counted_reporters": round(n, 4), "campaign": g.campaign})
    for name, c in sorted(ev.classifiers.items()):
        w = float(c["w"])
        total += w
        by_reason[c["reason"]] = by_reason.get(c["reason"], 0.0) + w
        groups.append({"group": f"classifier:{name}", "members": 1, "raw_weight": round(w, 4),
                       "counted_weight": round(w, 4), "counted_reporters": 0.0, "campaign": False})
    return total, n_eff, by_reason, groups


def total_evidence(ev: CaseEvidence, policy: Policy) -> float:
    """``E`` of the score: what the case's reports weigh, with every coordinated group capped."""
    return _evidence(ev, policy)[0]


def _severity_weight(by_reason: dict[str, float], policy: Policy) -> float:
    """Credible severity: a reason's severity counts in proportion to the credible evidence behind it."""
    severity_weight = policy.severities["low"]
    for reason, e in by_reason.items():
        weight = policy.severities[policy.severity_of(reason)] * min(1.0, e / policy.triage.severity_evidence_full)  # type: ignore[index]
        severity_weight = max(severity_weight, weight)
    return severity_weight


def review_extra(ev: CaseEvidence, expected: float, policy: Policy) -> tuple[float, dict[str, float]]:
    """``Σ X(group)`` of the priority and its split by reason (see the module docstring): what coordinated groups'
    weight beyond ``group_cap`` adds to the *review priority* only, bounded by ``triage.review_group_extra`` per
    group and counted in the share of the group's members that the ``expected`` organic reports cannot explain.

    :func:`score` leaves it out on a subject whose owner's latest decided content was cleared
    (``SubjectFacts.owner_cleared``): mass reports on a creator a moderator just found innocent are the shape of
    an attack on a person (a harasser's friends retaliating against the creator who reported them), and their
    volume must not push a real violation someone else reported further down the queue."""
    t = policy.triage
    if t.review_group_extra <= 0:
        return 0.0, {}
    total = 0.0
    by_reason: dict[str, float] = {}
    for _, g in sorted(ev.groups.items()):
        w = max(capped(g.s, t.group_cap), min(g.s, t.credible_reporter, t.group_cap))
        surplus = g.s - w
        if surplus <= 0 or g.n <= 0:
            continue
        extra = capped(surplus, t.review_group_extra) * g.n / (g.n + expected)
        total += extra
        for reason, s in g.reasons.items():
            by_reason[reason] = by_reason.get(reason, 0.0) + extra * s / g.s
    return total, by_reason


def score(ev: CaseEvidence, subject: SubjectFacts, policy: Policy) -> Score:
    t = policy.triage
    evidence, n_eff, by_reason, groups = _evidence(ev, policy)
    # Exposure: organic reports the subject's views explain, against the reasons actually reported.
    rate = max((policy.reports_per_view(r) for r in by_reason), default=t.base_reports_per_view)
    expected = subject.views * rate
    exposure = t.exposure_floor + (1 - t.exposure_floor) * (n_eff / (n_eff + expected) if n_eff + expected else 0)
    severity_weight = _severity_weight(by_reason, policy)
    # The priority alone also counts what coordinated groups bring beyond their cap, where the views cannot
    # explain it: a reviewer sees the subject sooner; nothing automatic follows from it.
    extra, extra_by_reason = review_extra(ev, expected, policy) if not subject.owner_cleared else (0.0, {})
    review_evidence = evidence + extra
    review_severity_weight = severity_weight
    if extra > 0:
        combined = dict(by_reason)
        for reason, e in extra_by_reason.items():
            combined[reason] = combined.get(reason, 0.0) + e
        review_severity_weight = max(severity_weight, _severity_weight(combined, policy))
    # The label (which sets the review deadline) is the highest level the credible weight reaches.
    severity = max((s for s in SEVERITY_ORDER if policy.severities[s] <= severity_weight + 1e-9),  # type: ignore[index]
                   key=SEVERITY_ORDER.index)
    urgency = policy.surfaces[subject.surface].urgency
    owner_factor = 1.0 + t.owner_strike_factor * min(subject.owner_active_strikes, t.owner_strike_cap)
    spam = max(0.0, min(1.0, float(subject.signals.get("spam_score", 0.0))))
    signal_factor = 1.0 + t.spam_signal_weight * spam
    trusted = t.trusted_flagger_bonus if ev.trusted_flaggers else 0.0
    value = review_severity_weight * urgency * (1.0 + review_evidence * exposure) * owner_factor * signal_factor \
        + trusted
    return Score(
        value=round(value, 6),
        severity=severity,
        evidence=round(evidence, 6),
        effective_reporters=round(n_eff, 4),
        components={
            "formula": "review_severity_weight × surface_urgency × (1 + review_evidence × exposure) × owner_factor × "
                       "signal_factor + trusted_flagger_bonus",
            "severity_weight": round(severity_weight, 4),
            "review_severity_weight": round(review_severity_weight, 4),
            "severity": severity,
            "surface_urgency": urgency,
            "evidence": round(evidence, 4),
            "review_evidence": round(review_evidence, 4),
            "coordinated_volume_for_review": round(extra, 4),
            "evidence_by_reason": {k: round(v, 4) for k, v in sorted(by_reason.items())},
            "individual_reporters": ev.individual.n,
            "credible_individual_reporters": ev.individual.credible_n,
            "effective_reporters": round(n_eff, 4),
            "coordinated_groups": groups,
            "views": subject.views,
            "expected_organic_reports": round(expected, 4),
            "exposure": round(exposure, 4),
            "owner_active_strikes": subject.owner_active_strikes,
            "owner_factor": round(owner_factor, 4),
            "spam_score": spam,
            "signal_factor": round(signal_factor, 4),
            "trusted_flagger_bonus": trusted,
            "unprocessed_reports": ev.unprocessed,
        },
    )


@dataclass(frozen=True, slots=True)
class RestrictionVerdict:
    restrict: bool
    reason: str
    units: int = 0
    evidence: float = 0.0


def auto_restriction(ev: CaseEvidence, s: Score, subject: SubjectFacts, policy: Policy, *,
                     protected: bool) -> RestrictionVerdict:
    """Whether to restrict visibility now, pending review. Rule, in order (each refusal says why):

    1. the policy enables it, and the subject is not the target of a detected campaign (``protected``);
    2. the credible severity reaches ``auto_restriction.min_severity``;
    3. the reporters do not outnumber what the subject's views make plausible (an exposure anomaly);
    4. independent credible units — individual reporters at or above ``triage.credible_reporter``, plus a
       classifier whose credibility × score reaches ``classifier_min`` — number at least ``min_independent``
       (or a credible classifier plus at least one credible human), and their evidence reaches
       ``min_evidence``. Coordinated groups never count toward it, whatever their size. Unless
       ``user_reports_alone``, one of the units must be a source of another kind than a user's report — a
       credible classifier or a trusted flagger — see :func:`_general_restriction`;
    5. or else, on a live surface, :func:`live_restriction`.

    A verdict to restrict is then still withheld while the owner is under a surge (:func:`owner_surge_refusal`;
    the service asks only when the answer could matter).
    """
    a = policy.auto_restriction
    if not a.enabled:
        return RestrictionVerdict(False, "automatic restriction is disabled by policy")
    if protected:
        return RestrictionVerdict(False, "the subject is the target of a detected campaign")
    reporters = ev.reporters
    if subject.views > 0 and reporters > max(a.min_independent, subject.views * policy.triage.plausible_report_rate):
        return RestrictionVerdict(False, f"{reporters} reporters for {subject.views} views is implausible")
    if SEVERITY_ORDER.index(s.severity) < SEVERITY_ORDER.index(a.min_severity):
        refusal = RestrictionVerdict(False, f"credible severity {s.severity} is below {a.min_severity}")
    else:
        refusal = _general_restriction(ev, policy)
        if refusal.restrict:
            return refusal
    if subject.surface in a.live_surfaces:
        live = live_restriction(ev, s, policy)
        if live.restrict:
            return live
        return RestrictionVerdict(False, f"{refusal.reason}; {live.reason}", max(refusal.units, live.units),
                                  max(refusal.evidence, live.evidence))
    return refusal


def owner_surge_refusal(subjects: int, reporters: int, policy: Policy) -> RestrictionVerdict | None:
    """Why an automatic restriction is withheld while the subject's owner is under a surge, or None.

    Many accounts reporting several of one creator's subjects within the hour (the ``second_review.owner_surge_*``
    thresholds) is the shape of an attack on a person, not of independent complaints about one piece of
    content: a reputation ring's members each pass every test of independence (earned records, their own
    networks and devices, no group yet) when they strike one creator's work together. Their reports still
    bring the subjects to a reviewer (and a restriction then needs a second one); only the automatic step is
    withheld (``auto_restriction.withhold_on_owner_surge``).
    """
    rule = policy.second_review
    if not policy.auto_restriction.withhold_on_owner_surge or not rule.owner_surge_subjects \
            or not rule.owner_surge_reporters:
        return None
    if subjects < rule.owner_surge_subjects or reporters < rule.owner_surge_reporters:
        return None
    hours = rule.owner_surge_window_s / 3600
    return RestrictionVerdict(False, f"withheld: {reporters} accounts reported {subjects} of the owner's subjects "
                                     f"within {hours:g} h, the shape of an attack on a person; a reviewer decides")


def _general_restriction(ev: CaseEvidence, policy: Policy) -> RestrictionVerdict:
    """Sources independent in more than one way: not only many credible reporters, but more than one *kind*
    of source. Credibility is a record of past reports, and a ring can earn it honestly (reporting real
    violations, often first) and then spend it on an innocent subject before the detector links its members;
    aged accounts with ordinary fingerprints are independent in every way a report shows. So unless the policy
    says ``user_reports_alone``, credible user reports bring the subject to the top of the queue but restrict
    it before a reviewer looks only together with a credible classifier or a trusted flagger, which a ring
    cannot build. (Live surfaces, whose harm cannot wait, have :func:`live_restriction`.)"""
    a = policy.auto_restriction
    humans = ev.individual.credible_n
    human_evidence = ev.individual.credible_s
    classifier_units = [c for c in ev.classifiers.values() if float(c["w"]) >= a.classifier_min]
    units = humans + len(classifier_units)
    evidence = human_evidence + sum(float(c["w"]) for c in classifier_units)
    enough_units = units >= a.min_independent or (classifier_units and humans >= 1)
    if not enough_units:
        return RestrictionVerdict(False, f"{humans} credible independent reporters and {len(classifier_units)} "
                                         f"credible classifiers are not enough", units, evidence)
    if evidence < a.min_evidence:
        return RestrictionVerdict(False, f"credible evidence {evidence:.2f} is below {a.min_evidence}", units, evidence)
    if not a.user_reports_alone and not classifier_units and not ev.trusted_flaggers:
        return RestrictionVerdict(False, f"{units} credible user reports without a credible classifier or a trusted "
                                         f"flagger: user reports alone do not restrict before review", units, evidence)
    return RestrictionVerdict(True, f"{units} independent credible sources, evidence {evidence:.2f}", units, evidence)


def independent_sources(ev: CaseEvidence) -> list[dict[str, Any]]:
    """Credible individual reporters independent in more than one way: outside any coordinated group (only
    the individual bucket is remembered), and no two sharing a network or a device fingerprint. A report
    without fingerprints proves nothing about independence, so it does not count. Heaviest first."""
    chosen: list[dict[str, Any]] = []
    nets: set[str] = set()
    devs: set[str] = set()
    for c in sorted(ev.credible_sources, key=lambda c: (-float(c["w"]), str(c["r"]))):
        net, dev = c.get("net"), c.get("dev")
        if not net or not dev or net in nets or dev in devs:
            continue
        chosen.append(c)
        nets.add(net)
        devs.add(dev)
    return chosen


def live_restriction(ev: CaseEvidence, s: Score, policy: Policy) -> RestrictionVerdict:
    """A livestream with credible reports is restricted pending review before a scarce reviewer arrives.

    A stream's harm happens while it is live, and a reviewer may be many minutes away; the restriction is
    reversible and the case stays first in the queue. So on a live surface (``auto_restriction.live_surfaces``)
    fewer sources suffice than elsewhere, but each must be independent in more than one way
    (:func:`independent_sources`: credible by an earned record, outside any coordinated group, distinct network
    and device fingerprints), not all of them young accounts, at least ``live_min_independent`` of them
    bringing ``live_min_evidence``, and the credible severity reaching ``live_min_severity``. Each reporter's
    credibility counts divided by the distinct subjects it reported within ``live_spread_window_s``: an honest
    viewer reports the stream in front of them; an aged account with an earned record that reports stream after
    stream (the red team's cheapest attack) spends its record across them. A raid of fresh or record-less
    accounts, or of one group, never restricts.
    """
    a = policy.auto_restriction
    if SEVERITY_ORDER.index(s.severity) < SEVERITY_ORDER.index(a.live_min_severity):
        return RestrictionVerdict(False, f"live: credible severity {s.severity} is below {a.live_min_severity}")
    sources = independent_sources(ev)
    # Credibility is spent across what it reports: a record earned honestly (a reputation ring's is) restricts one
    # stream at a time before a person looks, not every stream its owner reports that day.
    evidence = sum(float(c["w"]) / max(1, int(c.get("spread", 1))) for c in sources)
    if len(sources) < a.live_min_independent:
        return RestrictionVerdict(False, f"live: {len(sources)} credible reporters with distinct network and device "
                                         f"fingerprints are not enough", len(sources), evidence)
    if not any(c.get("aged") for c in sources):
        return RestrictionVerdict(False, "live: every credible independent reporter is a young account",
                                  len(sources), evidence)
    if evidence < a.live_min_evidence:
        return RestrictionVerdict(False, f"live: credible evidence {evidence:.2f} is below {a.live_min_evidence}",
                                  len(sources), evidence)
    return RestrictionVerdict(True, f"live: {len(sources)} independent credible sources (distinct fingerprints), "
                                    f"evidence {evidence:.2f}", len(sources), evidence)


def deadline(policy: Policy, surface: str, severity: str, opened_at: datetime) -> datetime:
    return opened_at + timedelta(seconds=policy.review_deadline_s(surface, severity))


def queue_rank(priority: float, waiting_since: datetime, policy: Policy) -> float:
    """The queue's sort key: ``priority + aging_per_hour × hours waited``, written as a constant.

    ``priority + k·(now − since)`` orders cases exactly as ``priority − k·since`` does for every ``now``, so
    the rank is stored once per rescore and the queue stays an index scan, while a low-priority case still
    rises past fresher ones the longer it waits (without aging, a steady stream of medium cases starves it).
    """
    hours = (waiting_since - RANK_EPOCH).total_seconds() / 3600.0
    return priority - policy.triage.aging_per_hour * hours


@dataclass(frozen=True, slots=True)
class HoldVerdict:
    release: bool
    reason: str


def rereview_release(ev: CaseEvidence, policy: Policy, surface: str | None = None) -> HoldVerdict:
    """Whether reports on a recently cleared subject bring *material new* evidence, so that it goes back in
    front of a reviewer before its hold ends (``[rereview]`` in the policy).

    A subject a moderator cleared and that a campaign keeps reporting would otherwise be reviewed again for
    every new report, and every review is another chance of a mistaken removal. What counts as new:
    a trusted flagger; a classifier at or above ``auto_restriction.classifier_min``; enough credible
    independent reporters; or enough credibility-weighted evidence from reporters outside any coordinated
    group. Coordinated groups never release a hold, whatever their size.

    On a live surface (``rereview.live_surfaces``) the harm of a missed violation cannot wait out a hold, and
    one reviewer's miss (a few per cent of reviews) is the likeliest reason a violating stream was cleared;
    there a few independent sources (``live_min_reporters`` bringing ``live_min_new_evidence``) are material
    new evidence: reporters outside any group, and each group the detector suspects but has not found to be a
    campaign counted as one source with bounded weight. A detected campaign (a raid) still releases nothing.
    """
    r = policy.rereview
    if r.release_on_trusted_flagger and ev.trusted_flaggers:
        return HoldVerdict(True, "a trusted flagger reported")
    if r.release_on_classifier:
        strong = sorted(n for n, c in ev.classifiers.items()
                        if float(c["w"]) >= policy.auto_restriction.classifier_min)
        if strong:
            return HoldVerdict(True, f"classifier {strong[0]} reported with credible confidence")
    if ev.individual.credible_n >= r.min_credible_reporters:
        return HoldVerdict(True, f"{ev.individual.credible_n} credible independent reporters")
    if ev.individual.s >= r.min_new_evidence:
        return HoldVerdict(True, f"independent evidence {ev.individual.s:.2f} reached {r.min_new_evidence}")
    if surface in r.live_surfaces:
        # A group the detector suspects (a shared network, say) but has not found to be a campaign is one
        # source, with its weight bounded: viewers behind one carrier are not a raid, nor many sources.
        suspected = [g for g in ev.groups.values() if not g.campaign]
        sources = ev.individual.n + len(suspected)
        evidence = ev.individual.s + sum(capped(g.s, policy.triage.group_cap) for g in suspected)
        if sources >= r.live_min_reporters and evidence >= r.live_min_new_evidence:
            return HoldVerdict(True, f"{sources} independent sources on a {surface}, whose harm cannot wait "
                                     f"(evidence {evidence:.2f} reached {r.live_min_new_evidence})")
    return HoldVerdict(False, f"no material new evidence (independent evidence {ev.individual.s:.2f}, "
                              f"{ev.individual.credible_n} credible independent reporters)")


def unexplained_independent(independent: int, expected: float, policy: Policy) -> bool:
    """Whether ``independent`` reporters outside any group (at least ``rereview.relook_min_independent``; 0 turns
    the rule off) are more than ``expected`` organic reports explain: P(N >= independent) for N ~ Poisson(expected)
    below ``rereview.relook_independent_p_value``."""
    r = policy.rereview
    if not r.relook_min_independent or independent < r.relook_min_independent:
        return False
    return float(pdtrc(independent - 1, max(0.0, expected))) < r.relook_independent_p_value


def relook_release(reporters: int, clearances: int, policy: Policy, *, independent: int = 0,
                   expected: float = math.inf) -> HoldVerdict:
    """Whether a held follow-up goes back to a reviewer for one more look because reports kept coming
    (``rereview.relook_min_reporters``), whoever sends them, or because independent reports kept coming
    (``rereview.relook_min_independent``).

    One moderator's miss (a few per cent of reviews) is the likeliest reason a real violation was cleared, and
    reporters who keep reporting it are often a community that coordinates honestly: coordination must not
    make that violation wait out the hold. A brigade on a cleared innocent looks the same, so the look is
    given once — a subject cleared twice within the window stays held on volume alone — and a restriction it
    leads to needs a second moderator (the ``relook`` second-review trigger): the brigade needs two
    independent mistakes, and costs reviewers one more look, not a stream of them.

    A missed violation seen by few people draws few reports: ``independent`` reporters outside any coordinated
    group (at least ``relook_min_independent``) that the organic reports the subject's views explain for
    content that breaks no rule (``expected``, Poisson, over its whole life although the follow-up counts only
    what came after the clearance) would reach with a probability below ``relook_independent_p_value`` are
    persistent complaints about the content rather than noise, and bring the same one look under the same
    terms. A viral video's honest mistakes stay within what its views explain.
    """
    r = policy.rereview
    volume = bool(r.relook_min_reporters) and reporters >= r.relook_min_reporters
    persistent = unexplained_independent(independent, expected, policy)
    if not volume and not persistent:
        return HoldVerdict(False, f"{reporters} reporters on the follow-up, fewer than {r.relook_min_reporters}, "
                                  f"and {independent} independent ones (views explain {expected:.2f} organic)")
    if clearances > 1:
        return HoldVerdict(False, f"cleared {clearances} times within the window: volume alone no longer "
                                  f"brings it back")
    if volume:
        return HoldVerdict(True, f"{reporters} reporters since one moderator cleared it: one more look, and a "
                                 f"restriction needs a second moderator")
    return HoldVerdict(True, f"{independent} independent reporters since one moderator cleared it, more than its "
                             f"views explain ({expected:.2f} organic reports): one more look, and a restriction "
                             f"needs a second moderator")
