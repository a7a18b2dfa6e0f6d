"""A report-for-hire bot swarm: fresh accounts from a device farm (shared fingerprints) hit one creator's
videos with severe reasons inside the hour. The crudest mass-report attack, and the one count thresholds
fall for."""

from __future__ import annotations

from dataclasses import dataclass

from fairflag.sim.platform import DAY, HOUR, attack, innocent_targets, make_attackers, scaled, target_creator
from fairflag.sim.scenarios.base import Lines, ScenarioDef, begin, finish

NAME = "bot_swarm_fresh"
DESCRIPTION = "Fresh bot accounts sharing device/network fingerprints mass-report one creator within the hour."
TEMPLATES = ("This video promotes hate and violence, remove it now",
             "Extremely violent and hateful content, report this creator",
             "Sexual content shown to minors, please take down")


@dataclass(frozen=True)
class Params:
    horizon_s: float = 3 * DAY
    bots: int = 1000
    devices: int = 25
    networks: int = 5
    targets: int = 5
    start_s: float = 30 * HOUR
    duration_s: float = 45 * 60
    share: float = 0.9
    creator_followers: int = 20_000


def generate(seed: int, scale: float, params: Params = Params()) -> Lines:
    p = params
    builder, platform = begin(NAME, seed, scale, p.horizon_s)
    platform.organic(0.0, p.horizon_s)
    creator = target_creator(platform, followers=p.creator_followers)
    targets = innocent_targets(platform, creator, p.targets, created_between=(-5 * DAY, p.start_s - 2 * HOUR))
    bots = make_attackers(platform, scaled(p.bots, scale, 12), created_between=(p.start_s - 3 * DAY, p.start_s - HOUR),
                          fingerprints="shared", devices=p.devices, networks=p.networks, label="farm")
    attack(platform, bots, [t.id for t in targets], start=p.start_s, duration=p.duration_s, share=p.share,
           reasons=("hate", "violence", "sexual_content"), text="template", templates=TEMPLATES)
    return finish(builder, platform, DESCRIPTION)


SCENARIO = ScenarioDef(NAME, DESCRIPTION, generate)
