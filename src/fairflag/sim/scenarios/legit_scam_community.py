"""A community reporting a real scam together: a fake crypto giveaway (three videos and a livestream) is
reported by 150 members of a real community within an hour or two, many with the same warning text. This
is coordinated and right: it must be actioned fast, and its reporters must not be punished."""

from __future__ import annotations

from dataclasses import dataclass

from fairflag.sim.platform import DAY, HOUR, attack, make_attackers, scaled, target_creator
from fairflag.sim.scenarios.base import Lines, ScenarioDef, begin, finish

NAME = "legit_scam_community"
DESCRIPTION = "150 community members report a real crypto-giveaway scam together (coordinated and right)."
TEMPLATES = ("This is a scam, do not send any money to this giveaway",
             "fake crypto giveaway scam, they stole from our members",
             "SCAM: the link in bio steals your wallet")
COHORT = "legit_scam"


@dataclass(frozen=True)
class Params:
    horizon_s: float = 3 * DAY
    members: int = 150
    videos: int = 3
    start_s: float = 34 * HOUR
    duration_s: float = 2 * HOUR
    share: float = 0.8


def generate(seed: int, scale: float, params: Params = Params()) -> Lines:
    p = params
    builder, platform = begin(NAME, seed, scale, p.horizon_s)
    rng = platform.rng
    platform.organic(0.0, p.horizon_s)
    scammer = target_creator(platform, followers=3_000, age_days=20)
    scams = [platform.new_upload(float(c), creator=scammer, kind="video", violating=True, reason="scam_fraud",
                                 cohort=COHORT, views_factor=4.0)
             for c in sorted(rng.uniform(p.start_s - 6 * HOUR, p.start_s - HOUR, p.videos))]
    live = platform.new_upload(p.start_s + 30 * 60, creator=scammer, kind="livestream", violating=True,
                               reason="scam_fraud", cohort=COHORT, views_factor=4.0)
    live.live_until = live.created_at + 3 * HOUR
    scams.append(live)
    platform.user_reports(scams, p.start_s - 6 * HOUR, p.horizon_s)
    members = make_attackers(platform, scaled(p.members, scale, 8), created_between=(-4 * 365 * DAY, -30 * DAY),
                             fingerprints="organic", label="community")
    attack(platform, members, [s.id for s in scams], start=p.start_s, duration=p.duration_s, share=p.share,
           reasons=("scam_fraud",), text="template", templates=TEMPLATES, abusive=False)
    return finish(builder, platform, DESCRIPTION)


SCENARIO = ScenarioDef(NAME, DESCRIPTION, generate)
