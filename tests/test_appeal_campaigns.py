"""An appeal that re-decides moves a campaign's label as a decision does (both back ends).

Why: a campaign is demoted when moderators upheld its targets (a community that was right) and flagged
again when a target is cleared. Overturning an appeal changes those outcomes after the fact: a creator's
overturn turns upheld reports into rejected ones, a reporter's overturn upholds reports that were cleared.
The label must follow, else a group keeps the protection of a verdict that no longer stands (or loses one
it earned). Upholding an appeal changes no outcome, so the label stays.
"""

from __future__ import annotations

from sqlalchemy import select

from fairflag.domain.enums import CampaignStatus
from fairflag.engine.campaigns import CampaignSnapshot
from fairflag.services.campaigns import persist_snapshot
from fairflag.services.context import SYSTEM
from fairflag.store.tables import Campaign
from tests.support import Platform
from tests.test_campaign_persistence import T0

MEMBERS = "abcde"


def _campaign_on_x_and_y(plat: Platform) -> dict[str, str]:
    """Five members report x and y (owned by creator-x and creator-y), and e also z, which stays pending (so e
    is never vindicated and stays a member); the campaign is stored as the detector would store it. Returns
    each subject's case id."""
    cases = {}
    for sid in ("x", "y", "z"):
        plat.subject(sid, owner_id=f"creator-{sid}", views=100)
        for member in MEMBERS if sid != "z" else "e":
            cases[sid] = plat.report(member, sid, reason="scam_fraud")["case_id"]
    plat.core.run(SYSTEM, persist_snapshot, CampaignSnapshot(
        key="cluster-appeal", reporters=frozenset(MEMBERS), targets=frozenset("xyz"), first_at=T0, last_at=T0,
        confidence=0.9, evidence={"members": 5.0, "targets": 3.0}))
    return cases


def _status(plat: Platform) -> str:
    mine = select(Campaign.status).where(Campaign.detector_key == "cluster-appeal")
    return plat.core.query(SYSTEM, lambda ctx: ctx.session.scalars(mine).one())  # type: ignore[no-any-return]


def _clear(plat: Platform, case_id: str) -> dict[str, str]:
    plat.claim("mod1", case_id)
    return plat.decide("mod1", case_id, outcome="no_violation", statement="Not a scam.")


def _resolve(plat: Platform, appeal_id: str, outcome: str, **extra: str) -> None:
    plat.as_("senior2", "POST", f"/v1/appeals/{appeal_id}/resolution",
             json={"outcome": outcome, "statement": "Looked again.", **extra})


def test_a_creator_appeal_overturned_flags_the_demoted_campaign_again(plat: Platform) -> None:
    cases = _campaign_on_x_and_y(plat)
    decision_x = plat.decide_violation("mod1", cases["x"], rule="scam_fraud")
    decision_y = plat.decide_violation("mod1", cases["y"], rule="scam_fraud")
    assert _status(plat) == CampaignStatus.demoted.value  # both targets upheld: a community that was right
    appeal = plat.client.post("/v1/creators/creator-y/appeals", headers=plat.key,
                              json={"decision_id": decision_y["id"], "statement": "It is a real shop."}).json()
    _resolve(plat, appeal["id"], "upheld")
    assert _status(plat) == CampaignStatus.demoted.value  # the decision stands: so does the verdict
    second = plat.client.post("/v1/creators/creator-x/appeals", headers=plat.key,
                              json={"decision_id": decision_x["id"], "statement": "Mine too."}).json()
    _resolve(plat, second["id"], "overturned")
    # x's reports are rejected now: one upheld target is no community
    assert _status(plat) == CampaignStatus.detected.value


def test_a_reporter_appeal_overturned_demotes_the_campaign(plat: Platform) -> None:
    cases = _campaign_on_x_and_y(plat)
    plat.decide_violation("mod1", cases["x"], rule="scam_fraud")
    cleared = _clear(plat, cases["y"])
    assert _status(plat) == CampaignStatus.detected.value  # all five pushed a cleared subject
    appeal = plat.client.post("/v1/reporters/a/appeals", headers=plat.key,
                              json={"decision_id": cleared["id"], "statement": "It is a scam."}).json()
    _resolve(plat, appeal["id"], "overturned", action="remove", rule="scam_fraud")
    # y is upheld after all: both targets upheld, nothing cleared
    assert _status(plat) == CampaignStatus.demoted.value

