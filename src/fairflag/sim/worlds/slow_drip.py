"""Slow drips: aged accounts with ordinary fingerprints report one or two creators' innocent videos a few
times a day for days, never bursting, with varied text, while also reporting real violations now and then
(so their record stays good). No hour looks unusual; only the whole week does. Worlds last three to five
days."""

from __future__ import annotations

import math

from fairflag.sim.platform import DAY, HOUR, attack, innocent_targets, make_attackers, target_creator
from fairflag.sim.worlds.base import FamilyDef, Lines, begin, window

NAME = "slow_drip"
DESCRIPTION = "Aged accounts report a creator's innocent videos a few times a day for days."
REASONS = ("harassment", "hate", "violence", "sexual_content", "spam")


def generate(seed: int, scale: float) -> Lines:
    w = begin(NAME, seed, scale, horizon_days=(3.0, 5.0))
    rng, platform, b = w.rng, w.platform, w.builder
    organic = platform.organic(0.0, w.horizon_s)
    members = make_attackers(platform, w.size(10, 150, 5), created_between=(-4 * 365 * DAY, -60 * DAY),
                             fingerprints="organic", label="drip")
    duration = float(rng.uniform(0.6, 0.95)) * w.horizon_s
    start = window(w, earliest_h=1.0, latest_share=1.0, duration_s=duration)
    targets: list[str] = []
    creators = int(rng.integers(1, 3))
    for _ in range(creators):
        creator = target_creator(platform, followers=int(rng.lognormal(9.5, 1.5)))
        targets += [s.id for s in innocent_targets(platform, creator, int(rng.integers(1, 9)),
                                                   created_between=(-8 * DAY, start),
                                                   views_factor=float(rng.uniform(0.5, 4)))]
    share = float(rng.uniform(0.3, 0.9))
    k = attack(platform, members, targets, start=start, duration=duration, share=share,
               reasons=REASONS[: int(rng.integers(1, len(REASONS) + 1))], text="varied")
    cover = [s for s in organic if s.violating and s.kind != "livestream"]
    for member in members:  # an honest-looking record: a real violation reported now and then
        for i in rng.choice(len(cover), size=min(len(cover), int(rng.integers(0, 3))), replace=False) if cover else ():
            s = cover[int(i)]
            t = s.created_at + float(rng.lognormal(math.log(3 * HOUR), 0.8))
            assert s.reason is not None
            b.report(t, member.id, s.id, s.reason, fp_net=member.fp_net, fp_dev=member.fp_dev)
    w.note(members=len(members), creators=creators, targets=len(targets), duration_h=duration / HOUR, share=share,
           attack_reports=k, attack_size=len(members))
    return w.finish(DESCRIPTION)


FAMILY = FamilyDef(NAME, DESCRIPTION, generate)
