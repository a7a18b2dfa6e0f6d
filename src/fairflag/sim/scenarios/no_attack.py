"""No attack: three days of organic reporting. The control: every engine should look sane here."""

from __future__ import annotations

from dataclasses import dataclass

from fairflag.sim.platform import DAY
from fairflag.sim.scenarios.base import Lines, ScenarioDef, begin, finish

NAME = "no_attack"
DESCRIPTION = "Organic reporting only (control)."


@dataclass(frozen=True)
class Params:
    horizon_s: float = 3 * DAY


def generate(seed: int, scale: float, params: Params = Params()) -> Lines:
    builder, platform = begin(NAME, seed, scale, params.horizon_s)
    platform.organic(0.0, params.horizon_s)
    return finish(builder, platform, DESCRIPTION)


SCENARIO = ScenarioDef(NAME, DESCRIPTION, generate)
