"""Reputation first, then the strike: for three weeks before the window, a group reports real violations
(accurately, so reviewers uphold them and their credibility climbs), then spends that credibility on one
creator's innocent videos within an hour. History before the window has negative times."""

from __future__ import annotations

import math
from dataclasses import dataclass

from fairflag.sim.platform import DAY, HOUR, attack, innocent_targets, make_attackers, scaled, target_creator
from fairflag.sim.scenarios.base import Lines, ScenarioDef, begin, finish

NAME = "reputation_then_strike"
DESCRIPTION = "60 accounts build credibility on real violations for 20 days, then strike one creator."


@dataclass(frozen=True)
class Params:
    horizon_s: float = 3 * DAY
    history_s: float = 20 * DAY
    members: int = 60
    violations_in_history: int = 300
    reports_per_member: int = 12
    targets: int = 10
    start_s: float = 30 * HOUR
    duration_s: float = HOUR
    share: float = 0.95
    creator_followers: int = 60_000


def generate(seed: int, scale: float, params: Params = Params()) -> Lines:
    p = params
    builder, platform = begin(NAME, seed, scale, p.horizon_s)
    rng = platform.rng
    platform.organic(0.0, p.horizon_s)
    members = make_attackers(platform, scaled(p.members, scale, 8), created_between=(-3 * 365 * DAY, -120 * DAY),
                             fingerprints="organic", label="rep")
    # The reputation phase: real violations in the history, reported by the public and by the group.
    history = [platform.new_upload(float(c), violating=True, kind="video")
               for c in sorted(rng.uniform(-p.history_s - DAY, -DAY, scaled(p.violations_in_history, scale, 20)))]
    platform.user_reports(history, -p.history_s, 0.0)
    for member in members:
        for i in rng.choice(len(history), size=min(len(history), p.reports_per_member), replace=False):
            s = history[int(i)]
            t = s.created_at + float(rng.lognormal(math.log(2 * HOUR), 0.7))
            assert s.reason is not None
            builder.report(min(t, -60.0), member.id, s.id, s.reason, fp_net=member.fp_net, fp_dev=member.fp_dev)
    # The strike.
    creator = target_creator(platform, followers=p.creator_followers)
    targets = innocent_targets(platform, creator, p.targets, created_between=(-5 * DAY, p.start_s - HOUR))
    attack(platform, members, [t.id for t in targets], start=p.start_s, duration=p.duration_s, share=p.share,
           reasons=("violence", "minor_safety", "hate"), text="varied")
    return finish(builder, platform, DESCRIPTION)


SCENARIO = ScenarioDef(NAME, DESCRIPTION, generate)
