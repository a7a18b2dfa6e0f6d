"""The platform hears every outcome, as documented (issue 18, part 4).

* docs/delivery.md's tables of event kinds, payload fields and their values are generated from the registry
  in ``fairflag.delivery.events``, and every event the services deliver conforms to that registry;
* every change of a report's outcome appears in exactly one delivered ``reports.resolved`` entry, and nothing
  else does, across every lifecycle: decisions (after a second review and a tie-break), reporters marked
  abusive, withdrawals, appeals overturned either way, a campaign confirmed and its cases dismissed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from fairflag import docgen
from fairflag.clock import ManualClock
from fairflag.delivery import events
from fairflag.domain.enums import ActorType, ReportOutcome
from fairflag.services import enforcement, platform
from fairflag.services.context import Actor, Context
from fairflag.store.tables import Case, ReporterStats, ReportState, Subject
from fairflag.worker import run_once
from tests.support import CLI, Platform

REPO = Path(__file__).resolve().parents[1]
PLATFORM = Actor(ActorType.platform, "contract")
T = TypeVar("T")


# --- the registry and the documentation --------------------------------------------------------------


def test_delivery_reference_is_generated_from_the_registry() -> None:
    current = (REPO / "docs" / "delivery.md").read_text(encoding="utf-8")
    assert current == docgen.render_delivery(current), \
        "docs/delivery.md is out of date: run `python -m fairflag.docgen`"


def test_the_reference_names_every_kind_and_value() -> None:
    text = (REPO / "docs" / "delivery.md").read_text(encoding="utf-8")
    for spec in events.EVENTS:
        assert f"| `{spec.type.value}` |" in text
    for enum in (events.ResolutionCause, events.ResolvedOutcome):
        for member in enum:
            assert f"| `{member.value}` |" in text, member


def test_resolved_outcomes_are_report_outcomes() -> None:
    assert {o.value for o in events.ResolvedOutcome} <= {o.value for o in ReportOutcome}


def test_the_checker_catches_what_the_docs_do_not_say() -> None:
    good = {"id": "evt_1", "type": "reports.resolved",
            **events.reports_resolved(events.ResolutionCause.no_violation, subject_id="s", decision_id="dec_1",
                                      reports=[events.resolved_report("rep_1", "alice", "rejected")])}
    assert events.problems(good) == []
    assert events.problems({**good, "seq": 3}) == []
    assert events.problems({**good, "type": "reports.changed"}) == ["undocumented event type 'reports.changed'"]
    assert events.problems({**good, "extra": 1}) == ["reports.resolved: undocumented field extra"]
    assert events.problems({**good, "outcome": "reversed"}) == [
        "reports.resolved: outcome has undocumented value 'reversed'"]
    assert events.problems({k: v for k, v in good.items() if k != "appeal_id"}) == [
        "reports.resolved: missing field appeal_id"]
    bad_item = {**good, "reports": [{"report_id": "rep_1", "reporter_id": "alice", "outcome": "withdrawn"}]}
    assert events.problems(bad_item) == ["reports.resolved: reports[].outcome has undocumented value 'withdrawn'"]
    assert events.problems({**good, "subject_id": None}) == ["reports.resolved: subject_id is null"]


# --- every outcome change, delivered once ------------------------------------------------------------

DELIVERED_OUTCOMES = {o.value for o in events.ResolvedOutcome}


@dataclass
class Ledger:
    """Runs each step and checks that the ``reports.resolved`` entries it delivered are exactly the outcome
    changes it made: each changed report once, with its new outcome, and no report whose outcome stayed."""

    plat: Platform
    cursor: int = 0
    delivered: list[dict[str, Any]] = field(default_factory=list)

    def states(self) -> dict[str, str]:
        with self.plat.core.db.reader() as s:
            return {rid: outcome for rid, outcome in s.execute(select(ReportState.report_id, ReportState.outcome))}

    def step(self, label: str, fn: Callable[[], T]) -> T:
        before = self.states()
        result = fn()
        after = self.states()
        new = self.plat.feed(after=self.cursor)
        if new:
            self.cursor = new[-1]["seq"]
        self.delivered += new
        changed = Counter((rid, outcome) for rid, outcome in after.items()
                          if before.get(rid, ReportOutcome.pending.value) != outcome and outcome in DELIVERED_OUTCOMES)
        told = Counter((r["report_id"], r["outcome"]) for e in new if e["type"] == "reports.resolved"
                       for r in e["reports"])
        assert told == changed, f"{label}: delivered {dict(told)}, changed {dict(changed)}"
        return result

    def resolved(self, among: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        return [e for e in (self.delivered if among is None else among) if e["type"] == "reports.resolved"]


def _restrict(subject_id: str) -> Callable[[Context], None]:
    def run(ctx: Context) -> None:
        subject = ctx.session.get(Subject, subject_id)
        case_id = ctx.session.scalars(select(Case.id).where(Case.subject_id == subject_id,
                                                            Case.status == "open")).one()
        assert subject is not None
        enforcement.restrict_automatically(ctx, case_id, subject, "test: restricted pending review")
    return run


def test_every_outcome_change_is_delivered_exactly_once(plat: Platform, clock: ManualClock) -> None:
    ledger = Ledger(plat)
    step = ledger.step
    aged = (clock.now() - timedelta(days=800)).isoformat()
    for creator in ("creator-a", "creator-b", "creator-c", "creator-d", "creator-e"):
        plat.account(creator, created_at=aged, followers=500)

    def decide(user: str, case_id: str, **body: Any) -> dict[str, Any]:
        plat.claim(user, case_id)
        return plat.decide(user, case_id, confirm=False, **body)

    violation = {"outcome": "violation", "action": "remove", "rule": "spam", "statement": "Spam."}
    clean = {"outcome": "no_violation", "statement": "Nothing wrong here."}

    # --- a violation after a second review (thin evidence), later overturned on the creator's appeal -----
    plat.subject("v-second", owner_id="creator-a", views=5000)
    a1 = plat.report("alice", "v-second")  # one ordinary reporter: thin evidence
    first = step("first opinion", lambda: decide("mod1", a1["case_id"], **violation))
    assert first["status"] == "awaiting_second_review"
    second_decision = step("second review agrees", lambda: decide("mod2", a1["case_id"], **violation))
    assert second_decision["status"] == "decided"

    # --- no violation, one report marked abusive and one upheld; a reporter's appeal is overturned ----------
    plat.subject("v-clean", owner_id="creator-b", views=5000)
    carol = plat.report("carol", "v-clean")
    dave = plat.report("dave", "v-clean")
    frank = plat.report("frank", "v-clean")
    cleared = step("no violation with marks", lambda: decide(
        "mod1", carol["case_id"], **clean, report_outcomes={dave["id"]: "abusive", frank["id"]: "upheld"}))

    # --- a tie-break: the second moderator disagrees, a third decides ---------------------------------------
    plat.subject("v-tie", owner_id="creator-c", views=5000)
    gina = plat.report("gina", "v-tie")
    assert step("first opinion", lambda: decide("mod1", gina["case_id"], **violation))["status"] == \
        "awaiting_second_review"
    assert step("second opinion disagrees", lambda: decide("mod2", gina["case_id"], **clean))["status"] == \
        "awaiting_tie_break"
    assert step("tie-break", lambda: decide("senior1", gina["case_id"], **clean))["status"] == "decided"

    # --- withdrawals, before and after the decision -----------------------------------------------------
    plat.subject("v-withdrawn", owner_id="creator-c", views=5000)
    hank = plat.report("hank", "v-withdrawn")
    ivy = plat.report("ivy", "v-withdrawn")

    def withdraw(reporter: str, report_id: str) -> None:
        r = plat.client.post(f"/v1/reports/{report_id}/withdrawals", headers=plat.key,
                             json={"reporter_id": reporter})
        assert r.status_code == 200, r.text

    step("withdrawn before the decision", lambda: withdraw("hank", hank["id"]))
    step("decided after a withdrawal", lambda: decide("mod2", ivy["case_id"], **clean))
    step("withdrawn after the decision", lambda: withdraw("ivy", ivy["id"]))

    # --- an automatic restriction, lifted by the review -------------------------------------------------
    plat.subject("v-auto", owner_id="creator-e", views=5000)
    auto_case = plat.report("jack", "v-auto")["case_id"]
    step("restricted automatically", lambda: plat.core.run(CLI, _restrict("v-auto")))
    step("reviewed", lambda: decide("mod1", auto_case, **clean))

    # --- appeals ----------------------------------------------------------------------------------------
    clock.advance(3600)
    r = plat.client.post("/v1/creators/creator-a/appeals", headers=plat.key,
                         json={"decision_id": second_decision["id"], "statement": "It is not spam."})
    assert r.status_code == 201, r.text
    creator_appeal = r.json()["id"]
    step("creator's appeal overturned", lambda: plat.as_(
        "senior1", "POST", f"/v1/appeals/{creator_appeal}/resolution",
        json={"outcome": "overturned", "statement": "A parody, not spam."}))
    r = plat.client.post("/v1/reporters/carol/appeals", headers=plat.key,
                         json={"decision_id": cleared["id"], "statement": "It is spam."})
    assert r.status_code == 201, r.text
    reporter_appeal = r.json()["id"]
    step("reporter's appeal overturned", lambda: plat.as_(
        "senior2", "POST", f"/v1/appeals/{reporter_appeal}/resolution",
        json={"outcome": "overturned", "statement": "It is spam after all.", "action": "suspend", "rule": "spam",
              "duration_s": 3600}))
    # Carol's record holds the outcome that stands, not the one the appeal overturned as well.
    with plat.core.db.reader() as s:
        carol_stats = s.get(ReporterStats, "carol")
        assert carol_stats is not None
        overall = carol_stats.history["overall"]  # [upheld, rejected, abusive], decayed
    # The upheld credit is weighed by the information the report added (credibility.information_scale).
    assert overall[0] >= 0.1 and overall[1] == pytest.approx(0.0, abs=0.01), overall
    clock.advance(7200)
    step("suspension expired", lambda: run_once(plat.core))
    assert [e["type"] for e in ledger.delivered[-1:]] == ["action.expired"]

    # --- a campaign: some of its reports already rejected, confirmed, then its cases dismissed -----------
    plat.subject("t-1", owner_id="creator-d", views=3000)
    plat.subject("t-2", owner_id="creator-d", views=3000)
    plat.account("lena", created_at=aged)
    lena = plat.report("lena", "t-1")
    bots = [f"bot{i:02d}" for i in range(12)]
    fresh = (clock.now() - timedelta(days=1)).isoformat()
    for bot in bots:
        plat.core.run(PLATFORM, platform.upsert_account, platform.AccountIn(id=bot, created_at=fresh))
    for target in ("t-1", "t-2"):
        for i, bot in enumerate(bots):
            clock.advance(5)
            plat.report(bot, target, "violence", fp_net=f"net{i % 2}", fp_dev=f"dev{i % 2}",
                        text="remove this video it is violent now")
    [campaign] = plat.as_("senior1", "GET", "/v1/campaigns")
    assert set(campaign["targets"]) == {"t-1", "t-2"}
    t2_case = plat.as_("mod1", "GET", "/v1/queue", params={"limit": 100})
    [t2_case_id] = [c["id"] for c in t2_case if c["subject_id"] == "t-2"]
    step("a campaign's case cleared before the campaign is judged", lambda: decide("mod2", t2_case_id, **clean))
    confirmed_at = len(ledger.delivered)
    step("campaign confirmed", lambda: plat.as_("senior1", "POST", f"/v1/campaigns/{campaign['id']}/confirm",
                                                json={"note": "Fresh accounts, two networks, one text."}))
    by_campaign = ledger.resolved(ledger.delivered[confirmed_at:])
    assert {e["subject_id"] for e in by_campaign} == {"t-1", "t-2"}
    assert all(e["outcome"] == "campaign_confirmed" and e["campaign_id"] == campaign["id"] for e in by_campaign)
    assert sum(len(e["reports"]) for e in by_campaign) == 2 * len(bots)  # every bot report, pending or rejected
    dismissed_at = len(ledger.delivered)
    dismissed = step("campaign's cases dismissed", lambda: plat.as_(
        "senior1", "POST", f"/v1/campaigns/{campaign['id']}/dismiss-cases",
        json={"statement": "No violation: coordinated reports."}))
    assert dismissed["decided_cases"] and not dismissed["skipped_cases"]
    [told] = ledger.resolved(ledger.delivered[dismissed_at:])
    assert told["subject_id"] == "t-1" and told["reports"] == [
        {"report_id": lena["id"], "reporter_id": "lena", "outcome": "rejected"}]

    # A user reports through the report page and mutes the account (account.block_requested).
    page = plat.client.post("/v1/report-links", json={"reporter_id": "lena", "subject_id": "t-2"},
                            headers=plat.key).json()["path"]
    step("a report through the report page", lambda: plat.client.post(page, data={"reason": "spam"}))
    step("the reporter mutes the account", lambda: plat.client.post(f"{page}/follow-up", data={"mode": "mute"}))

    # --- everything delivered conforms to the documented contract, and the walk covered all of it ---------
    feed = plat.feed()
    assert [e["id"] for e in feed] == [e["id"] for e in ledger.delivered]
    assert [p for e in feed for p in events.problems(e)] == []
    assert {e["type"] for e in feed} == {t.value for t in events.EventType}
    resolved = ledger.resolved()
    assert {e["outcome"] for e in resolved} == {c.value for c in events.ResolutionCause}
    assert {r["outcome"] for e in resolved for r in e["reports"]} == DELIVERED_OUTCOMES
    [overturned] = [e for e in resolved if e["outcome"] == "overturned_on_appeal"]
    assert overturned["appeal_id"] == creator_appeal and overturned["decision_id"] == second_decision["id"]
    [anew] = [e for e in resolved if e["appeal_id"] == reporter_appeal]
    assert anew["outcome"] == "violation" and anew["reports"] == [
        {"report_id": carol["id"], "reporter_id": "carol", "outcome": "upheld"}]
