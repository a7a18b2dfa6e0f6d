"""Running a seed set of world families (``fairflag simulate --held-out`` or ``--tune``): every family × each
of its seeds through fairflag and the baselines, with the same suite machinery as the hand-written scenarios
(each world written as ``fairflag-events/1`` and read back through the validating reader), then the targets
per family (:mod:`fairflag.sim.targets`).

The result keeps the suite's JSON shape (``scenarios[].results[]``); each scenario also names its ``family``,
its ``seed`` and the ``world`` parameters drawn for it, and the result adds ``set``, ``seeds`` and
``targets``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fairflag.sim import targets, worlds
from fairflag.sim.suite import Prepared, Progress, Spec, run_suite


def seed_range(seed_set: str, first_seed: int | None = None) -> tuple[int, ...]:
    """The set's seeds, or as many from ``first_seed`` on (a fresh held-out range once the fixed one has been
    looked at too often). A held-out range may not overlap the tune seeds: those are the ones looked at."""
    fixed = worlds.SEED_SETS[seed_set]
    if first_seed is None:
        return fixed
    if first_seed < 1:
        raise ValueError("the first seed must be at least 1")
    chosen = tuple(range(first_seed, first_seed + len(fixed)))
    if seed_set != "tune" and set(chosen) & set(worlds.TUNE_SEEDS):
        raise ValueError(f"held-out seeds {chosen[0]}-{chosen[-1]} overlap the tune seeds "
                         f"{worlds.TUNE_SEEDS[0]}-{worlds.TUNE_SEEDS[-1]}")
    return chosen


def specs(seed_set: str, families: Sequence[str], seeds: int | None = None,
          first_seed: int | None = None) -> list[Spec]:
    """Every family with the first ``seeds`` seeds of the set (all of them when None), family by family."""
    chosen = seed_range(seed_set, first_seed)[: seeds if seeds is not None else None]
    return [Spec(family, seed) for family in families for seed in chosen]


def run_seed_set(seed_set: str, *, families: Sequence[str] | None = None, seeds: int | None = None,
                 first_seed: int | None = None,
                 scale: float = 1.0, engines: Sequence[str], workers: int, write_events_dir: Path | None = None,
                 policy_file: str | None = None, progress: Progress | None = None,
                 on_prepared: Callable[[list[Prepared]], None] | None = None) -> dict[str, Any]:
    """Generate and replay every world of the set; the suite's JSON plus the targets."""
    if seed_set not in worlds.SEED_SETS:
        raise ValueError(f"unknown seed set {seed_set!r}; known: {', '.join(worlds.SEED_SETS)}")
    chosen = list(families or worlds.FAMILIES)
    for family in chosen:
        if family not in worlds.FAMILIES:
            raise worlds.UnknownFamily(family)
    plan = specs(seed_set, chosen, seeds, first_seed)
    result = run_suite([], seed=0, scale=scale, engines=engines, workers=workers, write_events_dir=write_events_dir,
                       policy_file=policy_file, progress=progress, on_prepared=on_prepared, specs=plan,
                       generate=worlds.generate).as_json()
    result["set"] = seed_set
    result["seeds"] = sorted({s.seed for s in plan})
    result["families"] = chosen
    result["targets"] = targets.compute(result)
    return result
