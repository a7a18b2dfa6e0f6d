"""The scenario registry: one module per scenario, each parameterised (its ``Params``) and registered here by
name. ``generate(name, seed, scale)`` returns the raw ``fairflag-events/1`` lines, header first."""

from __future__ import annotations

from fairflag.sim.scenarios import (
    aged_group,
    bot_swarm_fresh,
    legit_scam_community,
    livestream_brigade,
    no_attack,
    queue_flood,
    reputation_then_strike,
    retaliation,
    slow_drip,
    spread_targets,
    swarm_unique_fingerprints,
)
from fairflag.sim.scenarios.base import Lines, ScenarioDef

SCENARIOS: dict[str, ScenarioDef] = {
    module.SCENARIO.name: module.SCENARIO
    for module in (no_attack, bot_swarm_fresh, swarm_unique_fingerprints, aged_group, slow_drip, spread_targets,
                   reputation_then_strike, retaliation, livestream_brigade, queue_flood, legit_scam_community)
}


class UnknownScenario(KeyError):
    def __str__(self) -> str:
        return f"unknown scenario {self.args[0]!r}; known: {', '.join(SCENARIOS)}"


def generate(name: str, seed: int, scale: float) -> Lines:
    if name not in SCENARIOS:
        raise UnknownScenario(name)
    return SCENARIOS[name].generate(seed, scale)


__all__ = ["SCENARIOS", "Lines", "ScenarioDef", "UnknownScenario", "generate"]
