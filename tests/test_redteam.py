"""The red team (``fairflag simulate --red-team``): an attack is one fixed stream in one fixed organic world; the
policy-aware attacker reads its thresholds from the policy; the search is deterministic for a seed, spends
exactly its budget and reports the argmax; the command runs end to end. The search's own tests use a cheap
stand-in evaluator; one end-to-end run replays real attacks at a tiny scale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from fairflag.policy import load_policy
from fairflag.sim import redteam
from fairflag.sim.cli import app
from fairflag.sim.events import parse_generated
from fairflag.sim.redteam import Attack
from fairflag.sim.suite import ENGINES

WORLD = 0.01


def fake(args: tuple[int, str, Attack, int, float, str | None]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A cheap stand-in for a replay: harm from the attack's parameters, so the search has something to climb."""
    index, phase, attack, _seed, _scale, _policy = args
    n = int(attack["accounts"])
    restricted = int(attack["targets_per_creator"] * attack["share"] * 3) % 5
    engines = {e: redteam.harm({"metrics": {"attacked_innocent_restricted": restricted * (k + 1),
                                            "attacked_innocent_restricted_by_auto": restricted // 2,
                                            "decisions": 10, "decision_share_attacked_innocent": 0.5}}, n)
               for k, e in enumerate(ENGINES)}
    entry = {"index": index, "phase": phase, "attack": attack, "accounts": n, "attack_reports": 3 * n,
             "cost": redteam.cost(attack, 3 * n), "reports": 3 * n, "engines": engines, "wall_s": 0.0}
    return entry, {"scenario": f"redteam-{index}", "reports": 3 * n, "results": []}


def run(budget: int, seed: int = 1) -> dict[str, Any]:
    calls: list[int] = []

    def counting(args: tuple[int, str, Attack, int, float, str | None]) -> tuple[dict[str, Any], dict[str, Any]]:
        calls.append(args[0])
        return fake(args)

    result = redteam.search(budget, seed=seed, scale=0.2, evaluator=counting)
    assert calls == list(range(budget)), "each evaluation once, in order"
    return result


def trace(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "wall_s"} for e in result["red_team"]["trace"]]


def test_the_search_is_deterministic_for_a_seed() -> None:
    assert trace(run(20, seed=3)) == trace(run(20, seed=3))
    assert trace(run(20, seed=3)) != trace(run(20, seed=4))


@pytest.mark.parametrize("budget", [1, 2, 9, 23])
def test_the_search_spends_exactly_its_budget(budget: int) -> None:
    result = run(budget)
    assert result["red_team"]["evaluations"] == len(result["red_team"]["trace"]) == budget
    assert [e["index"] for e in result["red_team"]["trace"]] == list(range(budget))
    assert len(result["scenarios"]) == min(budget, redteam.TOP)
    if budget > 8:
        assert {e["phase"] for e in result["red_team"]["trace"]} == {"random", "policy-aware", "mutant"}


def test_the_reported_worst_is_the_argmax_over_evaluated_attacks() -> None:
    result = run(30)
    entries = result["red_team"]["trace"]
    worst = next(e for e in entries if e["index"] == result["red_team"]["worst"])
    best = max(e["engines"]["fairflag"]["harm_per_account"] for e in entries)
    assert worst["engines"]["fairflag"]["harm_per_account"] == best
    assert all(redteam.rank(e) <= redteam.rank(worst) for e in entries)
    assert result["scenarios"][0]["scenario"] == f"redteam-{worst['index']}"
    assert result["red_team"]["max_fairflag_harm_per_account"] == best


def test_an_attack_is_one_fixed_stream_in_one_fixed_organic_world() -> None:
    policy = load_policy()
    genes = redteam.space(policy, WORLD)
    rng = np.random.default_rng(5)
    one, two = redteam.sample(genes, rng), redteam.sample(genes, rng)
    first = redteam.build(one, 1, WORLD, policy)
    assert redteam.build(one, 1, WORLD, policy) == first
    other = redteam.build(two, 1, WORLD, policy)
    assert other != first

    for key in ("moderators", "horizon_s"):
        assert first[0][key] == other[0][key], "the world around the attack does not depend on it"
    abusive = {x["reporter"] for x in first if x.get("type") == "report" and x["truth"]["abusive"]}
    assert 0 < len(abusive) <= one["accounts"]


