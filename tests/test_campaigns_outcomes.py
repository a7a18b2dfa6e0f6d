"""Campaign detection after the fact: what moderators' outcomes say about the groups that reported.

Pure engine tests (no database): a community whose targets were upheld is demoted, a brigade that pushed a
cleared subject is linked, mistaken reporters of a viral video are not; and the base rates that keep an
audience from looking like a group (a canned phrase, a carrier, two videos of one viral creator).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta

from fairflag.engine.campaigns import (
    CLEARED_PUSH,
    CampaignDetector,
    CampaignPolicy,
    ReportObservation,
    brigade_after_clearance,
    cleared_cohort,
    community_verdict,
    concentration_p_value,
    exposure_weight,
    lockstep_strength,
)
from tests.test_campaigns_engine import T0, make_obs, organic, unique_fps

POLICY = CampaignPolicy()
HOUR = 3600


def test_a_right_community_is_demoted_after_upheld_outcomes() -> None:
    # 60 members reported 5 scam accounts (all upheld); 3 mistook a look-alike (cleared, 5 % of them)
    assert community_verdict(upheld=180, rejected=3, abusive=0, pending=4, upheld_targets=5,
                             widest_cleared_share=0.05, policy=POLICY)
    # the label follows the evidence: nothing decided yet, or one upheld target only, is no verdict
    assert not community_verdict(upheld=0, rejected=0, abusive=0, pending=180, upheld_targets=0,
                                 widest_cleared_share=0.0, policy=POLICY)
    assert not community_verdict(upheld=40, rejected=0, abusive=0, pending=140, upheld_targets=1,
                                 widest_cleared_share=0.0, policy=POLICY)


def test_a_reputation_ring_is_not_demoted_by_its_camouflage() -> None:
    # 7 members, 100 upheld camouflage reports; the strike: 21 reports on innocent subjects
    strike_pending = {"upheld": 100, "rejected": 0, "abusive": 0, "pending": 21}
    assert community_verdict(**strike_pending, upheld_targets=20, widest_cleared_share=0.0, policy=POLICY)
    # ... so the verdict is taken again at every decision: once the strike is cleared it stands no more
    assert not community_verdict(upheld=100, rejected=21, abusive=0, pending=0, upheld_targets=20,
                                 widest_cleared_share=3 / 7, policy=POLICY)  # a share of the group behind it
    assert not community_verdict(upheld=100, rejected=20, abusive=1, pending=0, upheld_targets=20,
                                 widest_cleared_share=0.1, policy=POLICY)  # bad faith a moderator saw


def _viral_world(seed: int) -> tuple[CampaignDetector, dict[str, list[str]], set[str], set[str]]:
    """A viral creator's 3 videos: 150 mistaken organic reporters over a day, a brigade of 40 real users
    (ordinary fingerprints, no shared text) reporting each video with p 0.7 inside two hours; background
    reports on other owners. Returns the detector, each video's reporters, the brigade and the organic."""
    rng = random.Random(seed)
    videos = ["viral-1", "viral-2", "viral-3"]
    events = []
    organic_ids = {f"fan{i}" for i in range(150)}
    for rid in sorted(organic_ids):
        for video in rng.sample(videos, rng.choice((1, 1, 1, 2))):
            events.append((T0 + timedelta(seconds=rng.uniform(0, 24 * HOUR)), rid, video))
    brigade = {f"brig{i}" for i in range(40)}
    for rid in sorted(brigade):
        for video in videos:
            if rng.random() < 0.7:
                events.append((T0 + timedelta(seconds=rng.uniform(8 * HOUR, 10 * HOUR)), rid, video))
    observations = [make_obs(n, rid, video, at, owner="viral-creator", views=500_000, **unique_fps(rid))
                    for n, (at, rid, video) in enumerate(sorted(events))]
    background = organic(rng, reporters=400, subjects=600, days=1, prefix="bg")
    detector = CampaignDetector()
    by_video: dict[str, list[str]] = {v: [] for v in videos}
    for obs in sorted(observations + background, key=lambda o: (o.at, o.report_id)):
        detector.observe(obs)
        if obs.subject_id in by_video:
            by_video[obs.subject_id].append(obs.reporter_id)
    return detector, by_video, brigade, organic_ids


