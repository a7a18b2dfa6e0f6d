"""Brigades of real users on viral content: aged accounts with ordinary devices and networks (drawn like
everyone's), no shared text, report a viral innocent video (or a few) of a creator they dislike, over one to
twelve hours. Viral content also draws many honest-but-mistaken organic reports, so the brigade hides in a
crowd that is itself mostly wrong."""

from __future__ import annotations

import math

from fairflag.sim.platform import DAY, HOUR, attack, innocent_targets, make_attackers, target_creator
from fairflag.sim.worlds.base import FamilyDef, Lines, begin, window

NAME = "brigade"
DESCRIPTION = "Aged real users with ordinary fingerprints brigade viral innocent videos."
REASONS = ("hate", "harassment", "harmful_content", "violence", "other")


def generate(seed: int, scale: float) -> Lines:
    w = begin(NAME, seed, scale)
    rng, platform = w.rng, w.platform
    platform.organic(0.0, w.horizon_s)
    n = w.size(40, 600, 10)
    users = make_attackers(platform, n, created_between=(-6 * 365 * DAY, -45 * DAY), fingerprints="organic",
                           label="brigade")
    creator = target_creator(platform, followers=int(rng.lognormal(13.0, 1.0)), age_days=float(rng.uniform(200, 3000)),
                             verified=bool(rng.random() < 0.5))
    duration = float(math.exp(rng.uniform(math.log(HOUR), math.log(12 * HOUR))))
    start = window(w, earliest_h=3.0, latest_share=0.7, duration_s=duration)
    targets = innocent_targets(platform, creator, int(rng.integers(1, 4)), created_between=(start - 12 * HOUR, start),
                               views_factor=float(rng.uniform(5, 60)))
    platform.user_reports(targets, 0.0, w.horizon_s)
    share = float(rng.uniform(0.4, 0.95))
    k = attack(platform, users, [s.id for s in targets], start=start, duration=duration, share=share,
               reasons=REASONS, text="varied" if rng.random() < 0.6 else "none")
    w.note(users=n, targets=len(targets), duration_min=duration / 60, share=share, attack_reports=k,
           max_views=max(int(s.total_views) for s in targets), attack_size=n)
    return w.finish(DESCRIPTION)


FAMILY = FamilyDef(NAME, DESCRIPTION, generate)