def test_every_attack_in_the_space_builds_a_valid_stream() -> None:
    """Random attacks and every gene at its bounds: the stream parses (the reader's checks) and is attacked."""
    policy = load_policy()
    genes = redteam.space(policy, WORLD)
    rng = np.random.default_rng(11)
    attacks = [redteam.sample(genes, rng) for _ in range(60)]
    for g in genes:
        for value in ((g.options[0], g.options[-1]) if g.kind == "choice" else (g.clip(g.low), g.clip(g.high))):
            attacks.append({**attacks[0], g.name: value})
    attacks.append({**attacks[0], "rep_days": 0.01, "rep_reports": 3})  # minutes of reputation building
    for attack in attacks:
        lines = redteam.build(attack, 2, WORLD, policy)
        parse_generated(lines, policy, "redteam")
        assert any(x.get("type") == "report" and x["truth"]["abusive"] for x in lines), attack


def test_the_policy_aware_attacker_stays_just_under_the_published_thresholds() -> None:
    policy = load_policy()
    genes = redteam.space(policy, 0.05)
    hits: dict[str, set[Any]] = {}
    rng = np.random.default_rng(0)
    for _ in range(40):
        attack = redteam.policy_aware(redteam.sample(genes, rng), genes, policy, rng)
        for key in ("cell_size", "per_target_cap", "age_days", "reason"):
            hits.setdefault(key, set()).add(attack[key])
    assert policy.campaigns.min_members - 1 in hits["cell_size"]
    assert policy.campaigns.burst_floor - 1 in hits["per_target_cap"]
    assert any(age > policy.credibility.young_account_days for age in hits["age_days"])
    assert "violence" in hits["reason"] or "minor_safety" in hits["reason"] or "self_harm" in hits["reason"]


def test_cost_grows_with_age_devices_reports_and_reputation_building() -> None:
    base: Attack = {"accounts": 10, "age_days": 0.5, "fingerprints": "farm", "rep_days": 0.0, "rep_reports": 0}
    cheap = redteam.cost(base, 10)
    assert redteam.cost({**base, "age_days": 365.0}, 10) > cheap
    assert redteam.cost({**base, "fingerprints": "real"}, 10) > redteam.cost({**base, "fingerprints": "proxies"}, 10)
    assert redteam.cost(base, 100) > cheap
    assert redteam.cost({**base, "rep_days": 3.0, "rep_reports": 5}, 10) > cheap


@pytest.mark.slow
def test_red_team_runs_end_to_end(tmp_path: Path) -> None:
    out, page = tmp_path / "rt.json", tmp_path / "rt.html"
    result = CliRunner().invoke(app, ["simulate", "--red-team", "--budget", "2", "--scale", "0.2", "--seed", "3",
                                      "--workers", "1", "--out", str(out), "--html", str(page)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "fairflag / count" in result.output
    data = json.loads(out.read_text())
    assert data["red_team"]["evaluations"] == 2 and len(data["red_team"]["trace"]) == 2
    assert data["scenarios"] and [r["engine"] for r in data["scenarios"][0]["results"]] == list(ENGINES)
    worst = data["red_team"]["trace"][data["red_team"]["worst"]]
    assert set(worst["engines"]) == set(ENGINES) and worst["cost"] > 0
    assert "<svg" in page.read_text()


@pytest.mark.parametrize(("args", "message"), [
    (["--budget", "3"], "add --red-team"),
    (["--red-team", "--held-out"], "do not combine"),
    (["--red-team", "--scenario", "bot_swarm_fresh"], "do not combine"),
])
def test_bad_red_team_arguments_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["simulate", *args, "--workers", "1"], catch_exceptions=False)
    assert result.exit_code == 2
    assert message in result.output
