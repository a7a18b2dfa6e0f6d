"""Livestream raids: one to three innocent live broadcasts are raided within minutes of going live by a mix
of a fresh device farm and aged real accounts (the share of each drawn), while more livestreams than usual
run, some of them really violating and reported organically at the same moment. The raid is loud; the real
violations next to it must still be ended within minutes."""

from __future__ import annotations

import math

from fairflag.sim.platform import DAY, HOUR, attack, innocent_targets, make_attackers, target_creator
from fairflag.sim.worlds.base import FamilyDef, Lines, begin, window

NAME = "livestream_raid"
DESCRIPTION = "Raids on innocent livestreams while violating livestreams are live at the same time."
REASONS = ("sexual_content", "violence", "self_harm", "minor_safety")
TEMPLATES = ("nudity on live right now", "streamer is hurting someone live", "kid on stream in danger")


def generate(seed: int, scale: float) -> Lines:
    w = begin(NAME, seed, scale)
    rng, platform = w.rng, w.platform
    live_share = float(rng.uniform(0.1, 0.3))
    platform.organic(0.0, w.horizon_s, livestream_share=live_share)
    n = w.size(30, 500, 10)
    farm_share = float(rng.uniform(0.0, 1.0))
    n_farm = round(n * farm_share)
    raiders = (make_attackers(platform, n_farm, created_between=(-5 * DAY, -HOUR), fingerprints="shared",
                              devices=max(1, n_farm // 8), networks=int(rng.integers(1, 6)), label="raid")
               + make_attackers(platform, n - n_farm, created_between=(-4 * 365 * DAY, -30 * DAY),
                                fingerprints="organic", label="raidfans"))
    raids = int(rng.integers(1, 4))
    k = 0
    violating_live = 0
    for _ in range(raids):
        duration = float(math.exp(rng.uniform(math.log(3 * 60), math.log(40 * 60))))
        start = window(w, earliest_h=2.0, latest_share=0.85, duration_s=duration)
        streamer = target_creator(platform, followers=int(rng.lognormal(11.0, 1.5)))
        (stream,) = innocent_targets(platform, streamer, 1, created_between=(start - 600, start - 60),
                                     kind="livestream", views_factor=float(rng.uniform(1, 6)))
        stream.live_until = stream.created_at + float(rng.uniform(1, 4)) * HOUR
        platform.user_reports([stream], 0.0, w.horizon_s)
        k += attack(platform, raiders, [stream.id], start=start, duration=duration, share=float(rng.uniform(0.5, 1)),
                    reasons=REASONS[: int(rng.integers(1, len(REASONS) + 1))],
                    text="template" if rng.random() < 0.6 else "varied", templates=TEMPLATES)
        # Real violations going live around the raid.
        for _ in range(int(rng.integers(1, 4))):
            live = platform.new_upload(start + float(rng.uniform(-1200, 1200)), kind="livestream", violating=True,
                                       reason=REASONS[int(rng.integers(len(REASONS)))],
                                       views_factor=float(rng.uniform(1, 5)))
            live.live_until = live.created_at + float(rng.uniform(0.5, 3)) * HOUR
            platform.user_reports([live], 0.0, w.horizon_s)
            violating_live += 1
    w.note(raiders=n, farm_share=farm_share, raids=raids, live_share=live_share,
           injected_violating_live=violating_live, attack_reports=k, attack_size=n)
    return w.finish(DESCRIPTION)


FAMILY = FamilyDef(NAME, DESCRIPTION, generate)