def test_a_brigade_of_real_users_is_linked_after_a_clearance() -> None:
    detector, by_video, brigade, organic_ids = _viral_world(11)
    rng = random.Random(5)
    assert not any(s.reporters & brigade for s in detector.drain_changes())  # invisible while it happens
    group: set[str] = set()
    for k, (video, reporters) in enumerate(sorted(by_video.items())):
        marked = {r for r in reporters if r in brigade and rng.random() < 0.5}  # what the moderator saw
        group |= detector.observe_clearance(video, "viral-creator", T0 + timedelta(hours=25 + k), marked)
    campaigns = detector.drain_changes()
    found = set().union(*(c.reporters for c in campaigns))
    attackers = brigade & set().union(*map(set, by_video.values()))
    assert found == group and all(c.evidence.get(CLEARED_PUSH) for c in campaigns)
    # the marked half, and those whose reports on the creator's cleared videos all fall inside the push
    assert len(found & attackers) >= 0.75 * len(attackers), (len(found & attackers), len(attackers))
    assert len(found & organic_ids) <= 0.05 * len(found), sorted(found & organic_ids)


def test_mistaken_reporters_of_a_viral_video_are_not_linked() -> None:
    detector, by_video, _, organic_ids = _viral_world(12)
    # cleared without a report a moderator found abusive: mistakes alone never make a group
    for k, video in enumerate(sorted(by_video)):
        assert detector.observe_clearance(video, "viral-creator", T0 + timedelta(hours=25 + k), ()) == set()
    assert not any(s.reporters & organic_ids for s in detector.drain_changes())
    # the pure rule: organic times spread over a day, two marked accounts are not enough
    first = {f"fan{i}": int(i * 600e6) for i in range(144)}
    owner = {rid: [t] for rid, t in first.items()}
    assert brigade_after_clearance(first, {"fan1", "fan2"}, owner, int(24 * HOUR * 1e6), POLICY) == set()


def test_an_audience_is_not_a_group() -> None:
    # two viewers who both reported two videos of a viral creator: no lockstep; two thin videos: lockstep
    viral = {"a": exposure_weight(150, 500_000, POLICY), "b": exposure_weight(150, 500_000, POLICY)}
    assert lockstep_strength({"a", "b"}, {"a", "b"}, POLICY, viral.get) == 0.0
    assert lockstep_strength({"x", "y"}, {"x", "y"}, POLICY, lambda s: exposure_weight(6, 2_000, POLICY)) > 0
    # a network (or text) the owner's reporters share is judged against everyone else's reporters
    assert concentration_p_value(2, 0, 2, 300) < POLICY.network_p_value  # seen nowhere else, busy world
    assert concentration_p_value(8, 0, 400, 30) > 0.5  # one viral owner draws nearly every report
    assert concentration_p_value(5, 0, 5, 0) == 1.0  # nothing elsewhere to compare with


def test_a_canned_phrase_on_a_viral_video_links_nobody() -> None:
    rng = random.Random(4)
    canned = "this video is offensive and should be removed"
    detector = CampaignDetector(replace(POLICY, min_members=3))
    n = 0
    for k in range(200):  # the same canned phrase is common everywhere
        n += 1
        detector.observe(make_obs(n, f"bg{k}", f"bgvid{k % 50}", T0 + timedelta(seconds=n),
                                  text=canned if k % 4 == 0 else None, **unique_fps(f"bg{k}")))
    at = T0 + timedelta(seconds=n)
    out = []
    for i in range(40):  # a viral video's reporters write it as often as everyone does (1 in 4)
        at += timedelta(seconds=rng.uniform(1, 60))
        out.append(detector.observe(make_obs(n + 1 + i, f"v{i}", "viral", at, owner="star", views=900_000,
                                             text=canned if i % 4 == 0 else None, **unique_fps(f"v{i}"))))
    assert all("shared_text" not in s.signals for s in out)
    # ... while a template only one owner's reporters write links them
    for i in range(5):
        at += timedelta(seconds=30)
        last = detector.observe(make_obs(n + 100 + i, f"t{i}", "thin", at, owner="target", views=900,
                                         text="this creator is a known predator report him", **unique_fps(f"t{i}")))
    assert last.signals.get("shared_text", 0) > 0


