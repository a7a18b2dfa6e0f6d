"""The held-out targets: per family, each engine's worst world and median world on what matters, and whether
fairflag meets its target on the worst one. Pure functions over a suite result whose scenarios carry a
``family`` and a ``seed`` (``fairflag simulate --held-out``).

Per world (one seed of a family), per engine:

* ``attacked_restricted_pct``: attacked innocent subjects restricted by any means, % of them (target < 1 %).
* ``attacked_auto``: attacked innocent subjects restricted automatically (target 0: an automatic restriction is
  the harm a mass-report service sells).
* ``focus_tta_s``: median time to action on the world's focus violations (cohort ``legit_scam``: the scams a
  real community reports; ``focus``: the harassment video behind a retaliation). Target: fairflag's median at
  most the count baseline's + 5 min in the same world.
* ``live_tta_s``: median time to action on violating livestreams. Target: at most one reviewer slot at the
  world's rate (3600 / per_hour s), and never less than 5 min is asked: with 6 decisions an hour nothing a
  reviewer decides can be faster than the next slot.
* ``campaign_precision`` / ``campaign_recall``: by reporter account (fairflag only; targets 0.95 / 0.9).
  Precision is undefined when nobody was flagged; ``honest_flagged`` counts good-faith reporters placed in
  a campaign (target 0 where the family has no bad-faith reporter).
* ``honest_sanctioned``: honest reporters warned or suspended (target 0).
* ``never_actioned``: violating subjects never actioned; target: fairflag at most the best baseline's count in
  the same world.

Worst is the highest value (the lowest for precision and recall) over the family's worlds; values that are
undefined in a world (no attacked subject, no livestream) are left out. Times never actioned are censored at
the horizon, as in :mod:`fairflag.sim.metrics`.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fairflag.sim.metrics import action_times, median

FOCUS_COHORTS = frozenset({"legit_scam", "focus"})
FOCUS_SLACK_S = 300.0
LIVE_FLOOR_S = 300.0
BASELINE_ENGINES = ("count", "flagscore", "fifo")


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    unit: str  # pct | count | duration | ratio
    higher_is_worse: bool
    goal: str


TARGETS: tuple[Target, ...] = (
    Target("attacked_restricted_pct", "attacked innocents restricted", "pct", True, "< 1 %"),
    Target("attacked_auto", "automatic restrictions of attacked innocents", "count", True, "0"),
    Target("focus_tta_s", "focus violations TTA (median)", "duration", True, "≤ count + 5 min"),
    Target("live_tta_s", "violating livestreams TTA (median)", "duration", True, "≤ max(5 min, 1 slot)"),
    Target("campaign_precision", "campaign precision", "ratio", False, "≥ 0.95"),
    Target("campaign_recall", "campaign recall", "ratio", False, "≥ 0.90"),
    Target("honest_flagged", "honest reporters flagged", "count", True, "0 without bad faith"),
    Target("honest_sanctioned", "honest reporters warned/suspended", "count", True, "0"),
    Target("never_actioned", "violations never actioned", "count", True, "≤ best baseline"),
)
BY_KEY = {t.key: t for t in TARGETS}


def world_values(scenario: Mapping[str, Any], result: Mapping[str, Any]) -> dict[str, float | None]:
    """One engine's values in one world."""
    m = result["metrics"]
    subjects = result["subjects"]
    focus = [s for s in subjects if s.get("cohort") in FOCUS_COHORTS]
    rate = m.get("attacked_innocent_restricted_rate")
    reporters = result.get("reporters") or []
    flagged = [r for r in reporters if r.get("flagged")]
    detector = bool(reporters) and all(r.get("flagged") is not None for r in reporters)
    return {
        "attacked_restricted_pct": None if rate is None else 100.0 * rate,
        "attacked_auto": float(m["attacked_innocent_restricted_by_auto"]) if m.get("attacked_innocent") else None,
        "focus_tta_s": median(action_times(focus, float(scenario["horizon_s"]))),
        "live_tta_s": m.get("tta_live_median_s"),
        "campaign_precision": m.get("campaign_precision"),
        "campaign_recall": m.get("campaign_recall"),
        "honest_flagged": float(sum(1 for r in flagged if not r.get("abusive"))) if detector else None,
        "honest_sanctioned": None if m.get("honest_wrongly_sanctioned") is None
        else float(m["honest_wrongly_sanctioned"]),
        "never_actioned": float(m.get("violating_never_actioned") or 0),
    }


