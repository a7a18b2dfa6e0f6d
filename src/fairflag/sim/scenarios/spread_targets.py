"""An attack spread thin to hide: 200 aged accounts each report ~25 of 300 videos by many creators over two
days, so each target sees only a handful of reports. Only the overlap of target sets (lockstep) shows it."""

from __future__ import annotations

from dataclasses import dataclass

from fairflag.sim.platform import DAY, HOUR, attack, make_attackers, scaled
from fairflag.sim.scenarios.base import Lines, ScenarioDef, begin, finish

NAME = "spread_targets"
DESCRIPTION = "200 aged accounts spread ~25 reports each over 300 videos of many creators in two days."


@dataclass(frozen=True)
class Params:
    horizon_s: float = 3 * DAY
    members: int = 200
    targets: int = 300
    per_member: float = 25.0
    start_s: float = 12 * HOUR
    duration_s: float = 2 * DAY


def generate(seed: int, scale: float, params: Params = Params()) -> Lines:
    p = params
    builder, platform = begin(NAME, seed, scale, p.horizon_s)
    platform.organic(0.0, p.horizon_s)
    n_targets = scaled(p.targets, scale, 12)
    targets = []
    for c in sorted(platform.rng.uniform(-3 * DAY, p.start_s, n_targets)):
        s = platform.new_upload(float(c), kind="video", violating=False)
        s.attacked = True
        targets.append(s.id)
    members = make_attackers(platform, scaled(p.members, scale, 8), created_between=(-3 * 365 * DAY, -60 * DAY),
                             fingerprints="organic", label="spread")
    attack(platform, members, targets, start=p.start_s, duration=p.duration_s,
           share=min(1.0, p.per_member / n_targets), reasons=("hate", "harassment", "violence"), text="varied")
    return finish(builder, platform, DESCRIPTION)


SCENARIO = ScenarioDef(NAME, DESCRIPTION, generate)
