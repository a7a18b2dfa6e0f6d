"""The ``co_report`` signal (pair co-occurrence on thin targets) and the network base rate: an attack spread
too thin for lockstep, honest co-reporting of popular videos, a queue flood joining its farm, pair memory
expiring with the window, and carrier networks. Pure and in-memory, like ``test_campaigns_engine``."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fairflag.engine.campaigns import (
    CO_REPORT,
    LOCKSTEP,
    CampaignDetector,
    CampaignPolicy,
    ReportObservation,
    Suspicion,
    co_report_weight,
    network_strength,
)
from tests.test_campaigns_engine import (
    T0,
    detected_reporters,
    feed,
    make_obs,
    organic,
    precision_recall,
    unique_fps,
    varied_text,
)


def thin_spread(rng: random.Random, *, members: int = 150, targets: int = 300, per_member: int = 25,
                days: float = 2.0, start: float = 0.5) -> tuple[list[ReportObservation], set[str]]:
    """Aged accounts with unique fingerprints and varied texts, each reporting ``per_member`` of ``targets``
    innocent videos of many creators at random times over ``days``: two members share ~2 targets."""
    views = {f"thin{k}": rng.randint(100, 3000) for k in range(targets)}
    pool = sorted(views)
    events = []
    for m in range(members):
        rid = f"spread{m}"
        age = rng.uniform(60, 1500)
        for subject in rng.sample(pool, per_member):
            at = T0 + timedelta(days=start + rng.uniform(0, days))
            events.append((at, rid, subject, age))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    observations = [
        make_obs(n, rid, subject, at, owner=f"creator{int(subject[4:]) % 120}", text=varied_text(rng), age=age,
                 views=views[subject], reason=rng.choice(("hate", "harassment", "violence")), **unique_fps(rid))
        for n, (at, rid, subject, age) in enumerate(events)
    ]
    return observations, {f"spread{m}" for m in range(members)}


def with_background(rng: random.Random, attack: list[ReportObservation], *, reporters: int = 3000,
                    days: float = 3.0) -> list[ReportObservation]:
    background = organic(rng, reporters=reporters, subjects=5000, days=days, prefix="bg")
    background = [replace(o, report_id=f"bg-{o.report_id}") for o in background]
    return sorted(attack + background, key=lambda o: (o.at, o.report_id))


def test_co_report_weight_discounts_crowds_and_exposure() -> None:
    policy = CampaignPolicy()
    assert co_report_weight(5, 200, policy) == 1.0  # five reporters on a 200-view video: more than exposure explains
    assert co_report_weight(200, 0, policy) == 0.1  # a crowd: each co-report counts little
    assert co_report_weight(40, 1_000_000, policy) < 0.01  # a viral video: its reporters are explained by views
    assert co_report_weight(2, 2000, policy) == 0.1  # two reporters of a 2,000-view video: plausible


def test_thin_spread_attack_is_found_by_co_reports_not_lockstep() -> None:
    rng = random.Random(21)
    attack, members = thin_spread(rng)
    observations = with_background(rng, attack)
    _, campaigns = feed(CampaignDetector(), observations)
    precision, recall = precision_recall(detected_reporters(campaigns), members)
    assert precision >= 0.95 and recall >= 0.9, (precision, recall)
    assert all(CO_REPORT in c.evidence for c in campaigns.values())
    assert all(LOCKSTEP not in c.evidence or c.evidence[LOCKSTEP] < 0.1 for c in campaigns.values())

    # without the co_report evidence the same stream goes undetected: lockstep alone cannot see it
    policy = CampaignPolicy()
    blind = replace(policy, weights=tuple((k, 0.0 if k == CO_REPORT else w) for k, w in policy.weights))
    _, campaigns = feed(CampaignDetector(blind), observations)
    assert len(detected_reporters(campaigns) & members) <= 0.1 * len(members)


def test_a_small_thin_spread_is_found_too() -> None:
    """100 accounts, 25 of 300 targets each: members share ~2 targets with each other, still dense."""
    rng = random.Random(22)
    attack, members = thin_spread(rng, members=100)
    _, campaigns = feed(CampaignDetector(), with_background(rng, attack, reporters=2000))
    precision, recall = precision_recall(detected_reporters(campaigns), members)
    assert precision >= 0.95 and recall >= 0.9, (precision, recall)


def test_honest_pairs_co_reporting_popular_videos_are_not_linked() -> None:
    """80 pairs of friends each report the same three popular videos (which hundreds report), plus their own
    subjects; and 40 pairs share two thin videos nobody else reported (plus their own). Neither is a group:
    popular videos count for nothing, and one partner is not a dense group."""
    rng = random.Random(23)
    events = []
    popular = [f"viral{k}" for k in range(30)]
    for k in range(1200):  # the crowd on the popular videos, one each
        events.append((T0 + timedelta(seconds=rng.uniform(0, 2 * 86400)), f"crowd{k}", popular[k % 30], 2_000_000))
    for pair in range(80):
        shared = rng.sample(popular, 3)
        for side in "ab":
            rid = f"friend{pair}{side}"
            own = [(f"own-{rid}-{j}", rng.randint(50, 5000)) for j in range(6)]
            for subject, views in [(s, 2_000_000) for s in shared] + own:
                events.append((T0 + timedelta(seconds=rng.uniform(0, 2 * 86400)), rid, subject, views))
    for pair in range(40):
        for side in "ab":
            for j, subject in enumerate([*(f"own-thin-{pair}{side}-{j}" for j in range(3)), f"thin-{pair}-0",
                                         f"thin-{pair}-1"]):  # their own first: lockstep sees Jaccard 0.25
                hours = (0, 5, 17, 23, 41)[j] + rng.uniform(0, 2)  # people's irregular pace
                events.append((T0 + timedelta(hours=hours), f"thinpair{pair}{side}", subject, 150))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    observations = [make_obs(n, rid, subject, at, text=varied_text(rng), views=views, **unique_fps(rid))
                    for n, (at, rid, subject, views) in enumerate(events)]
    detector = CampaignDetector()
    suspicions, campaigns = feed(detector, observations)
    assert campaigns == {}
    friends = [(o, s) for o, s in zip(observations, suspicions, strict=True) if o.reporter_id.startswith("friend")]
    assert all(CO_REPORT not in s.signals and s.campaign_key is None for _, s in friends)
    # the popular videos weigh under the cut-off: not even a counter was kept for the friends
    assert not any(side.startswith("r:friend") for key in detector._pairs.counts for side in key)
    # two people who share two thin videos are partners (a weak signal), never linked on that alone
    thin = [(o, s) for o, s in zip(observations, suspicions, strict=True) if o.reporter_id.startswith("thinpair")]
    assert all(s.group_key.startswith("r:") and s.score < 0.2 for _, s in thin)
    assert any(CO_REPORT in s.signals for _, s in thin)


def test_pair_memory_expires_with_the_window() -> None:
    policy = CampaignPolicy()
    detector = CampaignDetector(policy)
    rng = random.Random(24)
    attack, _ = thin_spread(rng, members=60, targets=100, per_member=20, days=1.0, start=0.0)
    feed(detector, attack)
    pairs = detector._pairs
    assert pairs.counts and pairs.queue and pairs.linked
    assert any(rep.co_pairs for rep in detector._reporters.values())
    # one report after the window: every counter, dedupe entry and partner list left with it
    late = T0 + timedelta(seconds=policy.window_s + 2 * 86400)
    detector.observe(make_obs(0, "late", "elsewhere", late, **unique_fps("late")))
    assert pairs.counts == {} and not pairs.queue and pairs.seen == set() and pairs.linked == {}
    assert all(not rep.co_pairs for rep in detector._reporters.values())


def test_co_reports_further_apart_than_the_window_do_not_add_up() -> None:
    week = CampaignPolicy().window_s

    def run(gap_s: float) -> Suspicion:
        detector = CampaignDetector()
        n = 0
        for k, offset in enumerate((0.0, gap_s)):
            for rid in ("a", "b"):
                n += 1
                last = detector.observe(make_obs(n, rid, f"thin{k}", T0 + timedelta(seconds=offset + n),
                                                 views=100, **unique_fps(rid)))
        return last

    assert CO_REPORT in run(week - 86400).signals  # two thin co-reports inside the window: partners
    assert CO_REPORT not in run(week + 86400).signals  # the first one expired before the second


def test_a_queue_flood_joins_its_detected_farm_by_co_reports() -> None:
    """A farm (fresh accounts on 4 phones and one network) and aged accounts with unique fingerprints flood
    900 thin uploads, ~3 reporters each. The farm is caught by its devices; the others share no more than
    one target with any single account, but each co-reports several targets with farm members, and joins
    the farm's campaign as a unit. Honest reporters of popular videos the farm also reports (a small part
    of their reporters) do not."""
    rng = random.Random(25)
    farm = [f"farm{i}" for i in range(80)]
    loners = [f"loner{i}" for i in range(80)]
    fps = {rid: {"fp_net": "farmnet", "fp_dev": f"farmdev{i % 4}"} for i, rid in enumerate(farm)}
    fps.update({rid: unique_fps(rid) for rid in loners})
    fps.update({f"honest{i}": unique_fps(f"honest{i}") for i in range(200)})
    ages = {rid: rng.uniform(1, 10) if rid in farm else rng.uniform(30, 900) for rid in fps}
    events = []
    for k in range(900):
        for rid in rng.sample(farm + loners, 3):
            events.append((T0 + timedelta(seconds=rng.uniform(0, 86400)), rid, f"upload{k}", rng.randint(50, 400)))
    for k in range(20):  # popular videos: 10 honest reporters each (one or two videos each), and 3 farm members
        for rid in [*(f"honest{(10 * k + i) % 200}" for i in range(10)), *rng.sample(farm, 3)]:
            events.append((T0 + timedelta(seconds=rng.uniform(0, 86400)), rid, f"popular{k}", 5_000))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    observations = [make_obs(n, rid, subject, at, owner=f"owner-{subject}", text=varied_text(rng), age=ages[rid],
                             views=views, reason=rng.choice(("spam", "other")), **fps[rid])
                    for n, (at, rid, subject, views) in enumerate(events)]
    _, campaigns = feed(CampaignDetector(), observations)
    found = detected_reporters(campaigns)
    assert len(found & set(farm)) >= 0.9 * len(farm)
    assert len(found & set(loners)) >= 0.8 * len(loners), len(found & set(loners))
    assert not any(rid.startswith("honest") for rid in found)


def test_a_carrier_network_groups_reports_but_links_nobody() -> None:
    """A network that carries a large share of everyone's reporters explains two of them on one owner's
    content: their reports are grouped there, not linked. A network seen nowhere else still links."""
    rng = random.Random(26)
    detector = CampaignDetector()
    n = 0
    for k in range(300):  # everyone's background: 40 % of reporters on the carrier
        n += 1
        net = "carrier" if k % 5 < 2 else f"home{k}"
        detector.observe(make_obs(n, f"bg{k}", f"bgvid{k}", T0 + timedelta(seconds=n), owner=f"bgowner{k}",
                                  fp_net=net, fp_dev=f"dev-bg{k}", text=varied_text(rng)))
    first = detector.observe(make_obs(n + 1, "x1", "vx", T0 + timedelta(seconds=n + 1), owner="creator-x",
                                      fp_net="carrier", fp_dev="dev-x1"))
    second = detector.observe(make_obs(n + 2, "x2", "vx", T0 + timedelta(seconds=n + 2), owner="creator-x",
                                       fp_net="carrier", fp_dev="dev-x2"))
    assert first.group_key == "r:x1"
    assert second.group_key.startswith("net_") and second.campaign_key is None and second.signals == {}
    farm = [detector.observe(make_obs(n + 3 + i, f"y{i}", "vy", T0 + timedelta(seconds=n + 3 + i), owner="creator-y",
                                      fp_net="farmnet", fp_dev=f"dev-y{i}")) for i in range(2)]
    assert farm[1].group_key.startswith("cmp_") and farm[1].signals["shared_network"] > 0
    assert network_strength(2, 0.0, CampaignPolicy()) == 0.25  # seen nowhere else: as before
    assert network_strength(2, 0.8, CampaignPolicy()) == 0.0  # a carrier with 40 % of 2 reporters


# a small, eager policy so that short sequences pair up, link and expire
EAGER = replace(CampaignPolicy(), min_members=2, detect_confidence=0.3, window_s=3600.0, cohort_window_s=1800.0,
                burst_window_s=600.0, co_report_min_common=1.0, co_report_min_partners=1, co_report_fanout=3)
step = st.tuples(st.integers(0, 900), st.integers(0, 7), st.integers(0, 5), st.sampled_from((None, "n0", "n1")),
                 st.integers(0, 3000))


def _replay(steps: list[tuple[int, int, int, str | None, int]]) -> list[object]:
    detector = CampaignDetector(EAGER)
    out: list[object] = []
    at = T0
    for n, (dt, r, s, net, views) in enumerate(steps):
        at += timedelta(seconds=dt)
        out.append(detector.observe(make_obs(n, f"r{r}", f"s{s}", at, owner=f"o{s % 2}", fp_net=net, views=views)))
        out.extend(detector.drain_changes())
    out.append(sorted(detector._pairs.counts.items()))
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(step, max_size=50))
def test_co_report_replays_are_identical(steps: list[tuple[int, int, int, str | None, int]]) -> None:
    assert _replay(steps) == _replay(steps)
