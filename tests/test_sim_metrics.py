"""Each metric on a tiny event stream whose outcome is worked out by hand, then the pure functions on
edge cases. The stream (count engine at threshold 2, one reviewer decision per hour, no reviewer errors):

    t=0      accounts cr1 (creator), u1, u2, u3; subjects
             v1  video, innocent, attacked        v2  video, violating (hate)
             l1  livestream, violating (violence), live until 7200
             v3  video, innocent                  v4  video, violating scam (cohort legit_scam)
    t=100    u1 -> v1 (abusive)
    t=200    u2 -> v1 (abusive)       v1 reaches 2 reporters: restricted automatically at 200
    t=300    u3 -> v2
    t=400    u1 -> l1
    t=500    u3 -> v3
    t=600    u2 -> v4
    t=650    u3 -> v4                 v4 restricted automatically at 650

The first report is at 100, so reviews happen at 3700, 7300, ... and take the most reported case first (ties:
oldest). 3700: v1 (2 reporters, opened 100) -> no violation, restriction overturned. 7200: l1's live ends;
7300: v4 (2 reporters) -> violation. 10900: v2 -> violation. 14500: l1 -> violation (no longer live, so
``remove``). 18100: v3 -> no violation. Horizon 20000.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fairflag.policy import load_policy
from fairflag.sim import metrics
from fairflag.sim.baselines import CountEngine, EngineResults, accuracy_bonus
from fairflag.sim.events import parse_generated
from fairflag.sim.replay import FairflagEngine
from fairflag.sim.runner import Runner

POLICY = load_policy()


def tiny_stream() -> list[dict[str, Any]]:
    header = {"format": "fairflag-events/1", "name": "tiny", "start": "2026-06-01T00:00:00Z", "horizon_s": 20000,
              "moderators": {"per_hour": 1, "error_false_negative": 0, "error_false_positive": 0,
                             "abusive_recognition": 1.0}}

    def account(name: str) -> dict[str, Any]:
        return {"type": "account", "t": 0, "id": name, "created_at": -400 * 86400, "verified": False,
                "trusted_flagger": False, "followers": 5}

    def subject(name: str, kind: str = "video", violating: bool = False, reason: str | None = None,
                attacked: bool = False, live_until: float | None = None, cohort: str | None = None) -> dict[str, Any]:
        truth = {"violating": violating, "reason": reason, "attacked": attacked, "cohort": cohort}
        return {"type": "subject", "t": 0, "id": name, "kind": kind, "owner": "cr1", "created_at": 0, "views": 1000,
                "live_until": live_until, "truth": truth}

    def report(t: float, who: str, what: str, reason: str, abusive: bool = False) -> dict[str, Any]:
        return {"type": "report", "t": t, "reporter": who, "subject": what, "reason": reason, "text": None,
                "fp_net": None, "fp_dev": None, "truth": {"abusive": abusive}}

    return [
        header, account("cr1"), account("u1"), account("u2"), account("u3"),
        subject("v1", attacked=True), subject("v2", violating=True, reason="hate"),
        subject("l1", kind="livestream", violating=True, reason="violence", live_until=7200),
        subject("v3"), subject("v4", violating=True, reason="scam_fraud", cohort="legit_scam"),
        report(100, "u1", "v1", "hate", abusive=True), report(200, "u2", "v1", "hate", abusive=True),
        report(300, "u3", "v2", "hate"), report(400, "u1", "l1", "violence"), report(500, "u3", "v3", "spam"),
        report(600, "u2", "v4", "scam_fraud"), report(650, "u3", "v4", "scam_fraud"),
    ]


class Detecting(CountEngine):
    """The count engine plus a stand-in campaign detector and misuse handling with fixed answers."""

    def results(self) -> EngineResults:
        out = super().results()
        out.flagged = {"u1", "u3"}
        out.misuse = {"u3": "warned", "u2": "suspended"}
        return out


def run_tiny(engine_class: type[CountEngine] = CountEngine) -> Any:
    stream = parse_generated(tiny_stream(), POLICY, "tiny")
    return Runner(stream, engine_class(stream, threshold=2), seed=1).run()


def test_subject_outcomes_by_hand() -> None:
    out = run_tiny()
    s = {x["subject"]: x for x in out.subjects}
    assert (s["v1"]["first_report_t"], s["v1"]["first_restricted_t"], s["v1"]["restricted_by"]) == (100, 200, "auto")
    assert s["v1"]["restricted_s"] == 3500 and s["v1"]["final"] == "cleared" and s["v1"]["overturned"] == 1
    assert (s["v4"]["first_restricted_t"], s["v4"]["restricted_s"], s["v4"]["final"]) == (650, 20000 - 650, "actioned")
    assert s["v4"]["overturned"] == 0
    assert (s["v2"]["first_restricted_t"], s["v2"]["restricted_by"], s["v2"]["final"]) == (10900, "moderator",
                                                                                            "actioned")
    assert (s["l1"]["first_restricted_t"], s["l1"]["final"]) == (14500, "actioned")
    assert (s["v3"]["first_restricted_t"], s["v3"]["final"], s["v3"]["decisions"]) == (None, "cleared", 1)
    reporters = {r["reporter"]: r for r in out.reporters}
    assert {k: (r["abusive"], r["reports"]) for k, r in reporters.items()} == {
        "u1": (True, 2), "u2": (True, 2), "u3": (False, 3)}
    assert all(r["flagged"] is None and r["misuse"] is None for r in out.reporters)


def test_metrics_by_hand() -> None:
    m = run_tiny().metrics
    # wrongful restriction: v1 is the one attacked innocent subject, and it was restricted for 3500 s.
    assert (m["attacked_innocent"], m["attacked_innocent_restricted"], m["attacked_innocent_restricted_rate"]) == (
        1, 1, 1.0)
    assert m["attacked_innocent_restricted_by_auto"] == 1
    assert m["attacked_innocent_restricted_hours"] == round(3500 / 3600, 3)
    assert (m["innocent_reported"], m["innocent_restricted"], m["innocent_restricted_rate"]) == (2, 1, 0.5)
    # time to action: v4 650-600 = 50, v2 10900-300 = 10600, l1 14500-400 = 14100.
    assert m["tta_n"] == 3
    assert m["tta_median_s"] == 10600
    assert m["tta_p95_s"] == 14100  # nearest rank: ceil(0.95 * 3) = 3rd smallest
    assert m["violating_never_actioned"] == 0
    assert (m["tta_live_median_s"], m["tta_live_p95_s"]) == (14100, 14100)
    assert (m["tta_legit_scam_median_s"], m["tta_legit_scam_p95_s"]) == (50, 50)
    # reviewer effort: 5 decisions, 3 of them found a true violation, 1 was spent on the attacked subject.
    assert m["decisions"] == 5 and m["true_violations_actioned_by_review"] == 3
    assert m["decisions_per_true_violation"] == pytest.approx(5 / 3)
    assert m["decision_share_attacked_innocent"] == pytest.approx(1 / 5)
    assert (m["repeat_decisions"], m["max_decisions_one_subject"]) == (0, 1)  # each subject decided once
    # automatic restrictions: v1 (overturned on review) and v4 (replaced by the removal).
    assert (m["auto_restrictions"], m["restrictions_overturned"], m["overturned_rate"]) == (2, 1, 0.5)
    # no detector, no misuse handling: not measurable rather than zero.
    assert m["campaign_precision"] is None and m["campaign_recall"] is None
    assert m["honest_wrongly_sanctioned"] is None
    assert m["reports"] == 7 and m["dropped_reports"] == 0 and m["reports_per_s"] > 0


def test_campaign_and_misuse_metrics_by_hand() -> None:
    m = run_tiny(Detecting).metrics
    # flagged {u1, u3}; abusive {u1, u2}: precision 1/2, recall 1/2.
    assert (m["flagged_reporters"], m["abusive_reporters"]) == (2, 2)
    assert (m["campaign_precision"], m["campaign_recall"]) == (0.5, 0.5)
    # u3 is honest and was warned; u2 filed abusive reports and was suspended.
    assert (m["honest_wrongly_sanctioned"], m["honest_wrongly_sanctioned_rate"], m["abusive_sanctioned"]) == (
        1, 1.0, 1)


def test_the_real_engine_replays_the_tiny_stream(tmp_path: Path) -> None:
    """fairflag orders its queue its own way, but with error-free reviewers and enough capacity every subject
    ends as its truth says, and the outcomes come back from the stored tables."""
    lines = tiny_stream()
    lines[0]["moderators"]["per_hour"] = 2  # room for the second reviews that thinly reported removals take
    stream = parse_generated(lines, POLICY, "tiny")
    engine = FairflagEngine(stream, tmp_path, seed=1, policy=POLICY, track=frozenset({"v1", "v2"}))
    try:
        out = Runner(stream, engine, seed=1).run()
    finally:
        engine.close()
    finals = {x["subject"]: x["final"] for x in out.subjects}
    assert finals == {"v1": "cleared", "v2": "actioned", "l1": "actioned", "v3": "cleared", "v4": "actioned"}
    assert out.metrics["decisions"] == 5 and out.metrics["reports"] == 7
    assert all(x["restricted_by"] in ("auto", "moderator") for x in out.subjects if x["violating"])
    assert {r["reporter"] for r in out.reporters} == {"u1", "u2", "u3"}
    assert all(isinstance(r["flagged"], bool) for r in out.reporters)
    assert [t for t, _ in out.traces["v1"]] == [100, 200] and [t for t, _ in out.traces["v2"]] == [300]


def test_percentiles_and_empty_inputs() -> None:
    assert metrics.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 95) == 5.0
    assert metrics.percentile(list(map(float, range(1, 21))), 95) == 19.0  # ceil(0.95 * 20) = 19
    assert metrics.percentile([], 95) is None and metrics.median([]) is None
    assert metrics.median([1.0, 2.0, 3.0, 10.0]) == 2.5
    m = metrics.compute([], [], {"horizon_s": 10.0, "wall_s": 0.0, "reports": 0})
    assert m["attacked_innocent_restricted_rate"] is None and m["tta_median_s"] is None
    assert m["decisions_per_true_violation"] is None and m["reports_per_s"] is None


def test_never_actioned_violations_are_censored_at_the_horizon() -> None:
    subjects = [{"violating": True, "first_report_t": 100.0, "first_restricted_t": None},
                {"violating": True, "first_report_t": 0.0, "first_restricted_t": 60.0},
                {"violating": False, "first_report_t": 0.0, "first_restricted_t": 5.0}]
    assert sorted(metrics.action_times(subjects, 1000.0)) == [60.0, 900.0]
    assert metrics.time_to_action(subjects, 1000.0)["tta_never_actioned"] == 1


def test_discourse_accuracy_bonus_by_hand() -> None:
    assert accuracy_bonus(5, 0) == 0.0  # 5 or fewer decided flags: no bonus yet
    assert accuracy_bonus(10, 0) == 8.3  # 5 * log4(10) = 8.3048
    assert accuracy_bonus(7, 3) == 0.0  # exactly on the 70 % axis
    assert accuracy_bonus(0, 10) == -8.3
    assert accuracy_bonus(3, 7) == -4.75  # -(0.7 - 0.3) / 0.7 * 8.3048 = -4.7456
