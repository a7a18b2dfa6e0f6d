"""A livestream brigade: hundreds of accounts (half a fresh device farm, half real aged accounts) report an
innocent live broadcast within minutes of it starting, twice, while the organic side has more livestreams
than usual, some of them really violating and in need of fast action."""

from __future__ import annotations

from dataclasses import dataclass

from fairflag.sim.platform import DAY, HOUR, attack, innocent_targets, make_attackers, scaled, target_creator
from fairflag.sim.scenarios.base import Lines, ScenarioDef, begin, finish

NAME = "livestream_brigade"
DESCRIPTION = "300 accounts brigade two innocent livestreams within minutes; violating livestreams also arrive."
TEMPLATES = ("nudity on live right now", "streamer showing violence live", "sexual content on stream")


@dataclass(frozen=True)
class Params:
    horizon_s: float = 3 * DAY
    brigaders: int = 300
    raids: tuple[float, ...] = (30 * HOUR, 52 * HOUR)
    raid_s: float = 20 * 60
    live_s: float = 2 * HOUR
    share: float = 0.9
    livestream_share: float = 0.15
    streamer_followers: int = 200_000


def generate(seed: int, scale: float, params: Params = Params()) -> Lines:
    p = params
    builder, platform = begin(NAME, seed, scale, p.horizon_s)
    platform.organic(0.0, p.horizon_s, livestream_share=p.livestream_share)
    n = scaled(p.brigaders, scale, 12)
    brigade = (make_attackers(platform, n // 2, created_between=(-3 * DAY, -HOUR), fingerprints="shared",
                              devices=15, networks=4, label="raid")
               + make_attackers(platform, n - n // 2, created_between=(-3 * 365 * DAY, -60 * DAY),
                                fingerprints="organic", label="raidfans"))
    for start in p.raids:
        streamer = target_creator(platform, followers=p.streamer_followers)
        (stream,) = innocent_targets(platform, streamer, 1, created_between=(start, start + 1), kind="livestream",
                                     views_factor=3.0)
        stream.live_until = stream.created_at + p.live_s
        attack(platform, brigade, [stream.id], start=start + 120, duration=p.raid_s, share=p.share,
               reasons=("sexual_content", "violence"), text="template", templates=TEMPLATES)
    return finish(builder, platform, DESCRIPTION)


SCENARIO = ScenarioDef(NAME, DESCRIPTION, generate)
