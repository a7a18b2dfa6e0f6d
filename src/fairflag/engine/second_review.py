"""When a restrictive decision is only a first opinion: the rules that ask for a second moderator.

One moderator's mistake is what a mass-reporting attack needs; where the attack shows, or where nothing but
that one moderator's judgement stands behind the restriction, a second moderator (who does not see the first
opinion) must also find a violation before anything is enforced ([second_review] in the policy):

* ``campaign``: a detected (or confirmed) coordinated-reporting campaign targets the subject, or one of its
  members reported it — unless evidence from outside every coordinated group would carry the decision on its
  own (:func:`campaign_waiver`): coordination is evidence about the reporters, not about the content, and
  must not make a violation that independent sources also report wait for a second moderator.
* ``thin_evidence``: the reports weigh little (the score's evidence ``E`` is below ``thin_evidence_below``,
  and no trusted flagger reported). An attack spread thin over hundreds of targets leaves each of them with a
  report or two from accounts with no record when it is reviewed, before the detector can link anyone; so
  does an honest but mistaken report. Surfaces where harm cannot wait (livestreams, by default) are exempt
  only where the evidence has sources independent in more than one way (:func:`thin_evidence_exempt`): the
  exemption exists so real harm is not held up, not so that a thin, single-group or record-less pile on a
  livestream ends it on one moderator's mistake. Owners with more than ``thin_evidence_max_owner_strikes``
  active strikes are exempt too: the benefit of the doubt is for a clean record (a scammer's second and third
  video are decided by one moderator).
* ``relook``: the case is a follow-up on a subject a moderator cleared, brought back for one more look by the
  volume of reports alone (``rereview.relook_min_reporters``): one moderator's finding now stands against
  another's, and a brigade on a cleared innocent must not get there with one mistake. Surfaces where harm
  cannot wait (as for thin evidence and ``after_clearance``) are exempt: the likeliest reason a violating
  livestream was cleared is one reviewer's miss, and viewers who keep reporting it must not make it wait one
  more reviewer's slot while it streams. A raid that brings it back is still a detected campaign there, which
  asks for the second moderator itself (``campaign``).
* ``owner_surge``: the subject's owner drew reports from at least ``owner_surge_reporters`` distinct accounts
  on at least ``owner_surge_subjects`` of their subjects within ``owner_surge_window_s``: a creator hit on
  several fronts at once, the shape of an attack on a person (by accounts with a good record, which would
  otherwise carry the decision) rather than of independent complaints about one piece of content.
* ``owner_spread``: the subject's owner drew reports from at least ``owner_spread_reporters`` distinct accounts
  (fewer than ``owner_surge_reporters``) on at least ``owner_spread_subjects`` of their subjects within
  ``owner_surge_window_s``: a smaller attack on a person than a surge (a reputation ring spends a few credible
  accounts on a few of one creator's videos, each case carrying enough evidence alone). Honest reports of
  violations rarely land on several of one creator's subjects within the hour; where they do, a trusted
  flagger or a credible classifier (sources no reporting account controls) waives the rule
  (:func:`owner_spread`). Surfaces where harm cannot wait are exempt, as for ``after_clearance``.
* ``after_clearance``: the case follows a moderator's clearance of the same subject within the re-review
  window (a held follow-up, released by new reports or the end of its hold). A finding of violation then
  contradicts a colleague's: it is one opinion against one, as in a tie-break, and a subject that keeps being
  reported after it was cleared — a brigade's viral video, a ring's target — would otherwise face a fresh coin
  toss of one reviewer's mistake at every release. Surfaces where harm cannot wait (as for thin evidence)
  are exempt: a cleared livestream may have changed since.

The ``campaign`` and ``owner_surge`` triggers protect a creator with a clean record: they do not apply once the
owner has more than ``campaign_max_owner_strikes`` active strikes (:func:`record_exempt`). Both guard against an
attack that needs one reviewer's mistake, and both fire on a community reporting a scam ring in lockstep
(a campaign, and a surge on each scammer): every scam subject then cost two reviews, and with scarce reviewers
the crowd's targets waited twice as long as a naive report count's. A strike is a violation a moderator already
confirmed on the owner (under these triggers, two moderators): the owner's other reported content is decided by
one, as the thin-evidence rule already does (a scammer's second and third video).

The rules are pure: the service gathers the facts, cheapest first, and stops at the first rule that applies.
A second review costs one more look on the subject; a wrong restriction costs a creator their content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from fairflag.engine.triage import CaseEvidence, independent_sources, total_evidence
from fairflag.policy import Policy

TriggerCode = Literal["campaign", "thin_evidence", "owner_surge", "owner_spread", "after_clearance", "relook"]


@dataclass(frozen=True, slots=True)
class Trigger:
    """Why a restrictive decision waits for a second moderator (recorded with the first opinion)."""

    code: TriggerCode
    reason: str
    facts: dict[str, Any] = field(default_factory=dict)


CAMPAIGN = Trigger("campaign", "a detected coordinated-reporting campaign targets this subject or its members "
                               "reported it: a restrictive decision takes effect when a second moderator also finds "
                               "a violation")

RELOOK = Trigger("relook", "a moderator cleared this subject and it came back for one more look because reports kept "
                           "coming: a restrictive decision takes effect when a second moderator also finds a violation")


def relook(is_relook: bool, surface: str, policy: Policy) -> Trigger | None:
    """``is_relook``: the case was brought back for one more look by the volume of reports alone."""
    if not is_relook or surface in policy.second_review.thin_evidence_exempt_surfaces:
        return None
    return RELOOK


def campaign_waiver(ev: CaseEvidence, policy: Policy) -> str | None:
    """Why the ``campaign`` trigger does not apply, or None when it does.

    The trigger guards against a campaign that needs one reviewer's mistake. When the case also carries
    evidence independent of every coordinated group that would carry the decision alone — a trusted flagger,
    a credible classifier, or at least ``campaign_waiver_sources`` credible reporters outside any group with
    distinct network and device fingerprints bringing ``campaign_waiver_evidence`` — the decision does not
    rest on the campaign, and a second look would only make a real violation wait (a community reporting a
    scam together is detected as coordinated, too). Fresh or record-less accounts never waive it.
    """
    rule = policy.second_review
    if rule.campaign_waiver_sources <= 0:
        return None
    if ev.trusted_flaggers:
        return "a trusted flagger reported"
    strong = sorted(n for n, c in ev.classifiers.items() if float(c["w"]) >= policy.auto_restriction.classifier_min)
    if strong:
        return f"classifier {strong[0]} reported with credible confidence"
    sources = independent_sources(ev)
    evidence = sum(float(c["w"]) for c in sources)
    if len(sources) >= rule.campaign_waiver_sources and evidence >= rule.campaign_waiver_evidence:
        return (f"{len(sources)} credible reporters outside any coordinated group, with distinct fingerprints, "
                f"bring evidence {evidence:.2f}")
    return None


def thin_evidence_exempt(ev: CaseEvidence, surface: str, policy: Policy) -> bool:
    """Whether an exempt surface's exemption holds for this evidence: a credible classifier reported, or at
    least ``thin_evidence_exempt_sources`` credible reporters independent in more than one way
    (:func:`fairflag.engine.triage.independent_sources`: outside any coordinated group, distinct network and
    device fingerprints). 0 sources: every report on an exempt surface is spared (the rule before issue 19).
    A violating livestream with such reporters is restricted pending review automatically
    (``auto_restriction.live_*``), so asking a second moderator where it has none does not delay it."""
    rule = policy.second_review
    if surface not in rule.thin_evidence_exempt_surfaces:
        return False
    if rule.thin_evidence_exempt_sources <= 0:
        return True
    if any(float(c["w"]) >= policy.auto_restriction.classifier_min for c in ev.classifiers.values()):
        return True
    return len(independent_sources(ev)) >= rule.thin_evidence_exempt_sources


def thin_evidence(ev: CaseEvidence, surface: str, owner_active_strikes: int, policy: Policy) -> Trigger | None:
    rule = policy.second_review
    if rule.thin_evidence_below <= 0 or ev.trusted_flaggers or thin_evidence_exempt(ev, surface, policy):
        return None
    if owner_active_strikes > rule.thin_evidence_max_owner_strikes:
        return None  # a confirmed violation earlier: the owner's record no longer asks for the benefit of doubt
    weight = total_evidence(ev, policy)
    if weight >= rule.thin_evidence_below:
        return None
    return Trigger("thin_evidence",
                   f"the reports weigh {weight:.2f}, below {rule.thin_evidence_below}: a restriction resting on one "
                   f"moderator's judgement alone takes effect when a second moderator also finds a violation",
                   {"evidence": round(weight, 4), "below": rule.thin_evidence_below})


def record_exempt(owner_active_strikes: int, policy: Policy) -> bool:
    """Whether the owner's confirmed violations (more than ``campaign_max_owner_strikes`` active strikes) spare a
    restrictive decision the ``campaign`` and ``owner_surge`` triggers (see the module docstring)."""
    return owner_active_strikes > policy.second_review.campaign_max_owner_strikes


def _on_owner(code: str, subjects: int, reporters: int, policy: Policy) -> Trigger:
    """The trigger of a rule about the owner's reported subjects within ``owner_surge_window_s``."""
    window_s = policy.second_review.owner_surge_window_s
    return Trigger(code,
                   f"{reporters} accounts reported {subjects} of this creator's subjects within {window_s / 3600:g} "
                   f"h: a restrictive decision takes effect when a second moderator also finds a violation",
                   {"subjects": subjects, "reporters": reporters, "window_s": window_s})