def test_accounts_that_keep_pushing_cleared_content_are_linked() -> None:
    """A slow drip: 8 aged accounts report one creator's 4 thin videos a few times a day; each video is
    cleared after its first report, and nobody's report was marked abusive. Those who keep reporting the
    cleared videos are pushers; 5 pushers of one owner are a group. A viewer who reports a cleared viral
    video again is not one."""
    rng = random.Random(9)
    detector = CampaignDetector()
    for obs in organic(rng, reporters=300, subjects=400, days=3, prefix="bg"):
        detector.observe(obs)
    videos = [f"thin-{k}" for k in range(4)]
    drip = [f"drip{i}" for i in range(8)]
    events = sorted((T0 + timedelta(hours=rng.uniform(0, 72)), rid, rng.choice(videos))
                    for rid in drip for _ in range(6))
    cleared: set[str] = set()
    for n, (at, rid, video) in enumerate(events):
        detector.observe(make_obs(10_000 + n, rid, video, at, owner="drip-target", views=800, **unique_fps(rid)))
        if video not in cleared:  # the moderator clears it after its first report
            cleared.add(video)
            detector.observe_clearance(video, "drip-target", at + timedelta(seconds=1), ())
    later = T0 + timedelta(hours=73)
    detector.observe_clearance("viral", "star", later, ())
    detector.observe(make_obs(20_000, "fan", "viral", later + timedelta(minutes=5), owner="star", views=900_000,
                              **unique_fps("fan")))
    found = set().union(*(c.reporters for c in detector.drain_changes()))
    assert found == set(drip), sorted(found)



def _spread_world(seed: int, *, attack: bool = True) -> tuple[set[str], set[str]]:
    """A spread-out push: 30 aged accounts with unique fingerprints each report a few of 45 thin uploads of 45
    different creators (2-3 accounts per upload, over six hours), among organic background reports on 600
    subjects. A moderator clears each attacked upload some time after its first report (often before the
    rest of its reports arrive) and a third of the background subjects (mistaken reports). Returns the
    reporters linked after the fact and the attackers."""
    rng = random.Random(seed)
    attackers = [f"spread{i}" for i in range(30)] if attack else []
    timeline: list[tuple[datetime, int, object]] = []
    for k in range(45 if attack else 0):
        first = rng.uniform(1, 6)
        for j, rid in enumerate(rng.sample(attackers, rng.choice((2, 2, 3)))):
            at = T0 + timedelta(hours=first + (0 if j == 0 else rng.uniform(0, 3)))
            timeline.append((at, 0, make_obs(0, rid, f"thin{k}", at, owner=f"creator{k}", views=150,
                                             **unique_fps(rid))))
        timeline.append((T0 + timedelta(hours=first + rng.uniform(0.2, 4)), 1, (f"thin{k}", f"creator{k}")))
    background = organic(rng, reporters=400, subjects=600, days=0.5, prefix="bg")
    timeline += [(o.at, 0, o) for o in background]
    for n, subject in enumerate(sorted({o.subject_id for o in background})[::3]):
        timeline.append((T0 + timedelta(hours=13, seconds=n), 1, (subject, f"owner-of-{subject}")))
    detector = CampaignDetector()
    linked: set[str] = set()
    for n, (at, kind, item) in enumerate(sorted(timeline, key=lambda e: (e[0], e[1]))):
        if kind == 0:
            assert isinstance(item, ReportObservation)
            detector.observe(replace(item, report_id=f"r{n}"))
        else:
            subject, owner = item  # type: ignore[misc]
            linked |= detector.observe_clearance(subject, owner, at, ())
    for snap in detector.drain_changes():
        if snap.evidence.get(CLEARED_PUSH):
            linked |= snap.reporters
    return linked, set(attackers)


