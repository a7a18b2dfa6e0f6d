"""A coordinated group of real, aged accounts (the Meta takedowns: 200-300 accounts, hundreds of reports per
target), each on their own device, reporting three creators' videos in waves over an evening."""

from __future__ import annotations

from dataclasses import dataclass

from fairflag.sim.platform import DAY, HOUR, attack, innocent_targets, make_attackers, scaled, target_creator
from fairflag.sim.scenarios.base import Lines, ScenarioDef, begin, finish

NAME = "aged_group"
DESCRIPTION = "250 coordinated aged real accounts report three creators' videos in waves over eight hours."
TEMPLATES = ("hate speech against our community", "this account harasses people", "impersonating a public figure")


@dataclass(frozen=True)
class Params:
    horizon_s: float = 3 * DAY
    members: int = 250
    creators: int = 3
    targets_per_creator: int = 7
    start_s: float = 32 * HOUR
    waves: int = 3
    wave_gap_s: float = 3 * HOUR
    wave_s: float = 90 * 60
    share: float = 0.3  # per wave: each member joins about share * waves of the waves per target


def generate(seed: int, scale: float, params: Params = Params()) -> Lines:
    p = params
    builder, platform = begin(NAME, seed, scale, p.horizon_s)
    platform.organic(0.0, p.horizon_s)
    members = make_attackers(platform, scaled(p.members, scale, 10), created_between=(-5 * 365 * DAY, -200 * DAY),
                             fingerprints="organic", verified_share=0.03, label="group")
    targets: list[str] = []
    for i in range(p.creators):
        creator = target_creator(platform, followers=int(15_000 * (i + 1)))
        targets += [s.id for s in innocent_targets(platform, creator, p.targets_per_creator,
                                                   created_between=(-6 * DAY, p.start_s - HOUR))]
    for wave in range(p.waves):
        attack(platform, members, targets, start=p.start_s + wave * p.wave_gap_s, duration=p.wave_s, share=p.share,
               reasons=("hate", "harassment", "impersonation"), text="varied" if wave else "template",
               templates=TEMPLATES)
    return finish(builder, platform, DESCRIPTION)


SCENARIO = ScenarioDef(NAME, DESCRIPTION, generate)
