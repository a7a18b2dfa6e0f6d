"""Invariants of the pure triage engines, property-tested with hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fairflag.engine import credibility as cred
from fairflag.engine import misuse, triage
from fairflag.policy import load_policy

POLICY = load_policy()
T0 = datetime(2026, 1, 1, tzinfo=UTC)
outcomes = st.sampled_from(["upheld", "rejected", "abusive"])
families = st.sampled_from(["safety", "abuse", "integrity"])
history_steps = st.lists(st.tuples(outcomes, families, st.integers(0, 400)), max_size=30)


def build(steps: list[tuple[str, str, int]]) -> cred.History:
    h = cred.History()
    at = T0
    for outcome, family, gap_days in steps:
        at = at + timedelta(days=gap_days)
        h = cred.record(h, family, outcome, at, POLICY.credibility)  # type: ignore[arg-type]
    return h


def value(h: cred.History, family: str | None = "safety", trusted: bool = False, age: float | None = 365.0,
          at: datetime | None = None) -> float:
    when = at or (h.as_of or T0)
    return cred.credibility(h, family=family, trusted_flagger=trusted, account_age_days=age, at=when,
                            policy=POLICY.credibility).value


@given(history_steps, st.booleans(), st.one_of(st.none(), st.floats(0, 5000)))
def test_credibility_is_bounded(steps: list[tuple[str, str, int]], trusted: bool, age: float | None) -> None:
    v = value(build(steps), trusted=trusted, age=age)
    assert POLICY.credibility.floor <= v <= POLICY.credibility.ceiling


@given(history_steps, families)
def test_upheld_never_lowers_and_rejected_never_raises(steps: list[tuple[str, str, int]], family: str) -> None:
    h = build(steps)
    at = h.as_of or T0
    before = value(h, family, at=at)
    up = value(cred.record(h, family, "upheld", at, POLICY.credibility), family, at=at)
    down = value(cred.record(h, family, "rejected", at, POLICY.credibility), family, at=at)
    abusive = value(cred.record(h, family, "abusive", at, POLICY.credibility), family, at=at)
    assert up >= before - 1e-9
    assert down <= before + 1e-9
    assert abusive <= down + 1e-9


def test_priors_order_trusted_default_young() -> None:
    empty = cred.History()
    assert value(empty, trusted=True) > value(empty, age=400) > value(empty, age=2)
    assert value(empty, age=None) == value(empty, age=400)  # unknown age is not treated as young


def test_old_history_counts_less() -> None:
    h = build([("rejected", "safety", 0)] * 10)
    fresh = value(h, at=h.as_of)
    later = value(h, at=(h.as_of or T0) + timedelta(days=3 * 365))
    assert later > fresh  # rejections decayed toward the prior


def facts(views: int = 10_000, surface: str = "video") -> triage.SubjectFacts:
    return triage.SubjectFacts(surface=surface, views=views, owner_active_strikes=0, signals={})


weights = st.floats(0.01, 0.99)


@settings(max_examples=60)
@given(st.lists(st.tuples(weights, st.sampled_from(["spam", "violence", "hate"])), max_size=20),
       st.lists(weights, min_size=1, max_size=2000), st.integers(0, 5_000_000))
def test_one_coordinated_group_adds_a_bounded_amount(base: list[tuple[float, str]], group: list[float],
                                                     views: int) -> None:
    ev = triage.CaseEvidence()
    for w, reason in base:
        ev.individual.add(w, reason, w >= 0.5)
    before = triage.score(ev, facts(views), POLICY)
    for w in group:
        ev.bucket("campaign-x").add(w, "violence", False)
    after = triage.score(ev, facts(views), POLICY)
    assert after.evidence - before.evidence <= POLICY.triage.group_cap + 1e-9
    assert after.effective_reporters - before.effective_reporters <= POLICY.triage.group_cap_members + 1e-9
    # ... and so the priority can grow by at most what that bounded evidence, and the bounded extra the review
    # priority gives a crowd the views cannot explain, buy at the highest severity.
    top = max(POLICY.severities.values()) * max(s.urgency for s in POLICY.surfaces.values())
    bound = before.components["review_evidence"] + POLICY.triage.group_cap + POLICY.triage.review_group_extra
    assert after.value - before.value <= top * (1 + bound) + 1e-6
    assert after.components["review_evidence"] - after.evidence <= POLICY.triage.review_group_extra + 1e-9


def test_a_crowd_the_views_cannot_explain_is_reviewed_sooner_but_weighs_no_more() -> None:
    """Coordination bounds what a group can do to a subject (E, the severity label, anything automatic), but a
    community of 60 reporting an account seen 300 times still brings it to a reviewer sooner than one reporter
    would; on a video seen 5 million times (a brigade on viral content) the same crowd gains almost nothing."""
    ev = triage.CaseEvidence()
    for i in range(60):
        ev.bucket("campaign-x").add(0.25 if i % 2 else 0.08, "scam_fraud", False)
    off = POLICY.model_copy(update={"triage": POLICY.triage.model_copy(update={"review_group_extra": 0.0})})
    small = triage.score(ev, facts(300, "account"), POLICY)
    capped_only = triage.score(ev, facts(300, "account"), off)
    assert small.evidence == capped_only.evidence <= POLICY.triage.group_cap + 1e-9
    assert small.severity == capped_only.severity
    assert small.components["review_evidence"] > small.evidence + 0.5 * POLICY.triage.review_group_extra
    assert small.value > 1.5 * capped_only.value
    assert capped_only.components["review_evidence"] == capped_only.components["evidence"]
    viral = triage.score(ev, facts(5_000_000), POLICY)
    assert viral.components["coordinated_volume_for_review"] < 0.1 * small.components["coordinated_volume_for_review"]
    # On a creator a moderator just cleared, the crowd's volume brings nothing extra (retaliation, a brigade).
    cleared = triage.SubjectFacts(surface="account", views=300, owner_active_strikes=0, signals={}, owner_cleared=True)
    assert triage.score(ev, cleared, POLICY).value == capped_only.value
    assert not triage.auto_restriction(ev, small, facts(300, "account"), POLICY, protected=False).restrict


@given(st.lists(weights, min_size=1, max_size=50))
def test_a_coordinated_group_never_restricts_automatically(group: list[float]) -> None:
    ev = triage.CaseEvidence()
    for w in group:
        ev.bucket("g").add(w, "violence", False)
    s = triage.score(ev, facts(), POLICY)
    assert not triage.auto_restriction(ev, s, facts(), POLICY, protected=False).restrict


def test_severity_follows_credibility() -> None:
    weak = triage.CaseEvidence()
    weak.individual.add(0.08, "violence", False)
    strong = triage.CaseEvidence()
    for _ in range(3):
        strong.individual.add(0.6, "violence", True)
    assert triage.score(weak, facts(), POLICY).severity == "low"
    assert triage.score(strong, facts(), POLICY).severity == "critical"


def test_exposure_discounts_reports_a_huge_audience_explains() -> None:
    ev = triage.CaseEvidence()
    for _ in range(50):
        ev.individual.add(0.25, "spam", False)
    small = triage.score(ev, facts(views=100), POLICY)
    huge = triage.score(ev, facts(views=5_000_000), POLICY)
    assert small.components["exposure"] > 0.95 and huge.components["exposure"] < 0.2
    assert small.value > huge.value


def test_auto_restriction_reasons_are_stated() -> None:
    ev = triage.CaseEvidence()
    for _ in range(5):
        ev.individual.add(0.65, "violence", True)
    ev.classifiers["nudity-net@3"] = {"w": 0.8, "reason": "violence"}  # user reports alone restrict nothing
    s = triage.score(ev, facts(800, "livestream"), POLICY)
    yes = triage.auto_restriction(ev, s, facts(800, "livestream"), POLICY, protected=False)
    assert yes.restrict and "6 independent credible sources" in yes.reason
    no = triage.auto_restriction(ev, s, facts(800, "livestream"), POLICY, protected=True)
    assert not no.restrict and "campaign" in no.reason
    few = triage.CaseEvidence()
    few.individual.add(0.9, "violence", True)
    s2 = triage.score(few, facts(800, "livestream"), POLICY)
    assert "not enough" in triage.auto_restriction(few, s2, facts(800, "livestream"), POLICY, protected=False).reason


def test_misuse_warns_before_suspending() -> None:
    p = POLICY.misuse
    state = misuse.MisuseState()
    assert misuse.evaluate(state, abusive_in_window=2, abusive_since_warning=0, at=T0, policy=p).action == "none"
    assert misuse.evaluate(state, abusive_in_window=3, abusive_since_warning=0, at=T0, policy=p).action == "warn"
    warned = misuse.MisuseState(warned_at=T0)
    v = misuse.evaluate(warned, abusive_in_window=6, abusive_since_warning=3, at=T0 + timedelta(days=1), policy=p)
    assert v.action == "suspend" and v.until == T0 + timedelta(days=8)


@given(st.lists(st.tuples(weights, st.sampled_from(["spam", "violence"]), st.sampled_from(["individual", "g1", "g2"])),
                max_size=20), weights, st.sampled_from(["individual", "g1"]))
def test_uncount_takes_back_exactly_what_was_counted(base: list[tuple[float, str, str]], w: float, group: str) -> None:
    ev = triage.CaseEvidence()
    for weight, reason, g in base:
        ev.bucket(g).add(weight, reason, weight >= 0.5 and g == "individual")
    before = triage.score(ev, facts(), POLICY)
    ev.bucket(group).add(w, "hate", w >= 0.5 and group == "individual")
    ev.uncount(group, w, "hate", w >= 0.5)
    after = triage.score(ev, facts(), POLICY)
    assert abs(after.value - before.value) < 1e-6 and abs(after.evidence - before.evidence) < 1e-6
