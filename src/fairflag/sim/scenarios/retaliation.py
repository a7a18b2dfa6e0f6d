"""Retaliation: a creator who reported another creator's real violations is mass-reported back by that
creator's friends (real aged accounts), on their videos and their profile, over an afternoon."""

from __future__ import annotations

import math
from dataclasses import dataclass

from fairflag.sim.platform import DAY, HOUR, attack, innocent_targets, make_attackers, scaled, target_creator
from fairflag.sim.scenarios.base import Lines, ScenarioDef, begin, finish

NAME = "retaliation"
DESCRIPTION = "Friends of a reported creator mass-report the creator who reported them (videos and profile)."
TEMPLATES = ("this creator harasses people and lies about others", "fake account pretending to be someone")


@dataclass(frozen=True)
class Params:
    horizon_s: float = 3 * DAY
    friends: int = 40
    offending_videos: int = 8
    victim_videos: int = 15
    start_s: float = 26 * HOUR
    duration_s: float = 12 * HOUR
    share: float = 0.8


def generate(seed: int, scale: float, params: Params = Params()) -> Lines:
    p = params
    builder, platform = begin(NAME, seed, scale, p.horizon_s)
    rng = platform.rng
    platform.organic(0.0, p.horizon_s)
    victim = target_creator(platform, followers=80_000, age_days=1500)
    offender = target_creator(platform, followers=120_000, age_days=700)
    # The victim reports the offender's real violations (upheld), before the window.
    for c in sorted(rng.uniform(-10 * DAY, -2 * DAY, p.offending_videos)):
        s = platform.new_upload(float(c), creator=offender, kind="video", violating=True,
                                reason=str(rng.choice(["harassment", "hate"])))
        platform.user_reports([s], -10 * DAY, 0.0)
        builder.report(s.created_at + float(rng.lognormal(math.log(HOUR), 0.5)), victim.id, s.id, s.reason or "other",
                       text="this video targets a person with abuse")
    targets = [s.id for s in innocent_targets(platform, victim, p.victim_videos,
                                              created_between=(-7 * DAY, p.start_s - HOUR))]
    profile = platform.new_upload(-1500 * DAY, creator=victim, kind="account", violating=False)
    profile.attacked = True
    targets.append(profile.id)
    friends = make_attackers(platform, scaled(p.friends, scale, 6), created_between=(-4 * 365 * DAY, -100 * DAY),
                             fingerprints="organic", label="friends")
    attack(platform, friends, targets, start=p.start_s, duration=p.duration_s, share=p.share,
           reasons=("harassment", "impersonation", "hate"), text="template", templates=TEMPLATES)
    return finish(builder, platform, DESCRIPTION)


SCENARIO = ScenarioDef(NAME, DESCRIPTION, generate)
