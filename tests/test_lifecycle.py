"""Issue 1/6, the core service: the whole life of a report through the real HTTP app, on both databases.

Each test drives the platform API (service key) and the moderator API (console users) exactly as a
platform and a moderation team would, moving the injected clock instead of waiting.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fairflag.clock import ManualClock
from fairflag.core import Fairflag
from fairflag.worker import run_once
from tests.support import Platform, assert_error

LEASE_S = 900  # policy limits.claim_lease_s
DAY = 86400


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def kinds(events: list[dict[str, Any]], *wanted: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] in wanted]


def audit_kinds(plat: Platform, entity_id: str) -> list[str]:
    page = plat.as_("auditor1", "GET", "/v1/audit", params={"limit": 1000})
    return [e["kind"] for e in page["entries"] if e["entity_id"] == entity_id]


def test_report_lifecycle_to_overturned_creator_appeal(plat: Platform, clock: ManualClock) -> None:
    start = clock.now()
    plat.account("creator1", followers=100)
    plat.subject("v1", views=5000)

    # --- filed: two reports on one subject make one case -----------------------------------------
    alice = plat.report("alice", "v1", "harassment", text="calls me names",
                        evidence_urls=["https://example.com/clip/1"])
    bob = plat.report("bob", "v1", "hate")
    assert alice["case_id"] == bob["case_id"]
    assert alice["outcome"] == bob["outcome"] == "pending"
    assert alice["replayed"] is False and ts(alice["received_at"]) == start
    case_id = alice["case_id"]
    assert plat.outcome_of("alice", alice["id"]) == "pending"

    case = plat.as_("mod1", "GET", f"/v1/cases/{case_id}")
    assert case["status"] == "open" and case["report_count"] == 2 and case["reporter_count"] == 2
    # Two ordinary reporters (credibility 0.25 each) cannot buy hate's severity: it weighs in proportion to the
    # credible evidence behind it (issue 2/6), so the case stays low until credible evidence arrives.
    assert case["severity"] == "low"
    assert set(case["priority_components"]["evidence_by_reason"]) == {"harassment", "hate"}
    assert case["claimed_by"] is None
    assert [c["id"] for c in plat.as_("mod1", "GET", "/v1/queue")] == [case_id]

    # --- claimed ----------------------------------------------------------------------------------
    clock.advance(60)
    claimed = plat.claim("senior1", case_id)
    assert claimed["claimed_by"] == plat.user_id("senior1")
    assert ts(claimed["lease_expires_at"]) == clock.now() + timedelta(seconds=LEASE_S)

    # --- decided: a violation, with the rule and a statement of reasons ---------------------------
    clock.advance(120)
    decided_at = clock.now()
    statement = "The video repeatedly insults a private person by name."
    decision = plat.decide("senior1", case_id, outcome="violation", action="remove", rule="harassment",
                           statement=statement)
    assert decision["outcome"] == "violation" and decision["action"] == "remove" and decision["rule"] == "harassment"
    assert decision["statement"] == statement
    assert ts(decision["decided_at"]) == decided_at
    assert ts(decision["appeal_deadline_at"]) == decided_at + timedelta(days=180)
    assert decision["policy_version"] == plat.core.policy.full_version
    actions = {a["kind"]: a for a in decision["actions"]}
    assert set(actions) == {"remove", "warn"}  # the first strike's rung of the ladder is a warning
    assert actions["remove"]["target_type"] == "subject" and actions["remove"]["target_id"] == "v1"
    assert actions["warn"]["target_type"] == "account" and actions["warn"]["target_id"] == "creator1"
    assert actions["warn"]["via_strike_ladder"] is True and actions["remove"]["via_strike_ladder"] is False
    assert all(a["status"] == "active" and a["automatic"] is False for a in actions.values())

    case = plat.as_("mod1", "GET", f"/v1/cases/{case_id}")
    assert case["status"] == "decided" and case["decision_id"] == decision["id"] and case["claimed_by"] is None
    assert plat.as_("mod1", "GET", "/v1/queue") == []

    # --- the strike on the owner and the creator's notice ----------------------------------------
    notices = plat.notices("creator1")
    assert notices["active_strikes"] == 1
    [strike] = notices["strikes"]
    assert strike["decision_id"] == decision["id"] and strike["active"] is True and strike["removed_at"] is None
    assert ts(strike["expires_at"]) == decided_at + timedelta(days=90)
    [sor] = notices["statements"]
    assert sor["decision_id"] == decision["id"] and sor["subject_id"] == "v1" and sor["surface"] == "video"
    assert sor["restriction"] == "remove" and sor["ground"] == "harassment"
    assert sor["ground_description"] == plat.core.policy.reasons["harassment"].description
    assert sor["facts_and_circumstances"] == statement
    assert ts(sor["appeal_deadline_at"]) == decided_at + timedelta(days=180) and sor["appealable_now"] is True
    assert (decided_at + timedelta(days=180)).date().isoformat() in sor["redress"]
    assert {a["id"]: a["status"] for a in notices["actions"]} == {a["id"]: "active" for a in actions.values()}
    assert notices["appeals"] == []

    # --- the reporters see the outcome ------------------------------------------------------------
    assert plat.outcome_of("alice", alice["id"]) == "upheld"
    assert plat.outcome_of("bob", bob["id"]) == "upheld"
    [seen] = [r for r in plat.reporter_view("alice")["reports"] if r["id"] == alice["id"]]
    assert [d["id"] for d in seen["decisions"]] == [decision["id"]]
    assert seen["decisions"][0]["appealable_now"] is False  # reporters appeal only "no violation"

    # --- the platform's pull feed has the actions to enforce --------------------------------------
    feed = plat.feed()
    applied = kinds(feed, "action.applied")
    assert {e["action_id"] for e in applied} == {a["id"] for a in actions.values()}
    for e in applied:
        assert e["decision_id"] == decision["id"] and e["owner_id"] == "creator1" and e["rule"] == "harassment"
        assert e["status"] == "active"
    assert [e["seq"] for e in feed] == sorted(e["seq"] for e in feed)
    cursor = feed[-1]["seq"]
    assert plat.feed(after=cursor) == []

    # --- the creator appeals ----------------------------------------------------------------------
    clock.advance(3600)
    r = plat.client.post("/v1/creators/creator1/appeals", headers=plat.key,
                         json={"decision_id": decision["id"], "statement": "It was a scripted sketch."})
    assert r.status_code == 201, r.text
    appeal = r.json()
    assert appeal["status"] == "open" and appeal["appellant_role"] == "creator"
    assert appeal["decision_id"] == decision["id"] and appeal["resolved_at"] is None
    assert [a["id"] for a in plat.notices("creator1")["appeals"]] == [appeal["id"]]
    assert plat.notices("creator1")["statements"][0]["appealable_now"] is False  # appealed once already
    queued = plat.as_("senior2", "GET", "/v1/appeals")
    assert [(a["id"], a["decided_by"]) for a in queued] == [(appeal["id"], plat.user_id("senior1"))]

    # --- the deciding moderator cannot resolve it; a plain moderator may not either --------------
    resolution = {"outcome": "overturned", "statement": "Context shows a consensual comedy sketch."}
    r = plat.client.post(f"/v1/appeals/{appeal['id']}/resolution", json=resolution, headers=plat.users["senior1"])
    assert_error(r, 403, "own_decision")
    r = plat.client.post(f"/v1/appeals/{appeal['id']}/resolution", json=resolution, headers=plat.users["mod1"])
    assert_error(r, 403, "role_forbidden")
    assert plat.notices("creator1")["appeals"][0]["status"] == "open"
    assert plat.notices("creator1")["active_strikes"] == 1

    # --- a different senior overturns it ----------------------------------------------------------
    clock.advance(60)
    overturned_at = clock.now()
    resolved = plat.as_("senior2", "POST", f"/v1/appeals/{appeal['id']}/resolution", json=resolution)
    assert resolved["status"] == "overturned" and resolved["resolved_by"] == plat.user_id("senior2")
    assert resolved["decided_by"] == plat.user_id("senior1") and resolved["new_decision_id"] is None
    assert ts(resolved["resolved_at"]) == overturned_at

    notices = plat.notices("creator1")
    assert notices["active_strikes"] == 0
    assert notices["strikes"][0]["active"] is False and ts(notices["strikes"][0]["removed_at"]) == overturned_at
    assert {a["status"] for a in notices["actions"]} == {"reversed"}
    assert {ts(a["ended_at"]) for a in notices["actions"]} == {overturned_at}
    [shown] = notices["appeals"]
    assert shown["status"] == "overturned" and shown["resolution_statement"] == resolution["statement"]

    assert plat.outcome_of("alice", alice["id"]) == "rejected"
    assert plat.outcome_of("bob", bob["id"]) == "rejected"

    reversed_ = kinds(plat.feed(after=cursor), "action.reversed")
    assert {e["action_id"] for e in reversed_} == {a["id"] for a in actions.values()}
    assert all(e["status"] == "reversed" and appeal["id"] in e["reason"] for e in reversed_)
    [told] = [e for e in plat.feed(after=cursor) if e["type"] == "reports.resolved"]
    assert told["outcome"] == "overturned_on_appeal" and {r["outcome"] for r in told["reports"]} == {"rejected"}

    # --- resolving twice is refused; the log tells the whole story --------------------------------
    r = plat.client.post(f"/v1/appeals/{appeal['id']}/resolution", json=resolution, headers=plat.users["senior2"])
    assert_error(r, 409, "appeal_resolved")
    assert audit_kinds(plat, case_id) == [
        "system:case:opened", "moderator:case:claimed", "moderator:case:decided",
    ]
    assert audit_kinds(plat, alice["id"]) == ["platform:report:filed"]
    assert audit_kinds(plat, "creator1")[-2:] == ["system:strike:issued", "system:strike:removed"]
    assert audit_kinds(plat, appeal["id"]) == ["platform:appeal:filed", "senior:appeal:resolved"]
    assert audit_kinds(plat, actions["remove"]["id"]) == ["system:action:applied", "system:action:reversed"]


def test_strike_ladder_time_limited_actions_and_strike_expiry(
    plat: Platform, clock: ManualClock, core: Fairflag
) -> None:
    """Per default_policy.toml: 1 strike warns, 2 restrict the account for 24h, 3 suspend it for 7 days,
    4 ban it. Time-limited actions end by themselves (the worker); strikes stop counting after 90 days."""
    first = clock.now()
    plat.account("creator1")
    ladder = [("warn", None), ("restrict_visibility", DAY), ("suspend", 7 * DAY), ("ban", None)]
    rungs: dict[str, dict[str, Any]] = {}
    for i, (consequence, duration) in enumerate(ladder, start=1):
        plat.subject(f"v{i}")
        case_id = plat.report(f"reporter{i}", f"v{i}", "spam")["case_id"]
        decision = plat.decide_violation("mod1", case_id, statement=f"Spam, {i}.")
        by_kind = {a["kind"]: a for a in decision["actions"]}
        assert set(by_kind) == {"remove", consequence}, decision["actions"]
        rung = by_kind[consequence]
        assert rung["target_type"] == "account" and rung["target_id"] == "creator1"
        assert rung["via_strike_ladder"] is True and rung["status"] == "active"
        if duration is None:
            assert rung["ends_at"] is None
        else:
            assert ts(rung["ends_at"]) - ts(rung["starts_at"]) == timedelta(seconds=duration)
        rungs[consequence] = rung
        assert plat.notices("creator1")["active_strikes"] == i
        clock.advance(3600)
    cursor = plat.feed()[-1]["seq"]

    def status() -> dict[str, str]:
        return {a["id"]: a["status"] for a in plat.notices("creator1")["actions"]}

    # --- the 24h restriction ends by itself: not a second early, and exactly once -------------------------
    restriction_ends = ts(rungs["restrict_visibility"]["ends_at"])
    assert run_once(core)["expired"] == 0
    clock.set(restriction_ends - timedelta(seconds=1))
    assert run_once(core)["expired"] == 0
    assert status()[rungs["restrict_visibility"]["id"]] == "active"
    clock.set(restriction_ends + timedelta(minutes=5))
    assert run_once(core)["expired"] == 1
    [ended] = [a for a in plat.notices("creator1")["actions"] if a["id"] == rungs["restrict_visibility"]["id"]]
    assert ended["status"] == "expired" and ts(ended["ended_at"]) == restriction_ends  # when it ended, not when seen
    [event] = plat.feed(after=cursor)
    assert event["type"] == "action.expired" and event["action_id"] == ended["id"] and event["status"] == "expired"
    assert event["kind"] == "restrict_visibility" and event["owner_id"] == "creator1"
    assert run_once(core)["expired"] == 0
    assert plat.feed(after=cursor) == [event]
    plat.relogin("auditor1")
    assert audit_kinds(plat, ended["id"]) == ["system:action:applied", "system:action:expired"]

    # --- so does the 7-day suspension; the ban and the warning do not -------------------------------------
    clock.set(first + timedelta(days=8))
    assert run_once(core)["expired"] == 1
    assert [e["action_id"] for e in kinds(plat.feed(after=cursor), "action.expired")] == [
        rungs["restrict_visibility"]["id"], rungs["suspend"]["id"]]
    now = status()
    assert now[rungs["suspend"]["id"]] == "expired"
    assert now[rungs["ban"]["id"]] == "active" and now[rungs["warn"]["id"]] == "active"

    # --- 90 days after the first strike it no longer counts; the other three still do ---------------------
    clock.set(first + timedelta(days=90))
    notices = plat.notices("creator1")
    assert notices["active_strikes"] == 3
    assert [s["active"] for s in notices["strikes"]] == [False, True, True, True]

    # Once all four have expired, a new violation is a first strike again: a warning, not a ban.
    clock.set(first + timedelta(days=90, hours=4))
    assert plat.notices("creator1")["active_strikes"] == 0
    plat.relogin("mod1", "mod2")
    plat.subject("v5")
    case_id = plat.report("reporter5", "v5", "spam")["case_id"]
    decision = plat.decide_violation("mod1", case_id)
    assert sorted(a["kind"] for a in decision["actions"]) == ["remove", "warn"]
    assert plat.notices("creator1")["active_strikes"] == 1


def test_reporter_appeal_of_no_violation_overturned_with_new_action(plat: Platform, clock: ManualClock) -> None:
    plat.account("creator1")
    plat.subject("v1")
    report = plat.report("alice", "v1", "violence", text="shows a real assault")
    case_id = report["case_id"]
    plat.claim("mod1", case_id)
    first = plat.decide("mod1", case_id, outcome="no_violation", statement="Looks like a staged stunt.")
    assert first["actions"] == [] and first["action"] is None
    assert plat.outcome_of("alice", report["id"]) == "rejected"
    [seen] = plat.reporter_view("alice")["reports"]
    assert seen["decisions"][0]["id"] == first["id"] and seen["decisions"][0]["appealable_now"] is True
    assert plat.notices("creator1")["statements"] == []  # nothing was done to the creator
    r = plat.client.post("/v1/creators/creator1/appeals", headers=plat.key,
                         json={"decision_id": first["id"], "statement": "nothing to appeal"})
    assert_error(r, 422, "not_appealable", "decision_id")

    clock.advance(6 * 3600)
    r = plat.client.post("/v1/reporters/alice/appeals", headers=plat.key,
                         json={"decision_id": first["id"], "statement": "The news covered this assault."})
    assert r.status_code == 201, r.text
    appeal = r.json()
    assert appeal["appellant_role"] == "reporter" and appeal["status"] == "open"
    assert [a["id"] for a in plat.reporter_view("alice")["appeals"]] == [appeal["id"]]
    assert plat.notices("creator1")["appeals"] == []  # the creator never sees a reporter's appeal

    clock.advance(600)
    resolution = {"outcome": "overturned", "statement": "Verified footage of a real assault.",
                  "action": "remove", "rule": "violence"}
    resolved = plat.as_("senior1", "POST", f"/v1/appeals/{appeal['id']}/resolution", json=resolution)
    assert resolved["status"] == "overturned" and resolved["new_decision_id"]
    new_id = resolved["new_decision_id"]

    assert plat.outcome_of("alice", report["id"]) == "upheld"
    [seen] = plat.reporter_view("alice")["reports"]
    assert [d["id"] for d in seen["decisions"]] == [first["id"], new_id]
    assert seen["decisions"][1]["outcome"] == "violation" and seen["decisions"][1]["action"] == "remove"
    assert plat.reporter_view("alice")["appeals"][0]["status"] == "overturned"

    notices = plat.notices("creator1")
    [sor] = notices["statements"]
    assert sor["decision_id"] == new_id and sor["facts_and_circumstances"] == resolution["statement"]
    assert sor["ground"] == "violence" and sor["appealable_now"] is True
    assert notices["active_strikes"] == 1
    assert sorted(a["kind"] for a in notices["actions"]) == ["remove", "warn"]
    applied = kinds(plat.feed(), "action.applied")
    assert {e["decision_id"] for e in applied} == {new_id}

    # The senior's new decision can itself be appealed by the creator, and not resolved by that senior.
    r = plat.client.post("/v1/creators/creator1/appeals", headers=plat.key,
                         json={"decision_id": new_id, "statement": "It is a film scene."})
    assert r.status_code == 201, r.text
    r = plat.client.post(f"/v1/appeals/{r.json()['id']}/resolution", headers=plat.users["senior1"],
                         json={"outcome": "upheld", "statement": "Stands."})
    assert_error(r, 403, "own_decision")


def test_withdrawals_and_one_open_case_per_subject(plat: Platform, clock: ManualClock) -> None:
    plat.account("creator1")
    plat.subject("v1")
    mine = plat.report("alice", "v1", "spam")
    theirs = plat.report("bob", "v1", "spam")
    carol = plat.report("carol", "v1", "spam")
    case_id = mine["case_id"]
    assert theirs["case_id"] == carol["case_id"] == case_id  # one open case per subject
    before = plat.as_("mod1", "GET", f"/v1/cases/{case_id}")
    assert before["reporter_count"] == 3 and before["priority_components"]["individual_reporters"] == 3

    # --- a withdrawal is a new event; the report stays and stops counting --------------------------
    clock.advance(30)
    r = plat.client.post(f"/v1/reports/{mine['id']}/withdrawals", headers=plat.key,
                         json={"reporter_id": "alice", "note": "I misread the video."})
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert receipt["id"] == mine["id"] and receipt["outcome"] == "withdrawn"
    assert ts(receipt["withdrawn_at"]) == clock.now()
    after = plat.as_("mod1", "GET", f"/v1/cases/{case_id}")
    assert after["reporter_count"] == 2 and after["priority_components"]["individual_reporters"] == 2
    assert after["priority"] < before["priority"]
    assert after["report_count"] == 3  # kept as evidence
    kept = {r["id"]: r for r in after["reports"]}
    assert kept[mine["id"]]["outcome"] == "withdrawn" and kept[mine["id"]]["withdrawn_at"] is not None
    assert audit_kinds(plat, mine["id"]) == ["platform:report:filed", "platform:report:withdrawn"]

    r = plat.client.post(f"/v1/reports/{mine['id']}/withdrawals", headers=plat.key, json={"reporter_id": "alice"})
    assert_error(r, 409, "already_withdrawn", "report_id")
    r = plat.client.post(f"/v1/reports/{theirs['id']}/withdrawals", headers=plat.key, json={"reporter_id": "alice"})
    assert_error(r, 404, "report_not_found", "report_id")  # someone else's report looks like a missing one
    r = plat.client.post("/v1/reports/rep_missing/withdrawals", headers=plat.key, json={"reporter_id": "alice"})
    assert_error(r, 404, "report_not_found", "report_id")
    assert plat.outcome_of("bob", theirs["id"]) == "pending"

    # Carol withdraws too: only bob's report still counts.
    plat.client.post(f"/v1/reports/{carol['id']}/withdrawals", headers=plat.key, json={"reporter_id": "carol"})
    one = plat.as_("mod1", "GET", f"/v1/cases/{case_id}")
    assert one["priority_components"]["individual_reporters"] == 1

    # --- the decision gives outcomes to the reports still standing --------------------------------
    plat.decide_violation("mod1", case_id)
    assert plat.outcome_of("alice", mine["id"]) == "withdrawn"
    assert plat.outcome_of("carol", carol["id"]) == "withdrawn"
    assert plat.outcome_of("bob", theirs["id"]) == "upheld"
    # A withdrawal after the decision is recorded; the outcome stays.
    r = plat.client.post(f"/v1/reports/{theirs['id']}/withdrawals", headers=plat.key, json={"reporter_id": "bob"})
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "upheld" and r.json()["withdrawn_at"] is not None

    # --- after the decision, a new report opens a new case ----------------------------------------
    clock.advance(60)
    late = plat.report("dave", "v1", "spam")
    assert late["case_id"] != case_id
    again = plat.report("erin", "v1", "spam")
    assert again["case_id"] == late["case_id"]
    assert plat.as_("mod1", "GET", f"/v1/cases/{case_id}")["status"] == "decided"
    assert [c["id"] for c in plat.as_("mod1", "GET", "/v1/queue")] == [late["case_id"]]
    assert plat.as_("mod1", "GET", f"/v1/cases/{late['case_id']}")["report_count"] == 2


def test_claims_leases_queue_order_and_claim_next(plat: Platform, clock: ManualClock) -> None:
    # --- claim leases -------------------------------------------------------------------------------------
    plat.account("creator1")
    plat.subject("v1")
    case_id = plat.report("alice", "v1", "spam")["case_id"]
    mod1, mod2 = plat.user_id("mod1"), plat.user_id("mod2")

    plat.claim("mod1", case_id)
    r = plat.client.post(f"/v1/cases/{case_id}/claim", headers=plat.users["mod2"])
    assert_error(r, 409, "case_held_by_other", "case_id")
    r = plat.client.post(f"/v1/cases/{case_id}/decision", headers=plat.users["mod2"],
                         json={"outcome": "no_violation", "statement": "fine"})
    assert_error(r, 403, "case_not_claimed", "case_id")

    # The holder may renew; the lease runs from the renewal.
    clock.advance(600)
    renewed = plat.claim("mod1", case_id)
    assert renewed["claimed_by"] == mod1
    assert ts(renewed["lease_expires_at"]) == clock.now() + timedelta(seconds=LEASE_S)
    clock.advance(LEASE_S - 1)
    r = plat.client.post(f"/v1/cases/{case_id}/claim", headers=plat.users["mod2"])
    assert_error(r, 409, "case_held_by_other")

    # After the lease, the case is back in the queue and anyone may claim it.
    clock.advance(1)
    [listed] = plat.as_("mod2", "GET", "/v1/queue")
    assert listed["claimed_by"] is None and listed["lease_expires_at"] is None
    assert plat.claim("mod2", case_id)["claimed_by"] == mod2
    r = plat.client.post(f"/v1/cases/{case_id}/decision", headers=plat.users["mod1"],
                         json={"outcome": "no_violation", "statement": "fine"})
    assert_error(r, 403, "case_not_claimed", "case_id")

    # Deciding after one's own lease has run out is refused; claiming again makes it possible.
    clock.advance(LEASE_S)
    r = plat.client.post(f"/v1/cases/{case_id}/decision", headers=plat.users["mod2"],
                         json={"outcome": "no_violation", "statement": "fine"})
    assert_error(r, 409, "lease_expired", "case_id")
    assert plat.as_("mod1", "GET", f"/v1/cases/{case_id}")["status"] == "open"
    plat.claim("mod2", case_id)
    decided = plat.decide("mod2", case_id, outcome="no_violation", statement="fine")
    assert decided["outcome"] == "no_violation"

    # Releasing: only the holder, and the case goes back to the queue at once.
    plat.subject("v2")
    other = plat.report("bob", "v2", "spam")["case_id"]
    plat.claim("mod1", other)
    r = plat.client.post(f"/v1/cases/{other}/release", headers=plat.users["mod2"])
    assert_error(r, 403, "case_not_claimed")
    released = plat.as_("mod1", "POST", f"/v1/cases/{other}/release")
    assert released["claimed_by"] is None
    assert plat.claim("mod2", other)["claimed_by"] == mod2
    assert audit_kinds(plat, other) == ["system:case:opened", "moderator:case:claimed", "moderator:case:released",
                                        "moderator:case:claimed"]
    plat.decide("mod2", other, outcome="no_violation", statement="fine")

    # --- queue order and claim-next -----------------------------------------------------------------------
    assert plat.as_("mod1", "GET", "/v1/queue") == []
    plat.account("streamer")
    for i in range(3):
        plat.subject(f"spam{i}", views=1000)
        for j in range(i + 2):
            plat.report(f"spam{i}-reporter{j}", f"spam{i}", "spam")
        clock.advance(10)
    plat.subject("live1", surface="livestream", owner_id="streamer", is_live=True, views=1000)
    live_case = plat.report("witness", "live1", "violence")["case_id"]

    queue = plat.as_("mod1", "GET", "/v1/queue")
    assert len(queue) == 4
    # One report of violence on a livestream outranks several spam reports on videos (its severity is "medium":
    # one ordinary reporter backs "violence" with 0.25 of the 0.8 credible evidence full severity needs).
    assert queue[0]["id"] == live_case and queue[0]["surface"] == "livestream" and queue[0]["severity"] == "medium"
    assert {c["subject_id"] for c in queue[1:]} == {"spam0", "spam1", "spam2"}
    priorities = [c["priority"] for c in queue]
    assert priorities == sorted(priorities, reverse=True) and priorities[0] > priorities[1]
    # The deadline follows the credible severity: 30 minutes for a medium livestream case (5 once credible
    # evidence makes it critical), still the soonest in the queue.
    deadline_s = plat.core.policy.review_deadline_s("livestream", "medium")
    assert ts(queue[0]["deadline_at"]) == ts(queue[0]["opened_at"]) + timedelta(seconds=deadline_s)
    assert ts(queue[0]["deadline_at"]) < ts(queue[1]["deadline_at"])

    # claim-next hands out the cases in queue order, never the same one twice.
    first = plat.as_("mod1", "POST", "/v1/queue/claim-next")
    assert first["id"] == live_case and first["claimed_by"] == plat.user_id("mod1")
    second = plat.as_("mod2", "POST", "/v1/queue/claim-next")
    assert second["id"] == queue[1]["id"]
    r = plat.client.post("/v1/queue/claim-next", params={"surface": "livestream"}, headers=plat.users["senior1"])
    assert_error(r, 409, "queue_empty")
    third = plat.as_("senior1", "POST", "/v1/queue/claim-next", params={"surface": "video"})
    assert third["id"] == queue[2]["id"]
    fourth = plat.as_("senior2", "POST", "/v1/queue/claim-next")
    assert fourth["id"] == queue[3]["id"]
    r = plat.client.post("/v1/queue/claim-next", headers=plat.users["mod1"])
    assert_error(r, 409, "queue_empty")
    assert [c["claimed_by"] for c in plat.as_("mod1", "GET", "/v1/queue")] == [
        plat.user_id(u) for u in ("mod1", "mod2", "senior1", "senior2")
    ]

    # A lapsed lease puts its case back at its place in the order.
    clock.advance(LEASE_S)
    again = plat.as_("mod2", "POST", "/v1/queue/claim-next")
    assert again["id"] == live_case and again["claimed_by"] == plat.user_id("mod2")