def test_a_spread_out_push_is_linked_across_owners_after_clearances() -> None:
    """No two accounts share two subjects and no owner sees more than three reports, so nothing links them
    in the moment; the thin uploads a moderator cleared do, reports after a clearance included."""
    linked, attackers = _spread_world(3)
    assert len(linked & attackers) >= 0.8 * len(attackers), (len(linked & attackers), len(attackers))
    assert linked <= attackers, sorted(linked - attackers)


def test_organic_mistakes_cleared_across_owners_link_nobody() -> None:
    """Mistaken organic reporters of cleared subjects rarely meet on a thin one, and almost never on two."""
    for seed in (3, 4, 5):
        linked, _ = _spread_world(seed, attack=False)
        assert linked == set(), sorted(linked)


def test_cleared_cohort_needs_a_core_of_repeat_pushers() -> None:
    # three repeat pushers (two thin cleared subjects each) and the accounts they met: a group
    by_subject = {"s1": ("a", "b", "x"), "s2": ("a", "c"), "s3": ("b", "c", "y"), "s4": ("z", "w")}
    by_reporter: dict[str, dict[str, float]] = {}
    for subject, reporters in by_subject.items():
        for rid in reporters:
            by_reporter.setdefault(rid, {})[subject] = 1.0
    assert cleared_cohort({"a", "b", "x"}, by_reporter, by_subject, POLICY) == {"a", "b", "c", "x", "y"}
    # z and w met once each, and nobody repeats with them
    assert cleared_cohort({"z", "w"}, by_reporter, by_subject, POLICY) == set()
    # two repeat pushers are a chance pair, not a group
    assert cleared_cohort({"a"}, by_reporter, by_subject, replace(POLICY, clearance_min_core=4)) == set()


def _drip(detector: CampaignDetector, rng: random.Random, accounts: list[str], videos: list[str],
          owner: str = "small-creator", views: int = 3000) -> dict[str, list[str]]:
    """A few accounts report a small creator's videos one at a time over two days, with background reports on
    other owners; returns each video's reporters."""
    events = [(T0 + timedelta(seconds=rng.uniform(0, 48 * HOUR)), rid, video)
              for rid in accounts for video in videos if rng.random() < 0.6]
    observations = [make_obs(n, rid, video, at, owner=owner, views=views, **unique_fps(rid))
                    for n, (at, rid, video) in enumerate(sorted(events))]
    background = organic(rng, reporters=300, subjects=400, days=2, prefix="bg")
    by_video: dict[str, list[str]] = {v: [] for v in videos}
    for obs in sorted(observations + background, key=lambda o: (o.at, o.report_id)):
        detector.observe(obs)
        if obs.subject_id in by_video and obs.reporter_id not in by_video[obs.subject_id]:
            by_video[obs.subject_id].append(obs.reporter_id)
    return by_video


