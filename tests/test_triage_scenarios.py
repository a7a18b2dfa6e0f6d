"""Issue 2/6 scenarios through the real service (HTTP app, real database, both back ends)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from fairflag.clock import ManualClock
from fairflag.domain.enums import ActorType
from fairflag.services import platform
from fairflag.services.context import Actor
from fairflag.store.tables import EnforcementAction, ReporterStats
from tests.support import Platform

PLATFORM = Actor(ActorType.platform, "scenario")


def accounts(plat: Platform, ids: list[str], age_days: float, clock: ManualClock) -> None:
    created = clock.now() - timedelta(days=age_days)
    for account_id in ids:
        plat.core.run(PLATFORM, platform.upsert_account, platform.AccountIn(id=account_id, created_at=created))


def automatic_actions(plat: Platform, subject_id: str, status: str | None = "active") -> list[EnforcementAction]:
    with plat.core.db.reader() as s:
        stmt = select(EnforcementAction).where(EnforcementAction.automatic.is_(True),
                                               EnforcementAction.target_id == subject_id)
        if status:
            stmt = stmt.where(EnforcementAction.status == status)
        return list(s.scalars(stmt))


def campaigns(plat: Platform) -> list[dict[str, Any]]:
    return plat.as_("senior1", "GET", "/v1/campaigns")


def swarm(plat: Platform, clock: ManualClock, *, n: int, fingerprints: int | None, age_days: float,
          target: str, reason: str = "violence") -> None:
    ids = [f"bot{i:04d}" for i in range(n)]
    accounts(plat, ids, age_days, clock)
    for i, reporter in enumerate(ids):
        clock.advance(600 / n)  # everyone within ten minutes
        fp = f"net{i % fingerprints}" if fingerprints else f"uniq-net-{i}"
        dev = f"dev{i % fingerprints}" if fingerprints else f"uniq-dev-{i}"
        plat.report(reporter, target, reason, fp_net=fp, fp_dev=dev, text=f"report number {i} please remove")


def small_creator(plat: Platform, views: int = 2000) -> None:
    plat.account("smallcreator", created_at="2024-01-01T00:00:00Z", followers=300)
    plat.subject("small-video", "video", "smallcreator", views=views)


def test_fresh_swarm_with_shared_fingerprints_restricts_nothing_and_is_detected(plat: Platform,
                                                                                clock: ManualClock) -> None:
    small_creator(plat)
    swarm(plat, clock, n=500, fingerprints=5, age_days=2, target="small-video")
    assert automatic_actions(plat, "small-video", status=None) == []
    found = campaigns(plat)
    assert found and "small-video" in found[0]["targets"] and found[0]["reporter_count"] >= 475
    detail = plat.as_("mod1", "GET", f"/v1/cases/{plat.as_('mod1', 'GET', '/v1/queue')[0]['id']}")
    assert [c["id"] for c in detail["campaigns"]] == [found[0]["id"]]
    case = plat.as_("mod1", "GET", "/v1/queue")[0]
    assert case["subject_id"] == "small-video"
    comp = case["priority_components"]
    assert comp["evidence"] <= plat.core.policy.triage.group_cap + 1.0  # a few early reports, then bounded
    assert comp["auto_restriction"]["restrict"] is False


def test_aged_swarm_with_unique_fingerprints_still_restricts_nothing(plat: Platform, clock: ManualClock) -> None:
    small_creator(plat)
    swarm(plat, clock, n=500, fingerprints=None, age_days=400, target="small-video")
    assert automatic_actions(plat, "small-video", status=None) == []
    assert campaigns(plat), "the burst against exposure should be detected"


def build_credible(plat: Platform, clock: ManualClock, reporter: str, upheld: int = 4) -> None:
    """A reporter with their own record of upheld reports on distinct violating videos."""
    for k in range(upheld):
        subject = f"past-{reporter}-{k}"
        plat.subject(subject, "video", f"badcreator-{reporter}-{k}", views=5000)
        case_id = plat.report(reporter, subject, "violence", fp_dev=f"dev-{reporter}")["case_id"]
        plat.claim("mod1", case_id)
        plat.decide("mod1", case_id, outcome="violation", action="remove", rule="violence", statement="Graphic.")
        clock.advance(300)


def test_credible_reporters_restrict_a_violent_livestream_in_the_same_request(plat: Platform,
                                                                               clock: ManualClock) -> None:
    reporters = [f"watcher{i}" for i in range(5)]
    accounts(plat, reporters, 800, clock)
    for r in reporters:
        build_credible(plat, clock, r)
    # Records earned before today: within auto_restriction.live_spread_window_s each reporter's credibility counts
    # divided by the subjects it reported (one stream at a time, test_live_and_independence.py).
    clock.advance(plat.core.policy.auto_restriction.live_spread_window_s)
    plat.relogin("mod1", "mod2")
    plat.account("streamer", created_at="2023-01-01T00:00:00Z", followers=5000)
    plat.subject("live-1", "livestream", "streamer", views=800, is_live=True)
    for i, r in enumerate(reporters[:4]):
        clock.advance(20)
        plat.report(r, "live-1", "violence", fp_dev=f"dev-{r}", fp_net=f"net-{i}", text=f"weapon {i}")
        # One credible reporter is not enough; a second, independent of the first in network, device and
        # group, restricts the live stream pending review (auto_restriction.live_*), once.
        assert len(automatic_actions(plat, "live-1")) == (0 if i < 1 else 1)
    clock.advance(20)
    plat.report(reporters[4], "live-1", "violence", fp_dev="dev-watcher4", fp_net="net-4", text="he has a gun")
    restricted = automatic_actions(plat, "live-1")
    assert len(restricted) == 1 and restricted[0].kind == "restrict_visibility" and restricted[0].ends_at is None
    feed = plat.client.get("/v1/events?after=0&limit=1000", headers=plat.key).json()["events"]
    applied = [e for e in feed if e["type"] == "action.applied" and e["target"]["id"] == "live-1"]
    assert applied and applied[-1]["automatic"] is True and applied[-1]["pending_review"] is True
    top = plat.as_("mod1", "GET", "/v1/queue")[0]
    assert top["subject_id"] == "live-1" and top["severity"] == "critical"
    # The creator sees an Art. 17 statement for the automatic restriction, without anything about reporters.
    notices = plat.client.get("/v1/creators/streamer/notices", headers=plat.key).json()
    auto = [s for s in notices["statements"] if s["decision_id"] is None]
    assert auto and auto[0]["automated_decision"] is True and "watcher" not in str(notices)
    # Review lifts the pending restriction.
    plat.claim("mod2", top["id"])
    plat.decide("mod2", top["id"], outcome="no_violation", statement="A prop in a film scene.")
    assert automatic_actions(plat, "live-1") == []
    assert automatic_actions(plat, "live-1", status="lifted")


def test_community_reporting_a_real_scam_reaches_the_top_unpenalised(plat: Platform, clock: ManualClock) -> None:
    # Background: ordinary cases from independent reporters.
    accounts(plat, [f"user{i}" for i in range(30)], 500, clock)
    for i in range(30):
        plat.subject(f"bg-{i}", "video", f"creator-bg-{i}", views=20_000)
        plat.report(f"user{i}", f"bg-{i}", ["spam", "harassment", "copyright"][i % 3], fp_dev=f"d{i}")
        clock.advance(30)
    plat.account("scammer", created_at="2026-05-20T00:00:00Z", followers=50)
    plat.subject("scammer", "account", "scammer", views=4000)
    members = [f"member{i:03d}" for i in range(200)]
    accounts(plat, members, 700, clock)
    for i, m in enumerate(members):
        clock.advance(18)  # 200 reports in an hour
        plat.report(m, "scammer", "scam_fraud", fp_dev=f"mdev{i}", fp_net=f"mnet{i % 40}",
                    text="This account takes money for giveaways and never pays; it scammed our group")
    top = plat.as_("mod1", "GET", "/v1/queue")[0]
    assert top["subject_id"] == "scammer"
    with plat.core.db.reader() as s:
        penalised = s.scalar(select(func.count()).select_from(ReporterStats)
                             .where(ReporterStats.reporter_id.in_(members)))
    assert penalised == 0  # nothing about them changed: coordination alone costs nothing
    view = plat.client.get("/v1/reporters/member007/reports", headers=plat.key).json()
    assert view["misuse"]["warned_at"] is None and view["reports"][0]["processed"] is True


def test_queue_flood_does_not_bury_a_credible_livestream_report(plat: Platform, clock: ManualClock) -> None:
    bots = [f"flood{i:03d}" for i in range(60)]
    accounts(plat, bots, 3, clock)
    for k in range(300):
        plat.subject(f"innocent-{k}", "video", f"innocent-creator-{k % 50}", views=1000)
    for k in range(300):
        for j in range(3):
            clock.advance(0.5)
            bot = (k * 3 + j) % 60
            plat.report(bots[bot], f"innocent-{k}", "hate", fp_net=f"fnet{k % 7}", fp_dev=f"farm-phone-{bot % 4}")
    plat.account("flagger", created_at="2020-01-01T00:00:00Z", trusted_flagger=True)
    plat.subject("live-bad", "livestream", "someone", views=300, is_live=True)
    plat.report("flagger", "live-bad", "self_harm", source="trusted_flagger", text="live self-harm")
    queue = plat.as_("mod1", "GET", "/v1/queue?limit=5")
    assert queue[0]["subject_id"] == "live-bad"
    deadline = datetime.fromisoformat(queue[0]["deadline_at"].replace("Z", "+00:00"))
    assert deadline <= clock.now() + timedelta(minutes=5)
    # A senior confirms the campaign and closes all of its open cases in one decision.
    found = campaigns(plat)
    assert found
    camp = max(found, key=lambda c: c["target_count"])
    plat.as_("senior1", "POST", f"/v1/campaigns/{camp['id']}/confirm", json={"note": "Same bots, same words."})
    closed = plat.as_("senior1", "POST", f"/v1/campaigns/{camp['id']}/dismiss-cases",
                      json={"statement": "No violation: these reports came from a coordinated campaign."})
    assert len(closed["decided_cases"]) >= 250
    remaining = plat.as_("mod1", "GET", "/v1/queue?limit=500")
    assert "live-bad" in [c["subject_id"] for c in remaining]
    assert all(not c["subject_id"].startswith("innocent-") or c["subject_id"] not in camp["targets"]
               for c in remaining)


def test_confirmed_campaign_marks_reports_abusive_and_warns_members(plat: Platform, clock: ManualClock) -> None:
    small_creator(plat)
    swarm(plat, clock, n=40, fingerprints=2, age_days=1, target="small-video")
    for k in range(3):  # the same bots hit three more videos of the creator
        plat.subject(f"small-video-{k}", "video", "smallcreator", views=1500)
        for i in range(40):
            clock.advance(2)
            plat.report(f"bot{i:04d}", f"small-video-{k}", "violence", fp_net=f"net{i % 2}", fp_dev=f"dev{i % 2}")
    camp = campaigns(plat)[0]
    plat.as_("senior1", "POST", f"/v1/campaigns/{camp['id']}/confirm", json={"note": "Bot farm."})
    view = plat.client.get("/v1/reporters/bot0001/reports", headers=plat.key).json()
    assert {r["outcome"] for r in view["reports"]} == {"abusive"}
    assert view["misuse"]["warned_at"] is not None  # 4 manifestly unfounded reports > warn_after (3)
    # Members' accounts now have report_abuse cases for a person to review.
    queue = plat.as_("mod1", "GET", "/v1/queue?limit=500")
    assert any(c["subject_id"] == "bot0001" for c in queue)


def test_misuse_warning_then_suspension_keeps_reports_unprocessed(plat: Platform, clock: ManualClock) -> None:
    plat.account("troll", created_at="2025-01-01T00:00:00Z")
    for k in range(6):
        plat.subject(f"fine-{k}", "video", f"maker-{k}", views=10_000)
        rep = plat.report("troll", f"fine-{k}", "hate", text="these people are everywhere")
        plat.claim("mod1", rep["case_id"])
        plat.decide("mod1", rep["case_id"], outcome="no_violation", statement="Nothing hateful here.",
                    report_outcomes={rep["id"]: "abusive"})
        clock.advance(600)
    view = plat.client.get("/v1/reporters/troll/reports", headers=plat.key).json()
    assert view["misuse"]["warned_at"] and view["misuse"]["processing_suspended"] is True
    assert "manifestly unfounded" in view["misuse"]["suspension_reason"]
    plat.subject("fine-x", "video", "maker-x", views=10_000)
    stored = plat.report("troll", "fine-x", "hate")
    assert stored["processed"] is False  # kept as evidence, not counted
    case = plat.as_("mod1", "GET", f"/v1/cases/{stored['case_id']}")
    assert case["priority_components"]["unprocessed_reports"] == 1 and case["reporter_count"] == 0
    # An honest reporter who is merely wrong is never warned.
    plat.account("honest", created_at="2025-01-01T00:00:00Z")
    for k in range(10):
        plat.subject(f"meh-{k}", "video", f"maker2-{k}", views=10_000)
        rep = plat.report("honest", f"meh-{k}", "spam")
        plat.claim("mod1", rep["case_id"])
        plat.decide("mod1", rep["case_id"], outcome="no_violation", statement="Not spam.")
    honest = plat.client.get("/v1/reporters/honest/reports", headers=plat.key).json()
    assert honest["misuse"]["warned_at"] is None and honest["misuse"]["processing_suspended"] is False


def test_duplicate_reports_change_nothing(plat: Platform, clock: ManualClock) -> None:
    plat.subject("v-dup", "video", "c-dup", views=1000)
    first = plat.report("dupper", "v-dup", "harassment")
    before = plat.as_("mod1", "GET", f"/v1/cases/{first['case_id']}")
    for _ in range(5):
        clock.advance(5)
        plat.report("dupper", "v-dup", "violence")
    after = plat.as_("mod1", "GET", f"/v1/cases/{first['case_id']}")
    assert after["priority"] == before["priority"] and after["reporter_count"] == 1


def test_a_withdrawn_classifier_report_stops_counting(plat: Platform, clock: ManualClock) -> None:
    plat.subject("v-clf", "video", "c-clf", views=1000)
    classifier = {"name": "nudity", "version": "3.1", "score": 0.9}
    rep = plat.report("platform-classifier", "v-clf", "sexual_content", source="automated", classifier=classifier)
    with_clf = plat.as_("mod1", "GET", f"/v1/cases/{rep['case_id']}")["priority_components"]
    assert [g["group"] for g in with_clf["coordinated_groups"]] == ["classifier:nudity@3.1"]
    assert with_clf["evidence"] > 0
    r = plat.client.post(f"/v1/reports/{rep['id']}/withdrawals", json={"reporter_id": "platform-classifier"},
                         headers=plat.key)
    assert r.status_code == 200, r.text
    after = plat.as_("mod1", "GET", f"/v1/cases/{rep['case_id']}")["priority_components"]
    assert after["coordinated_groups"] == [] and after["evidence"] == 0


def test_an_owner_under_a_surge_is_never_restricted_automatically(plat: Platform, clock: ManualClock) -> None:
    """Three reporters with earned records, each on their own network and device, strike one creator while
    five others report two more of the creator's videos within the hour: the shape of an attack on a person
    (a reputation ring). Automatic restriction is withheld and a reviewer decides; the same three sources on
    another creator's video restrict it pending review. (Tested with ``user_reports_alone`` on: by default
    credible user reports alone restrict nothing, which would hide what this rule does.)"""
    plat.core.policy = plat.core.policy.model_copy(update={
        "auto_restriction": plat.core.policy.auto_restriction.model_copy(update={"user_reports_alone": True})})
    ring = [f"ring{i}" for i in range(3)]
    accounts(plat, ring, 800, clock)
    for r in ring:
        build_credible(plat, clock, r)
    others = [f"other{i}" for i in range(5)]
    accounts(plat, others, 800, clock)
    plat.account("target", created_at="2023-01-01T00:00:00Z", followers=5000)
    plat.account("elsewhere", created_at="2023-01-01T00:00:00Z", followers=5000)
    for v in ("t1", "t2", "t3"):
        plat.subject(v, "video", "target", views=5000)
    plat.subject("e1", "video", "elsewhere", views=5000)
    for i, r in enumerate(others):
        clock.advance(30)
        plat.report(r, "t2" if i % 2 else "t3", "violence", fp_net=f"onet{i}", fp_dev=f"odev{i}")
    for i, r in enumerate(ring):
        clock.advance(30)
        case_id = plat.report(r, "t1", "violence", fp_net=f"rnet{i}", fp_dev=f"dev-{r}")["case_id"]
    assert automatic_actions(plat, "t1", status=None) == []
    verdict = plat.as_("mod1", "GET", f"/v1/cases/{case_id}")["priority_components"]["auto_restriction"]
    assert verdict["restrict"] is False and "withheld" in verdict["reason"]
    for i, r in enumerate(ring):
        clock.advance(30)
        plat.report(r, "e1", "violence", fp_net=f"rnet{i}", fp_dev=f"dev-{r}")
    assert len(automatic_actions(plat, "e1")) == 1