def _check(key: str, scenario: Mapping[str, Any], values: Mapping[str, Mapping[str, float | None]]
           ) -> float | None:
    """How far fairflag is past its target in this world (> 0: missed), or None when nothing to check."""
    ff = values.get("fairflag", {}).get(key)
    if ff is None:
        return None
    if key == "attacked_restricted_pct":
        return ff if ff >= 1.0 else ff - 1.0  # < 1 % is met
    if key in ("attacked_auto", "honest_sanctioned"):
        return ff
    if key == "honest_flagged":
        bad_faith = values["fairflag"].get("campaign_recall") is not None  # some reporter filed in bad faith
        return None if bad_faith else ff
    if key == "focus_tta_s":
        count = values.get("count", {}).get(key)
        return None if count is None else ff - (count + FOCUS_SLACK_S)
    if key == "live_tta_s":
        per_hour = float((scenario.get("moderators") or {}).get("per_hour") or 0.0)
        slot = 3600.0 / per_hour if per_hour > 0 else LIVE_FLOOR_S
        return ff - max(LIVE_FLOOR_S, slot)
    if key == "campaign_precision":
        return 0.95 - ff
    if key == "campaign_recall":
        return 0.90 - ff
    if key == "never_actioned":
        best = [v[key] for e, v in values.items() if e in BASELINE_ENGINES and v.get(key) is not None]
        return None if not best else ff - min(best)  # type: ignore[type-var]
    raise KeyError(key)


def _summary(points: Sequence[tuple[int, float]], higher_is_worse: bool) -> dict[str, Any] | None:
    if not points:
        return None
    sign = 1.0 if higher_is_worse else -1.0
    seed, worst = max(points, key=lambda p: (sign * p[1], -p[0]))  # ties: the lowest seed
    return {"median": statistics.median(v for _, v in points), "worst": worst, "worst_seed": seed,
            "n": len(points)}


def compute(result: Mapping[str, Any]) -> dict[str, Any]:
    """Per family and target: every engine's median and worst world, and fairflag's check against the target."""
    engines = list(result["engines"])
    families: dict[str, list[Mapping[str, Any]]] = {}
    for scenario in result["scenarios"]:
        if "family" in scenario:
            families.setdefault(scenario["family"], []).append(scenario)
    out: dict[str, Any] = {}
    for family, worlds in families.items():
        per_world = []
        for scenario in worlds:
            values = {r["engine"]: world_values(scenario, r) for r in scenario["results"]}
            checks = {t.key: _check(t.key, scenario, values) for t in TARGETS}
            per_world.append((int(scenario["seed"]), values, checks))
        metrics: dict[str, Any] = {}
        for t in TARGETS:
            by_engine = {}
            for engine in engines:
                points = [(seed, v[engine][t.key]) for seed, v, _ in per_world
                          if engine in v and v[engine][t.key] is not None]
                by_engine[engine] = _summary(points, t.higher_is_worse)  # type: ignore[arg-type]
            check_points = [(seed, c[t.key]) for seed, _, c in per_world if c[t.key] is not None]
            check = _summary(check_points, True)  # type: ignore[arg-type]
            met = None if check is None else bool(check["worst"] <= 0)
            metrics[t.key] = {"goal": t.goal, "met": met, "check": check, "engines": by_engine}
        out[family] = {"worlds": len(worlds), "seeds": sorted(seed for seed, _, _ in per_world), "metrics": metrics}
    return out