def test_a_small_drip_a_moderator_saw_is_linked_and_nobody_else() -> None:
    # 4 accounts drip on a creator's 3 videos; moderators clear them and mark the reports they saw as abusive.
    # Fewer than min_members in all: the group is what a person saw, no more (before: nothing was linked).
    rng = random.Random(21)
    detector = CampaignDetector()
    drip = ["drip0", "drip1", "drip2", "drip3"]
    by_video = _drip(detector, rng, drip, ["sv1", "sv2", "sv3"])
    honest = "viewer"
    detector.observe(make_obs(9_000, honest, "sv1", T0 + timedelta(hours=49), owner="small-creator", views=3000,
                              **unique_fps(honest)))
    for k, video in enumerate(sorted(by_video)):
        detector.observe_clearance(video, "small-creator", T0 + timedelta(hours=50 + k), set(by_video[video]))
    campaigns = detector.drain_changes()
    found = set().union(*(c.reporters for c in campaigns)) if campaigns else set()
    assert found == set().union(*map(set, by_video.values())) - {honest}
    assert len(found) >= 3 and honest not in found and all(c.evidence.get(CLEARED_PUSH) for c in campaigns)
    # two marked accounts are still no group
    detector = CampaignDetector()
    by_video = _drip(detector, random.Random(22), ["d0", "d1"], ["sv1", "sv2"])
    for k, video in enumerate(sorted(by_video)):
        detector.observe_clearance(video, "small-creator", T0 + timedelta(hours=50 + k), set(by_video[video]))
    assert detector.drain_changes() == []


def test_a_marked_reporter_joins_the_group_that_pushed_the_same_cleared_subject() -> None:
    # the brigade of _viral_world is linked on the creator's video; two of its accounts then push another
    # creator's upload with one more account, which a moderator marks abusive there: that account joins the
    # brigade's campaign (before: one marked account on an owner was nothing). The upload's honest viewer,
    # unmarked, is not linked, and nobody of the viral video's organic crowd is.
    detector, by_video, brigade, organic_ids = _viral_world(13)
    rng = random.Random(6)
    video = sorted(by_video)[0]
    marked = {r for r in by_video[video] if r in brigade and rng.random() < 0.5}
    first = detector.observe_clearance(video, "viral-creator", T0 + timedelta(hours=25), marked)
    assert len(first) >= 5
    pushers = sorted(first)[:2]
    at = T0 + timedelta(hours=26)
    for n, rid in enumerate([*pushers, "lone-troll", "viewer"]):
        detector.observe(make_obs(50_000 + n, rid, "upload", at + timedelta(minutes=7 * n), owner="other-creator",
                                  views=5000, **unique_fps(rid)))
    joined = detector.observe_clearance("upload", "other-creator", T0 + timedelta(hours=27), {"lone-troll"})
    found = set().union(*(c.reporters for c in detector.drain_changes()))
    assert "lone-troll" in joined and "lone-troll" in found
    assert "viewer" not in found and not (found & organic_ids)


def test_a_burst_on_a_viral_video_never_carries_a_campaign_to_its_viewers() -> None:
    # the brigade of _viral_world is linked after a clearance; a day later its accounts burst on the creator's
    # video again, among new viewers reporting it in the same hour. The burst is far above the video's own rate
    # but its views explain it: the viewers are not swept into the brigade's campaign (before: every one was).
    detector, by_video, brigade, _ = _viral_world(14)
    rng = random.Random(8)
    video = sorted(by_video)[0]
    marked = {r for r in by_video[video] if r in brigade and rng.random() < 0.5}
    group = detector.observe_clearance(video, "viral-creator", T0 + timedelta(hours=25), marked)
    assert len(group) >= 5
    detector.drain_changes()
    viewers = [f"late-viewer{i}" for i in range(15)]
    start = T0 + timedelta(hours=48)
    late = [(start + timedelta(seconds=rng.uniform(0, 3000)), rid) for rid in [*sorted(group), *viewers]]
    suspicions = {}
    for n, (at, rid) in enumerate(sorted(late)):
        suspicions[rid] = detector.observe(make_obs(90_000 + n, rid, video, at, owner="viral-creator",
                                                    views=500_000, **unique_fps(rid)))
    assert any("burst" in s.signals for s in suspicions.values())  # the burst is seen ...
    assert all(suspicions[v].campaign_key is None for v in viewers)  # ... and carries no campaign to the viewers
    keys = {s.campaign_key for s in suspicions.values() if s.campaign_key}
    found = set().union(*(snap.reporters for k in keys if (snap := detector.campaign(k)) is not None))
    assert found and not (found & set(viewers))
