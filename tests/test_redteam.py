"""The red team (``fairflag simulate --red-team``): an attack is one fixed stream in one fixed organic world; the
policy-aware attacker reads its thresholds from the policy; the search is deterministic for a seed, spends
exactly its budget and reports the argmax; the command runs end to end. The search's own tests use a cheap
stand-in evaluator; one end-to-end run replays real attacks at a tiny scale."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from fairflag.engine.triage import CaseEvidence
from fairflag.policy import load_policy
from fairflag.sim import redteam
from fairflag.sim.cli import app
from fairflag.sim.events import parse_generated
from fairflag.sim.redteam import Attack
from fairflag.sim.suite import ENGINES

WORLD = 0.01


def fake(args: redteam.EvalArgs) -> tuple[dict[str, Any], dict[str, Any]]:
    """A cheap stand-in for a replay: harm from the attack's parameters, so the search has something to climb."""
    index, phase, attack, _seed, _scale, _policy, _worlds = args
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

    def counting(args: redteam.EvalArgs) -> tuple[dict[str, Any], dict[str, Any]]:
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
    assert min(budget, redteam.TOP) <= len(result["scenarios"]) <= min(budget, 3 * redteam.TOP)
    if budget > 8:
        assert {e["phase"] for e in result["red_team"]["trace"]} == {"random", "policy-aware", "mutant"}


def test_the_reported_worst_is_the_argmax_over_evaluated_attacks() -> None:
    result = run(30)
    entries = result["red_team"]["trace"]
    worst = next(e for e in entries if e["index"] == result["red_team"]["worst"])
    best = max(e["engines"]["fairflag"]["proxy_per_account"] for e in entries)
    assert worst["engines"]["fairflag"]["proxy_per_account"] == best
    assert all(redteam.rank(e) <= redteam.rank(worst) for e in entries)
    assert result["scenarios"][0]["scenario"] == f"redteam-{worst['index']}"
    assert result["red_team"]["max_fairflag_harm_per_account"] == max(
        e["engines"]["fairflag"]["harm_per_account"] for e in entries)
    total = next(e for e in entries if e["index"] == result["red_team"]["worst_total"])
    assert total["engines"]["fairflag"]["proxy"] == max(e["engines"]["fairflag"]["proxy"] for e in entries)


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
                                      "--workers", "1", "--worlds", "2", "--out", str(out), "--html", str(page)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "fairflag / count" in result.output
    data = json.loads(out.read_text())
    assert data["red_team"]["evaluations"] == 2 and len(data["red_team"]["trace"]) == 2
    assert data["scenarios"] and [r["engine"] for r in data["scenarios"][0]["results"]] == list(ENGINES)
    worst = data["red_team"]["trace"][data["red_team"]["worst"]]
    assert set(worst["engines"]) == set(ENGINES) and worst["cost"] > 0
    assert "<svg" in page.read_text()
    assert [w["per_hour"] for w in data["red_team"]["worlds"]] == [1.2, 6.0]  # 6 and 30 an hour × --scale 0.2
    for entry in data["red_team"]["trace"]:
        assert [w["world"] for w in entry["worlds"]] == [0, 1]
        ff = entry["engines"]["fairflag"]
        assert 0.0 <= ff["peak_progress"] <= 1.0 and ff["proxy"] >= ff["restricted"]
        for key in ("restricted", "proxy", "harm_per_account"):
            assert ff[key] == max(w["engines"]["fairflag"][key] for w in entry["worlds"])
    assert "worst in total" in result.output or "worst for fairflag in total" in page.read_text()


@pytest.mark.parametrize(("args", "message"), [
    (["--budget", "3"], "add --red-team"),
    (["--red-team", "--held-out"], "do not combine"),
    (["--red-team", "--scenario", "bot_swarm_fresh"], "do not combine"),
    (["--worlds", "2"], "--worlds: only the red-team search takes this; add --red-team"),
    (["--red-team", "--first-seed", "2001"], "do not combine it with --first-seed"),
])
def test_bad_red_team_arguments_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["simulate", *args, "--workers", "1"], catch_exceptions=False)
    assert result.exit_code == 2
    assert message in result.output


