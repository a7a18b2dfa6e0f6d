"""A swarm that rotates fingerprints: fresh accounts behind residential proxies, one device each, no shared
text, spread over three hours. Fingerprint matching sees nothing; the burst against exposure and the fresh
cohort remain."""

from __future__ import annotations

from dataclasses import dataclass

from fairflag.sim.platform import DAY, HOUR, attack, innocent_targets, make_attackers, scaled, target_creator
from fairflag.sim.scenarios.base import Lines, ScenarioDef, begin, finish

NAME = "swarm_unique_fingerprints"
DESCRIPTION = "Fresh accounts with unique fingerprints (proxies), no shared text, over three hours."


@dataclass(frozen=True)
class Params:
    horizon_s: float = 3 * DAY
    bots: int = 800
    targets: int = 5
    start_s: float = 28 * HOUR
    duration_s: float = 3 * HOUR
    share: float = 0.85
    creator_followers: int = 40_000


def generate(seed: int, scale: float, params: Params = Params()) -> Lines:
    p = params
    builder, platform = begin(NAME, seed, scale, p.horizon_s)
    platform.organic(0.0, p.horizon_s)
    creator = target_creator(platform, followers=p.creator_followers)
    targets = innocent_targets(platform, creator, p.targets, created_between=(-4 * DAY, p.start_s - HOUR))
    bots = make_attackers(platform, scaled(p.bots, scale, 12), created_between=(p.start_s - 10 * DAY, p.start_s - HOUR),
                          fingerprints="unique", label="proxy")
    attack(platform, bots, [t.id for t in targets], start=p.start_s, duration=p.duration_s, share=p.share,
           reasons=("sexual_content", "minor_safety", "violence"), text="varied")
    return finish(builder, platform, DESCRIPTION)


SCENARIO = ScenarioDef(NAME, DESCRIPTION, generate)
