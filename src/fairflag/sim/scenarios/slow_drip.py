"""A slow drip: aged accounts report one creator's videos a few times a day for a week, never bursting, so
no single window looks unusual. Eight days of organic traffic around it."""

from __future__ import annotations

from dataclasses import dataclass

from fairflag.sim.platform import DAY, attack, innocent_targets, make_attackers, scaled, target_creator
from fairflag.sim.scenarios.base import Lines, ScenarioDef, begin, finish

NAME = "slow_drip"
DESCRIPTION = "150 aged accounts report one creator's ten videos a few times a day for seven days."


@dataclass(frozen=True)
class Params:
    horizon_s: float = 8 * DAY
    members: int = 150
    targets: int = 10
    start_s: float = 0.5 * DAY
    duration_s: float = 7 * DAY
    share: float = 0.8
    creator_followers: int = 30_000


def generate(seed: int, scale: float, params: Params = Params()) -> Lines:
    p = params
    builder, platform = begin(NAME, seed, scale, p.horizon_s)
    platform.organic(0.0, p.horizon_s)
    creator = target_creator(platform, followers=p.creator_followers)
    targets = innocent_targets(platform, creator, p.targets, created_between=(-10 * DAY, p.start_s))
    members = make_attackers(platform, scaled(p.members, scale, 8), created_between=(-4 * 365 * DAY, -90 * DAY),
                             fingerprints="organic", label="drip")
    attack(platform, members, [t.id for t in targets], start=p.start_s, duration=p.duration_s, share=p.share,
           reasons=("harassment", "hate"), text="varied")
    return finish(builder, platform, DESCRIPTION)


SCENARIO = ScenarioDef(NAME, DESCRIPTION, generate)