def test_an_attack_is_judged_in_several_worlds_of_different_reviewer_capacity_and_exposure() -> None:
    specs = redteam.world_specs(7, 5)
    assert [(w.per_hour, w.exposure) for w in specs[:3]] == list(redteam.WORLDS)
    assert len({w.seed for w in specs}) == 5 and specs[0].seed == 7
    assert specs == redteam.world_specs(7, 5) and specs[3:] != redteam.world_specs(8, 5)[3:]
    assert all(6.0 <= w.per_hour <= 120.0 and 0.3 <= w.exposure <= 3.0 for w in specs[3:])
    assert [w.per_hour for w in redteam.world_specs(7, 3, 0.1)] == [1.0, 3.0, 12.0]  # scaled, never below 1

    policy = load_policy()
    attack = redteam.sample(redteam.space(policy, WORLD), np.random.default_rng(2))
    attack = {**attack, "kind": "video", "creators": 2, "targets_per_creator": 3}
    low = redteam.build(attack, 4, WORLD, policy, redteam.WorldSpec(0, 4, 30.0, 0.3))
    high = redteam.build(attack, 4, WORLD, policy, redteam.WorldSpec(0, 4, 30.0, 3.0))
    assert low[0]["moderators"]["per_hour"] == high[0]["moderators"]["per_hour"] == 30.0

    def attacked_views(lines: list[dict[str, Any]]) -> int:
        return sum(x["views"] for x in lines if x.get("type") == "subject" and x["truth"]["attacked"]
                   and not x["truth"]["violating"])

    assert attacked_views(high) > 3 * attacked_views(low)


def subject(name: str, decisions: int, restricted: str | None = None) -> dict[str, Any]:
    return {"subject": name, "attacked": True, "violating": False, "decisions": decisions,
            "first_restricted_t": 10.0 if restricted else None, "restricted_by": restricted}


def test_the_harm_proxy_is_graded_when_nothing_is_restricted() -> None:
    metrics = {"attacked_innocent_restricted": 0, "attacked_innocent_restricted_by_auto": 0, "decisions": 10,
               "decision_share_attacked_innocent": 0.5, "attacked_innocent": 2}
    nothing = redteam.harm({"metrics": metrics, "subjects": [subject("a", 0), subject("b", 0)], "peaks": {}}, 2, 0.1)
    reviewed = redteam.harm({"metrics": metrics, "subjects": [subject("a", 3), subject("b", 0)], "peaks": {}}, 2, 0.1)
    near = redteam.harm({"metrics": metrics, "subjects": [subject("a", 3), subject("b", 0)],
                         "peaks": {"b": 0.8}}, 2, 0.1)
    assert nothing["proxy"] == 0 and nothing["peak_progress"] == 0
    assert reviewed["error_risk"] == pytest.approx(1 - 0.9**3, abs=1e-6) and reviewed["proxy"] > 0
    assert near["near_miss"] == pytest.approx(redteam.NEAR_MISS * 0.64, abs=1e-6)
    assert near["proxy"] > reviewed["proxy"] > nothing["proxy"]
    assert near["harm_per_account"] == 0 and near["proxy_per_account"] == pytest.approx(near["proxy"] / 2, abs=1e-6)
    auto = redteam.harm({"metrics": {**metrics, "attacked_innocent_restricted": 1,
                                     "attacked_innocent_restricted_by_auto": 1},
                         "subjects": [subject("a", 3, "auto"), subject("b", 0)], "peaks": {"a": 1.0}}, 2, 0.1)
    assert auto["proxy"] == 1.0 and auto["harm_per_account"] == 0.5, "an automatic restriction counts once"
    unlucky = redteam.harm({"metrics": {**metrics, "attacked_innocent_restricted": 1},
                            "subjects": [subject("a", 3, "moderator"), subject("b", 0)], "peaks": {}}, 2, 0.1)
    assert unlucky["harm_per_account"] == 0.5 and unlucky["proxy"] == reviewed["proxy"], (
        "a reviewer's mistake counts by its chance given the reviews, not by the coin that fell")


def test_progress_towards_automatic_restriction_is_the_binding_condition() -> None:
    policy = load_policy()
    a = policy.auto_restriction
    ev = CaseEvidence()
    assert redteam.auto_progress(ev, a.min_severity, False, policy) == 0.0
    ev.individual.credible_n, ev.individual.credible_s = a.min_independent - 1, a.min_evidence
    assert redteam.auto_progress(ev, a.min_severity, False, policy) == pytest.approx(
        (a.min_independent - 1) / a.min_independent, abs=1e-4)
    assert redteam.auto_progress(ev, "low", False, policy) < redteam.auto_progress(ev, a.min_severity, False, policy)
    ev.individual.credible_n = a.min_independent
    assert redteam.auto_progress(ev, a.min_severity, False, policy) == 1.0
    live = CaseEvidence()
    for i in range(a.live_min_independent):
        live.add_credible_source(f"r{i}", a.live_min_evidence, f"net{i}", f"dev{i}", aged=True)
    assert redteam.auto_progress(live, a.live_min_severity, False, policy) < 1.0
    assert redteam.auto_progress(live, a.live_min_severity, True, policy) == 1.0


