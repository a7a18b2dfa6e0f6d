"""Why attacked innocents were restricted in worlds nobody tuned on (issue 19, validation seeds).

A reputation ring earns credibility honestly, then spends it: aged accounts with ordinary fingerprints are
independent in every way a report shows, so credible user reports alone must not restrict a subject before a
reviewer looks (a credible classifier or a trusted flagger, which a ring cannot build, must be among the
sources). And a brigade's viral video, cleared by a moderator, was released from its hold by new reports and
removed by the next single reviewer's mistake: a finding of violation against a colleague's clearance is one
opinion against one, and needs a second moderator. The engine rules are pure; the service tests go through the
real API and database (both back ends).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from fairflag.clock import ManualClock
from fairflag.domain.enums import ActorType
from fairflag.engine import triage
from fairflag.policy import load_policy
from fairflag.services import platform
from fairflag.services.context import Actor
from fairflag.store.tables import EnforcementAction
from tests.support import Platform

POLICY = load_policy()
VIDEO = triage.SubjectFacts(surface="video", views=3000, owner_active_strikes=0, signals={})
PLATFORM = Actor(ActorType.platform, "ring-test")


def ring_evidence(members: int = 4, w: float = 0.8) -> triage.CaseEvidence:
    """Credible, aged reporters with distinct fingerprints, outside any group: what a ring looks like."""
    ev = triage.CaseEvidence()
    for i in range(members):
        ev.individual.add(w, "minor_safety", credible=True)
        ev.add_credible_source(f"m{i}", w, f"net-{i}", f"dev-{i}", aged=True)
    return ev


def verdict(ev: triage.CaseEvidence, policy=POLICY) -> triage.RestrictionVerdict:  # type: ignore[no-untyped-def]
    return triage.auto_restriction(ev, triage.score(ev, VIDEO, policy), VIDEO, policy, protected=False)


def test_credible_user_reports_alone_do_not_restrict_a_video() -> None:
    v = verdict(ring_evidence())
    assert not v.restrict and "user reports alone" in v.reason and v.units == 4
    # The same reports with a source of another kind restrict pending review ...
    with_classifier = ring_evidence()
    with_classifier.classifiers["safety-net@2"] = {"w": 0.8, "reason": "minor_safety"}
    assert verdict(with_classifier).restrict
    with_flagger = ring_evidence()
    with_flagger.trusted_flaggers = 1
    assert verdict(with_flagger).restrict
    # ... and a platform that accepts the risk can say so in its policy.
    lenient = POLICY.model_copy(update={"auto_restriction": POLICY.auto_restriction.model_copy(
        update={"user_reports_alone": True})})
    assert verdict(ring_evidence(), lenient).restrict


def _automatic(plat: Platform, subject_id: str) -> list[EnforcementAction]:
    with plat.core.db.reader() as s:
        return list(s.scalars(select(EnforcementAction).where(EnforcementAction.automatic.is_(True),
                                                               EnforcementAction.target_id == subject_id)))


def test_a_ring_that_earned_its_credibility_cannot_restrict_an_innocent_video(plat: Platform,
                                                                              clock: ManualClock) -> None:
    ring = [f"ring{i}" for i in range(4)]
    created = clock.now() - timedelta(days=900)
    for member in ring:
        plat.core.run(PLATFORM, platform.upsert_account, platform.AccountIn(id=member, created_at=created))
    # Each member is the first to report real violations, and reviewers uphold them: full credit, honestly.
    for member in ring:
        for k in range(8):
            subject = f"bad-{member}-{k}"
            plat.subject(subject, "video", f"scammer-{member}-{k}", views=4000)
            case_id = plat.report(member, subject, "minor_safety", fp_net=f"net-{member}",
                                  fp_dev=f"dev-{member}")["case_id"]
            plat.decide_violation("mod1", case_id, rule="minor_safety")
            clock.advance(600)
    plat.account("creator", created_at="2022-01-01T00:00:00Z", followers=900)
    plat.subject("innocent", "video", "creator", views=3000)
    for member in ring:
        clock.advance(90)
        plat.report(member, "innocent", "minor_safety", fp_net=f"net-{member}", fp_dev=f"dev-{member}",
                    text="not safe for kids")
    assert _automatic(plat, "innocent") == []
    top = plat.as_("mod1", "GET", "/v1/queue")[0]
    assert top["subject_id"] == "innocent"  # first in front of a reviewer, not restricted before one looks
    auto = top["priority_components"]["auto_restriction"]
    assert auto["restrict"] is False and auto["independent_credible_sources"] == 4
    assert "user reports alone" in auto["reason"]


# -- a finding of violation against a colleague's clearance ----------------------------------------------------


def _report_independently(plat: Platform, clock: ManualClock, subject: str, reporters: list[str]) -> str:
    case_id = ""
    for i, r in enumerate(reporters):
        plat.account(r, created_at="2021-06-01T00:00:00Z")
        clock.advance(1800)
        case_id = plat.report(r, subject, "harassment", fp_net=f"net-{r}", fp_dev=f"dev-{r}",
                              text=f"comment {i} about the video")["case_id"]
    return case_id


def test_a_violation_found_after_a_clearance_waits_for_a_second_moderator(plat: Platform,
                                                                         clock: ManualClock) -> None:
    """A subject that keeps being reported after a moderator cleared it (a brigade's viral video) must not
    face one reviewer's mistake again at every release of its held follow-up."""
    plat.account("creator", created_at="2020-01-01T00:00:00Z", followers=90_000)
    plat.subject("viral", "video", "creator", views=9000)
    first = _report_independently(plat, clock, "viral", [f"a{i}" for i in range(3)])
    plat.claim("mod1", first)
    cleared = plat.decide("mod1", first, outcome="no_violation", statement="Satire, no target.")
    assert cleared["status"] == "decided"
    follow_up = _report_independently(plat, clock, "viral", [f"b{i}" for i in range(7)])
    assert follow_up != first
    detail = plat.as_("mod2", "GET", f"/v1/cases/{follow_up}")
    assert detail["priority_components"]["rereview"].get("released_because"), "the hold must have been released"
    plat.claim("mod2", follow_up)
    opinion = plat.decide("mod2", follow_up, confirm=False, outcome="violation", action="remove",
                          rule="harassment", statement="Targets a private person.")
    # Either trigger says one clearance stands against this finding; `relook` is the more specific one (the
    # follow-up came back by the volume of reports), and is asked first.
    assert opinion["status"] == "awaiting_second_review" and opinion["trigger"] in ("after_clearance", "relook")
    assert [e for e in plat.feed() if e["type"] == "action.applied"] == []
    plat.claim("mod1", follow_up)
    final = plat.decide("mod1", follow_up, confirm=False, outcome="no_violation", statement="Satire.")
    assert final["status"] in {"awaiting_tie_break", "decided"}
    assert [e for e in plat.feed() if e["type"] == "action.applied"] == []