def owner_surge(subjects: int, reporters: int, policy: Policy) -> Trigger | None:
    """``subjects``/``reporters``: the owner's distinct reported subjects and distinct (human) reporters
    within the window."""
    rule = policy.second_review
    if not rule.owner_surge_subjects or not rule.owner_surge_reporters:
        return None
    if subjects < rule.owner_surge_subjects or reporters < rule.owner_surge_reporters:
        return None
    return _on_owner("owner_surge", subjects, reporters, policy)


def owner_spread(subjects: int, reporters: int, ev: CaseEvidence, surface: str, policy: Policy) -> Trigger | None:
    """The smaller shape of an attack on a person: ``subjects``/``reporters`` as for :func:`owner_surge`, against
    ``owner_spread_subjects``/``owner_spread_reporters`` (either 0 turns it off), with fewer reporters than a
    surge (``owner_surge_reporters``): a crowd is the surge rule's and the campaign detector's to judge (a
    community reporting a scammer's profile and video together is one).

    Waived when a trusted flagger or a credible classifier reported the subject: evidence no reporting account
    controls, which a ring or a brigade cannot bring (a ring's earned credibility waives nothing here: earning
    it honestly first is the ring's whole method). Surfaces where harm cannot wait
    (``thin_evidence_exempt_surfaces``) are exempt, as for ``after_clearance``."""
    rule = policy.second_review
    if not rule.owner_spread_subjects or not rule.owner_spread_reporters:
        return None
    if subjects < rule.owner_spread_subjects or reporters < rule.owner_spread_reporters:
        return None
    if (rule.owner_surge_reporters and reporters >= rule.owner_surge_reporters) \
            or surface in rule.thin_evidence_exempt_surfaces:
        return None
    if ev.trusted_flaggers or any(float(c["w"]) >= policy.auto_restriction.classifier_min
                                  for c in ev.classifiers.values()):
        return None
    return _on_owner("owner_spread", subjects, reporters, policy)


def after_clearance(follows_clearance: bool, surface: str, policy: Policy) -> Trigger | None:
    """``follows_clearance``: the case is a follow-up of a no-violation decision on the subject (within
    ``rereview.window_s``)."""
    rule = policy.second_review
    if not rule.after_clearance or not follows_clearance or surface in rule.thin_evidence_exempt_surfaces:
        return None
    return Trigger("after_clearance",
                   "a moderator cleared this subject within the re-review window: a finding of violation against "
                   "that clearance takes effect when a second moderator also finds a violation")
