"""World families for the held-out evaluation: each family draws whole worlds (organic platform, reviewer
capacity, attack or honest crowd) with randomised parameters, so an engine is judged on worlds nobody tuned it
on. ``generate(family, seed, scale)`` returns the raw ``fairflag-events/1`` lines, header first; the same
(family, seed, scale) always gives the same world.

Seed sets (fixed; documented in the README, "Held-out worlds"):

* ``TUNE_SEEDS`` (1–5): for looking at and tuning the engine.
* ``HELDOUT_SEEDS`` (1001–1010): for measuring only. Never tune on them; when they have been looked at too
  often, move to a fresh range (and say so) rather than tuning against these.
"""

from __future__ import annotations

from fairflag.sim.worlds import (
    brigade,
    legit_coordination,
    livestream_raid,
    queue_flood,
    quiet_day,
    reputation_ring,
    retaliation,
    slow_drip,
    spread_out,
    swarm,
)
from fairflag.sim.worlds.base import FamilyDef, Lines

FAMILIES: dict[str, FamilyDef] = {
    module.FAMILY.name: module.FAMILY
    for module in (legit_coordination, reputation_ring, swarm, brigade, livestream_raid, queue_flood, slow_drip,
                   retaliation, spread_out, quiet_day)
}
TUNE_SEEDS: tuple[int, ...] = tuple(range(1, 6))
HELDOUT_SEEDS: tuple[int, ...] = tuple(range(1001, 1011))
SEED_SETS: dict[str, tuple[int, ...]] = {"tune": TUNE_SEEDS, "held-out": HELDOUT_SEEDS}


class UnknownFamily(KeyError):
    def __str__(self) -> str:
        return f"unknown family {self.args[0]!r}; known: {', '.join(FAMILIES)}"


def generate(family: str, seed: int, scale: float) -> Lines:
    if family not in FAMILIES:
        raise UnknownFamily(family)
    return FAMILIES[family].generate(seed, scale)


def label(family: str, seed: int) -> str:
    """A world's name in streams and results."""
    return f"{family}-{seed}"


__all__ = ["FAMILIES", "HELDOUT_SEEDS", "SEED_SETS", "TUNE_SEEDS", "FamilyDef", "Lines", "UnknownFamily",
           "generate", "label"]
