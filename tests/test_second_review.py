"""A restrictive decision on a campaign-targeted subject needs a second moderator (both back ends).

Why this matters: a mass-reporting campaign aims to get one reviewer to make one mistake. On the subjects a
detected campaign targets, a removal takes effect only when a second moderator, who does not see the first
opinion, also finds a violation; if they do not, the creator keeps the content.
"""

from __future__ import annotations

from datetime import timedelta

from fairflag.clock import ManualClock
from tests.support import Platform


def brigaded_case(plat: Platform, clock: ManualClock, subject: str = "v1") -> str:
    """40 fresh accounts on two shared fingerprints report ``subject``: a detected campaign targets it."""
    plat.account("creator1", created_at="2023-01-01T00:00:00Z")
    plat.subject(subject, owner_id="creator1", views=5000)
    young = (clock.now() - timedelta(days=1)).isoformat()
    case_id = ""
    for i in range(40):
        plat.account(f"bot{i}", created_at=young)
        clock.advance(5)
        case_id = plat.report(f"bot{i}", subject, "harassment", fp_net=f"net{i % 2}", fp_dev=f"dev{i % 2}")["case_id"]
    detail = plat.as_("mod1", "GET", f"/v1/cases/{case_id}")
    assert detail["campaigns"], "the swarm must be detected for this test to mean anything"
    return case_id


def remove(plat: Platform, user: str, case_id: str, expect: int = 200) -> dict:
    return plat.decide(user, case_id, expect=expect, outcome="violation", action="remove", rule="harassment",
                       statement="Targeted harassment of a private person.")


def applied(plat: Platform) -> list[dict]:
    return [e for e in plat.feed() if e["type"] == "action.applied"]


def test_a_removal_on_a_campaign_target_waits_for_a_second_moderator_who_agrees(
        plat: Platform, clock: ManualClock) -> None:
    case_id = brigaded_case(plat, clock)
    plat.claim("mod1", case_id)
    first = remove(plat, "mod1", case_id)
    assert first["status"] == "awaiting_second_review" and first["first_opinion_by"] == plat.user_id("mod1")
    assert applied(plat) == []  # nothing enforced on one opinion
    case = plat.as_("mod1", "GET", f"/v1/cases/{case_id}")
    assert case["status"] == "open" and case["awaiting_second_review"] and case["claimed_by"] is None
    assert case["priority_components"]["queue"]["second_review_boost"] == plat.core.policy.second_review.rank_boost
    # The first moderator can neither take it again nor decide it.
    assert plat.as_("mod1", "POST", "/v1/queue/claim-next", expect=409)["error"]["type"] == "queue_empty"
    assert plat.as_("mod1", "POST", f"/v1/cases/{case_id}/claim", expect=403)["error"]["type"] == \
        "second_moderator_required"
    # The second moderator does not see the first opinion.
    [requested] = [h for h in plat.as_("mod2", "GET", f"/v1/cases/{case_id}")["history"]
                   if h["kind"] == "moderator:case:second_review_requested"]
    assert "first_opinion" not in requested["data"]

    assert plat.as_("mod2", "POST", "/v1/queue/claim-next")["id"] == case_id
    final = remove(plat, "mod2", case_id)
    assert final["status"] == "decided" and "remove" in [a["kind"] for a in final["actions"]]
    assert "remove" in [e["kind"] for e in applied(plat)]
    history = plat.as_("mod1", "GET", f"/v1/cases/{case_id}")["history"]
    [decided] = [h for h in history if h["kind"] == "moderator:case:decided"]
    assert decided["data"]["second_review"] == {"first_opinion_by": plat.user_id("mod1"), "agreed": True}
    [requested] = [h for h in history if h["kind"] == "moderator:case:second_review_requested"]
    assert requested["data"]["first_opinion"]["action"] == "remove"  # shown once the case is decided


def test_when_the_second_moderator_finds_no_violation_the_creator_keeps_the_content(
        plat: Platform, clock: ManualClock) -> None:
    case_id = brigaded_case(plat, clock)
    plat.claim("mod1", case_id)
    assert remove(plat, "mod1", case_id)["status"] == "awaiting_second_review"
    plat.claim("mod2", case_id)
    final = plat.decide("mod2", case_id, outcome="no_violation", statement="No rule is broken.")
    assert final["status"] == "decided" and final["outcome"] == "no_violation" and final["actions"] == []
    assert applied(plat) == []


def test_without_a_campaign_one_moderator_decides(plat: Platform, clock: ManualClock) -> None:
    plat.account("creator1", created_at="2023-01-01T00:00:00Z")
    plat.subject("v2", owner_id="creator1", views=5000)
    case_id = plat.report("a1", "v2", "harassment")["case_id"]
    plat.claim("mod1", case_id)
    assert remove(plat, "mod1", case_id)["status"] == "decided"
    assert "remove" in [e["kind"] for e in applied(plat)]


def test_second_review_can_be_turned_off(plat: Platform, clock: ManualClock) -> None:
    plat.core.policy = plat.core.policy.model_copy(update={
        "second_review": plat.core.policy.second_review.model_copy(update={"on_protected_subjects": False})})
    case_id = brigaded_case(plat, clock)
    plat.claim("mod1", case_id)
    assert remove(plat, "mod1", case_id)["status"] == "decided"


def test_a_subject_one_campaign_member_reported_also_needs_a_second_moderator(
        plat: Platform, clock: ManualClock) -> None:
    brigaded_case(plat, clock)
    plat.subject("v3", owner_id="creator1", views=5000)
    clock.advance(60)
    case_id = plat.report("bot7", "v3", "harassment", fp_net="net1", fp_dev="dev1")["case_id"]
    assert plat.as_("mod1", "GET", f"/v1/cases/{case_id}")["campaigns"] == []  # not a target: one member only
    plat.claim("mod1", case_id)
    assert remove(plat, "mod1", case_id)["status"] == "awaiting_second_review"
