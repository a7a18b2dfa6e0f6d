"""Reputation rings: aged accounts with ordinary fingerprints build credibility by reporting real violations
accurately (3–8 days of history, reviewers uphold them), keep doing so during the window as camouflage, and
then spend that credibility on innocent subjects of one to three creators, quickly or over hours, with any
mix of text. The strike is small (a few dozen accounts): no report count would notice it, a credibility
weighting would amplify it."""

from __future__ import annotations

import math

from fairflag.sim.platform import DAY, HOUR, attack, innocent_targets, make_attackers, target_creator
from fairflag.sim.worlds.base import FamilyDef, Lines, begin, choice, window

NAME = "reputation_ring"
DESCRIPTION = "Aged accounts earn credibility on real violations, then strike innocent creators."
REASONS = ("violence", "minor_safety", "hate", "harassment", "sexual_content", "self_harm")
TEMPLATES = ("this creator posts disturbing content, please review", "not safe for kids, reported before")


def generate(seed: int, scale: float) -> Lines:
    w = begin(NAME, seed, scale)
    rng, platform, b = w.rng, w.platform, w.builder
    platform.organic(0.0, w.horizon_s)
    members = make_attackers(platform, w.size(15, 120, 6), created_between=(-4 * 365 * DAY, -60 * DAY),
                             fingerprints="organic", label="ring")
    history_days = float(rng.uniform(3, 8))
    per_member = int(rng.integers(4, 16))
    n_history = max(per_member + 2, round(float(rng.uniform(40, 200)) * scale))
    history = [platform.new_upload(float(c), violating=True, kind="video")
               for c in sorted(rng.uniform(-history_days * DAY, -HOUR, n_history))]
    platform.user_reports(history, -history_days * DAY, 0.0)
    duration = float(math.exp(rng.uniform(math.log(15 * 60), math.log(8 * HOUR))))
    start = window(w, earliest_h=4.0, latest_share=0.7, duration_s=duration)
    # Camouflage: real violations in the window, reported by the ring too.
    live_cover = [platform.new_upload(float(c), violating=True, kind="video")
                  for c in sorted(rng.uniform(0, w.horizon_s - HOUR, max(2, round(20 * scale))))]
    platform.user_reports(live_cover, 0.0, w.horizon_s)
    for pool, lo, hi in ((history, -history_days * DAY, -60.0), (live_cover, 0.0, w.horizon_s)):
        k = per_member if pool is history else max(1, per_member // 4)
        for member in members:
            for i in rng.choice(len(pool), size=min(len(pool), k), replace=False):
                s = pool[int(i)]
                t = min(hi, max(lo, s.created_at + float(rng.lognormal(math.log(2 * HOUR), 0.7))))
                assert s.reason is not None
                b.report(t, member.id, s.id, s.reason, fp_net=member.fp_net, fp_dev=member.fp_dev)
    n_creators = int(rng.integers(1, 4))
    targets: list[str] = []
    for _ in range(n_creators):
        creator = target_creator(platform, followers=int(rng.lognormal(9.5, 1.8)),
                                 age_days=float(rng.uniform(60, 2000)))
        targets += [s.id for s in innocent_targets(platform, creator, int(rng.integers(2, 15)),
                                                   created_between=(-5 * DAY, start - HOUR),
                                                   views_factor=float(rng.uniform(0.5, 5)))]
    share = float(rng.uniform(0.3, 0.95))
    text = choice(rng, ("varied", "template", "none"))
    n = attack(platform, members, targets, start=start, duration=duration, share=share,
               reasons=REASONS[: int(rng.integers(2, len(REASONS) + 1))], text=text, templates=TEMPLATES)
    w.note(members=len(members), history_days=history_days, reports_per_member=per_member, creators=n_creators,
           targets=len(targets), duration_min=duration / 60, share=share, text=text, attack_reports=n,
           attack_size=len(members))
    return w.finish(DESCRIPTION)


FAMILY = FamilyDef(NAME, DESCRIPTION, generate)