def entry(index: int, worlds: list[tuple[int, int]], accounts: int = 10) -> dict[str, Any]:
    """A trace entry whose worlds restricted (fairflag, count) attacked innocents."""
    def engines(ff: int, count: int) -> dict[str, Any]:
        return {e: redteam.harm({"metrics": {"attacked_innocent_restricted": n}}, accounts)
                for e, n in (("fairflag", ff), ("count", count), ("flagscore", count), ("fifo", 0))}
    per_world = [{"world": k, "engines": engines(ff, count)} for k, (ff, count) in enumerate(worlds)]
    return {"index": index, "accounts": accounts, "cost": 1.0, "attack": {}, "worlds": per_world,
            "engines": {e: max((w["engines"][e] for w in per_world), key=lambda h: h["harm_per_account"])
                        for e in ENGINES}}


def test_the_target_is_judged_in_every_world_and_says_how_much_it_asked() -> None:
    vacuous, zero, graded = entry(0, [(0, 0), (0, 0)]), entry(1, [(0, 5), (0, 0)]), entry(2, [(1, 40), (0, 3)])
    broken = entry(3, [(0, 40), (1, 3)])  # fine in the world where count did most, not in the other
    assert [redteam.kind(e) for e in (vacuous, zero, graded, broken)] == ["vacuous", "zero", "graded", "graded"]
    assert redteam._met(graded) and not redteam._met(broken)
    assert redteam.ratio(vacuous) is None and redteam.ratio(graded) == pytest.approx(1 / 40)
    assert redteam.ratio(broken) == pytest.approx(1 / 3), "the worst world's ratio"
    c = redteam.compare([vacuous, zero, graded, broken], n=4)
    assert (c["compared"], c["met_on"], c["vacuous"], c["zero"], c["graded"], c["met_graded"]) == (4, 3, 1, 1, 2, 1)


def test_parents_come_from_the_worst_per_account_and_the_worst_in_total() -> None:
    few = [entry(i, [(1, 1)], accounts=2) for i in range(4)]  # 0.5 per account, 1 in total
    crowd = entry(4, [(6, 6)], accounts=40)  # 0.15 per account, 6 in total (no subject records: proxy = harm)
    chosen = [e["index"] for e in redteam.parents([*few, crowd])]
    assert len(chosen) == redteam.PARENTS and 4 in chosen and chosen[0] in range(4)


def test_a_result_from_before_several_worlds_still_renders() -> None:
    """docs/quality/redteam-budget200.json: one world, no harm proxy; the table, verdict and HTML still work."""
    from rich.console import Console

    from fairflag.sim import redteam_report

    path = Path(__file__).resolve().parents[1] / "docs" / "quality" / "redteam-budget200.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    text = redteam_report.verdict(data)
    assert "met on 10 of 10" in text and "0 graded" in text, "trivially met: the old run's bound asked for nothing"
    assert redteam_report.html_report(data).count("<svg") == 1
    Console(width=200, file=io.StringIO()).print(redteam_report.rich_table(data))


@pytest.mark.slow
def test_a_real_evaluation_is_a_pure_function_of_attack_seed_scale_and_worlds() -> None:
    policy = load_policy()
    attack = redteam.sample(redteam.space(policy, WORLD), np.random.default_rng(9))
    attack = {**attack, "accounts": 3, "kind": "livestream", "creators": 1, "targets_per_creator": 2}
    specs = redteam.world_specs(3, 2, 0.2)

    def run() -> tuple[dict[str, Any], dict[str, Any]]:
        entry, scenario = redteam.evaluate(0, "random", attack, 3, WORLD, None, specs)
        return {k: v for k, v in entry.items() if k != "wall_s"}, scenario

    (first, scenario), (second, _) = run(), run()
    assert first == second
    assert [w["per_hour"] for w in first["worlds"]] == [w.per_hour for w in specs]
    assert scenario["world_index"] == first["engines"]["fairflag"]["world"]
    assert all("peaks" not in r for r in scenario["results"]), "the watch's notes stay out of the results"
