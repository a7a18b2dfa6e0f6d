"""Spread-out attacks: a pool of accounts (aged and ordinary, or a mix with fresh ones) files one to three
reports each on many innocent uploads of many different creators, over hours to a day, so no subject gets
more than a thin trickle and no creator stands out. Every report looks like an honest mistake."""

from __future__ import annotations

import math

from fairflag.sim.platform import DAY, HOUR, make_attackers
from fairflag.sim.worlds.base import FamilyDef, Lines, begin, window

NAME = "spread_out"
DESCRIPTION = "Many accounts file one to three reports each on many innocent uploads of many creators."
REASONS = ("spam", "hate", "harassment", "sexual_content", "violence", "scam_fraud", "other")


def generate(seed: int, scale: float) -> Lines:
    w = begin(NAME, seed, scale)
    rng, platform, b = w.rng, w.platform, w.builder
    platform.organic(0.0, w.horizon_s)
    n = w.size(20, 300, 6)
    fresh = float(rng.uniform(0.0, 0.6))
    accounts = (make_attackers(platform, round(n * fresh), created_between=(-10 * DAY, -HOUR),
                               fingerprints="unique", label="spreadnew")
                + make_attackers(platform, n - round(n * fresh), created_between=(-4 * 365 * DAY, -60 * DAY),
                                 fingerprints="organic", label="spread"))
    targets = w.size(30, 400, 10)
    duration = float(math.exp(rng.uniform(math.log(2 * HOUR), math.log(24 * HOUR))))
    duration = min(duration, 0.8 * w.horizon_s)
    start = window(w, earliest_h=2.0, latest_share=0.95, duration_s=duration)
    reasons = REASONS[: int(rng.integers(2, len(REASONS) + 1))]
    k = 0
    for c in sorted(rng.uniform(-2 * DAY, start + duration - HOUR, targets)):
        s = platform.new_upload(float(c), kind="video", violating=False)
        s.attacked = True
        for i in rng.choice(len(accounts), size=min(int(rng.integers(1, 4)), len(accounts)), replace=False):
            a = accounts[int(i)]
            t = max(s.created_at + 60, start) + float(rng.uniform(0, duration))
            b.report(t, a.id, s.id, reasons[int(rng.integers(len(reasons)))], text=platform.organic_text(),
                     fp_net=a.fp_net, fp_dev=a.fp_dev, abusive=True)
            k += 1
    w.note(accounts=n, fresh_share=fresh, targets=targets, duration_h=duration / HOUR, attack_reports=k,
           attack_size=n)
    return w.finish(DESCRIPTION)


FAMILY = FamilyDef(NAME, DESCRIPTION, generate)
