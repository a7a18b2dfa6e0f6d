"""What every world family shares: drawing the environment a world happens in, and finishing its stream.

A world is a whole ``fairflag-events/1`` stream drawn from a family with randomised parameters. The family
decides the attack (or the honest crowd); :func:`begin` draws everything around it from the same seeded
generator, so no family is tested only on the platform the hand-written scenarios were tuned on:

* the organic platform's size (``scale`` × 0.04–0.16 of the default platform) and how long the world lasts;
* how reports read: the share of honest-and-right against honest-but-mistaken reports (reports on violating
  content 15–120 times as likely per view as on innocent content: 10–45 % of user reports upheld), reports
  per view, how many reports carry text and fingerprints, the share of livestreams, the violation rate;
* reviewer capacity, log-uniform from 6 to 120 decisions an hour (times ``scale``), and their error rates.

Everything the draw chose goes into the header's ``world`` object (unknown header fields are ignored by the
reader), with the attack's size, so a report can plot harm against it. Deterministic for (family, seed,
scale): every draw comes from one ``numpy`` generator seeded from them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from fairflag.sim.platform import DAY, HOUR, Platform, PlatformParams, StreamBuilder, stable_seed

Lines = list[dict[str, Any]]
PER_HOUR = (6.0, 120.0)  # reviewer capacity drawn log-uniformly in this range, times the scale


@dataclass(frozen=True)
class FamilyDef:
    name: str
    description: str
    generate: Callable[[int, float], Lines]


def log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


@dataclass
class World:
    """A world being built: its builder, organic platform, generator and the parameters drawn so far."""

    family: str
    seed: int
    scale: float
    builder: StreamBuilder
    platform: Platform
    rng: np.random.Generator
    per_hour: float
    drawn: dict[str, Any] = field(default_factory=dict)

    @property
    def horizon_s(self) -> float:
        return self.builder.horizon_s

    def size(self, low: float, high: float, minimum: int) -> int:
        """An attack (or crowd) size drawn log-uniformly in [low, high] at scale 1.0, never below minimum."""
        return max(minimum, round(log_uniform(self.rng, low, high) * self.scale))

    def note(self, **values: Any) -> None:
        """Record drawn parameters (rounded floats) in the header's ``world`` object."""
        for key, value in values.items():
            self.drawn[key] = round(value, 4) if isinstance(value, float) else value

    def finish(self, description: str) -> Lines:
        b, p = self.builder, self.platform.p
        moderators = b.moderators(self.per_hour, p)
        attacked = sum(1 for s in b.subjects.values() if s.attacked and not s.violating)
        abusive = sum(1 for r in b.reports if r.line["truth"]["abusive"])
        self.note(attacked_innocent=attacked, abusive_reports=abusive)
        self.drawn.setdefault("attack_size", abusive)
        lines = b.build(moderators, description=description)
        header = lines[0]
        header["family"] = self.family
        header["seed"] = self.seed
        header["world"] = dict(sorted(self.drawn.items()))
        return lines


def begin(family: str, seed: int, scale: float, *, horizon_days: tuple[float, float] = (1.0, 1.5),
          **overrides: Any) -> World:
    """Draw a world's environment and start its organic platform (no organic traffic yet: the family calls
    ``world.platform.organic`` with the share of livestreams it wants, or none)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    rng = np.random.default_rng(stable_seed("world", family, seed, repr(float(scale))))
    horizon = round(float(rng.uniform(*horizon_days)) * DAY / HOUR) * HOUR
    organic_scale = scale * float(rng.uniform(0.04, 0.16))
    params = replace(
        PlatformParams(),
        violating_report_multiplier=log_uniform(rng, 15.0, 120.0),
        reports_per_view=log_uniform(rng, 1.5e-4, 6e-4),
        text_share=float(rng.uniform(0.1, 0.6)),
        fingerprint_share=float(rng.uniform(0.5, 1.0)),
        livestream_share=float(rng.uniform(0.02, 0.12)),
        violating_rate=float(rng.uniform(0.004, 0.012)),
        error_false_negative=float(rng.uniform(0.01, 0.06)),
        error_false_positive=float(rng.uniform(0.003, 0.02)),
        abusive_recognition=float(rng.uniform(0.3, 0.7)),
    )
    params = replace(params, **overrides)
    per_hour = max(1.0, log_uniform(rng, *PER_HOUR) * scale)
    name = f"{family}-{seed}"
    builder = StreamBuilder(name, seed, organic_scale, horizon)
    world = World(family, seed, scale, builder, Platform(builder, rng, params), rng, round(per_hour, 2))
    world.note(scale=float(scale), horizon_h=horizon / HOUR, organic_scale=organic_scale, per_hour=world.per_hour,
               upheld_multiplier=params.violating_report_multiplier, reports_per_view=params.reports_per_view,
               text_share=params.text_share, fingerprint_share=params.fingerprint_share,
               livestream_share=params.livestream_share, violating_rate=params.violating_rate)
    return world


def window(world: World, *, earliest_h: float, latest_share: float, duration_s: float) -> float:
    """An attack's start: at least ``earliest_h`` into the world, early enough that the attack (lasting
    ``duration_s``) ends before ``latest_share`` of the horizon."""
    latest = max(earliest_h * HOUR, latest_share * world.horizon_s - duration_s)
    return float(world.rng.uniform(earliest_h * HOUR, latest))


def choice(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]
