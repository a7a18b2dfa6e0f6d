"""What every scenario shares: a seeded builder and platform, and the finishing step that sets reviewer
capacity from the organic load and lays the stream out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairflag.sim.platform import DAY, Platform, PlatformParams, StreamBuilder, stable_seed

Lines = list[dict[str, Any]]


@dataclass(frozen=True)
class ScenarioDef:
    name: str
    description: str
    generate: Callable[[int, float], Lines]


def begin(name: str, seed: int, scale: float, horizon_s: float = 3 * DAY,
          params: PlatformParams | None = None) -> tuple[StreamBuilder, Platform]:
    """A builder and an organic platform, seeded from (name, seed, scale) so scenarios do not share draws."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    rng = np.random.default_rng(stable_seed(name, seed, repr(float(scale))))
    builder = StreamBuilder(name, seed, scale, horizon_s)
    return builder, Platform(builder, rng, params)


def finish(builder: StreamBuilder, platform: Platform, description: str, *, per_hour: float | None = None) -> Lines:
    """Reviewer capacity from the window's good-faith load (unless given), then the sorted stream."""
    capacity = per_hour if per_hour is not None else platform.moderator_capacity(0.0, builder.horizon_s)
    return builder.build(builder.moderators(capacity, platform.p), description=description)
