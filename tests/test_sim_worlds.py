"""World families for the held-out evaluation: each draws a valid ``fairflag-events/1`` stream, the same for
the same (family, seed, scale) and a different one for another seed, with what its family claims; the tune
and held-out seed sets never overlap; targets take each engine's worst and median world; and
``fairflag simulate --held-out`` runs end to end at a tiny scale."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fairflag.policy import load_policy
from fairflag.sim import targets, worlds
from fairflag.sim.cli import app
from fairflag.sim.events import parse_generated

SCALE = 0.05


def reports(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines[1:] if line["type"] == "report"]


def subjects(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["id"]: line for line in lines[1:] if line["type"] == "subject"}


@pytest.mark.parametrize("family", sorted(worlds.FAMILIES))
def test_a_family_draws_a_valid_world_deterministically_from_its_seed(family: str) -> None:
    first = worlds.generate(family, 3, SCALE)
    stream = parse_generated(first, load_policy(), family)  # every line validates
    assert stream.reports > 0
    header = first[0]
    assert header["name"] == worlds.label(family, 3) and header["family"] == family and header["seed"] == 3
    assert {"per_hour", "horizon_h", "attack_size", "attacked_innocent"} <= set(header["world"])
    assert worlds.generate(family, 3, SCALE) == first
    assert worlds.generate(family, 4, SCALE) != first


@pytest.mark.parametrize("family", sorted(set(worlds.FAMILIES) - {"legit_coordination", "quiet_day"}))
def test_an_attack_family_attacks_innocent_subjects_in_bad_faith(family: str) -> None:
    for seed in (1, 2):
        lines = worlds.generate(family, seed, SCALE)
        subj = subjects(lines)
        bad = [r for r in reports(lines) if r["truth"]["abusive"]]
        assert bad, (family, seed)
        hit = {r["subject"] for r in bad}
        assert any(subj[s]["truth"]["attacked"] and not subj[s]["truth"]["violating"] for s in hit)


def test_legit_coordination_is_a_right_crowd_that_looks_like_a_campaign() -> None:
    lines = worlds.generate("legit_coordination", 2, 0.3)
    subj = subjects(lines)
    assert not any(r["truth"]["abusive"] for r in reports(lines))
    focus = {s for s, line in subj.items() if line["truth"].get("cohort") == "legit_scam"}
    assert focus and all(subj[s]["truth"]["violating"] for s in focus)
    assert len({subj[s]["owner"] for s in focus}) >= 2  # several scam accounts, reported in lockstep
    on_focus = [r for r in reports(lines) if r["subject"] in focus and r.get("source", "user") == "user"]
    texts = Counter(r["text"] for r in on_focus if r["text"])
    assert texts.most_common(1)[0][1] >= 10  # shared warning text
    nets = Counter(r["fp_net"] for r in on_focus if r["fp_net"])
    world = lines[0]["world"]
    assert world["members"] >= 12 and 0 <= world["fresh_share"] <= 0.7
    assert nets.most_common(1)[0][1] >= 5  # a shared network (campus NAT) or a popular one


def test_quiet_day_has_no_attack() -> None:
    lines = worlds.generate("quiet_day", 1, SCALE)
    assert not any(r["truth"]["abusive"] for r in reports(lines))
    assert not any(s["truth"]["attacked"] for s in subjects(lines).values())


def test_reviewer_capacity_spans_the_range_at_scale_one() -> None:
    rates = [worlds.generate("quiet_day", seed, 0.2)[0]["world"]["per_hour"] / 0.2 for seed in range(1, 13)]
    assert min(rates) >= 6 * 0.99 and max(rates) <= 120 * 1.01
    assert max(rates) / min(rates) > 3  # drawn, not fixed


def test_tune_and_held_out_seed_sets_are_fixed_and_disjoint() -> None:
    assert worlds.TUNE_SEEDS == (1, 2, 3, 4, 5)
    assert worlds.HELDOUT_SEEDS == (1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010)
    assert not set(worlds.TUNE_SEEDS) & set(worlds.HELDOUT_SEEDS)


def _world(seed: int, per_hour: float, values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A scenario record with just what targets read: per engine, metrics and subjects."""
    results = []
    for engine, v in values.items():
        subjects = [{"subject": "s1", "violating": True, "cohort": "legit_scam", "first_report_t": 0.0,
                     "first_restricted_t": v["focus"], "kind": "video"}]
        metrics = {"attacked_innocent": 10, "attacked_innocent_restricted_rate": v["harm"] / 10,
                   "attacked_innocent_restricted_by_auto": v["auto"], "tta_live_median_s": v.get("live"),
                   "campaign_precision": v.get("precision"), "campaign_recall": v.get("recall"),
                   "honest_wrongly_sanctioned": v.get("sanctioned"), "violating_never_actioned": v["never"]}
        results.append({"engine": engine, "metrics": metrics, "subjects": subjects, "reporters": []})
    return {"scenario": f"f-{seed}", "family": "f", "seed": seed, "horizon_s": 86400.0,
            "moderators": {"per_hour": per_hour}, "world": {"attack_size": 5}, "results": results}


def test_targets_take_the_worst_and_the_median_world_and_check_fairflag() -> None:
    ff = {"harm": 0, "auto": 0, "focus": 60.0, "live": 200.0, "precision": 1.0, "recall": 0.95, "sanctioned": 0,
          "never": 1}
    count = {"harm": 8, "auto": 8, "focus": 120.0, "never": 1}
    worlds_ = [
        _world(1001, 60.0, {"fairflag": ff, "count": count}),
        _world(1002, 6.0, {"fairflag": {**ff, "harm": 1, "focus": 1000.0, "live": 500.0, "never": 3},
                           "count": {**count, "never": 2}}),
        _world(1003, 60.0, {"fairflag": {**ff, "recall": 0.5}, "count": count}),
    ]
    out = targets.compute({"engines": ["fairflag", "count"], "scenarios": worlds_})["f"]
    m = out["metrics"]
    harm = m["attacked_restricted_pct"]
    assert harm["engines"]["fairflag"] == {"median": 0.0, "worst": 10.0, "worst_seed": 1002, "n": 3}
    assert harm["engines"]["count"]["median"] == 80.0 and harm["met"] is False
    assert m["attacked_auto"]["met"] is True
    # 1000 s against the count's 120 s + 5 min: missed in seed 1002 only.
    assert m["focus_tta_s"]["met"] is False and m["focus_tta_s"]["check"]["worst_seed"] == 1002
    # 500 s is within one slot at 6 decisions an hour (600 s); 200 s within 5 min elsewhere.
    assert m["live_tta_s"]["met"] is True
    assert m["campaign_recall"]["engines"]["fairflag"]["worst"] == 0.5
    assert m["campaign_recall"]["engines"]["fairflag"]["worst_seed"] == 1003 and m["campaign_recall"]["met"] is False
    assert m["never_actioned"]["met"] is False and m["never_actioned"]["check"]["worst"] == 1
    assert m["honest_sanctioned"]["met"] is True


@pytest.mark.slow
def test_held_out_runs_end_to_end_at_a_tiny_scale(tmp_path: Path) -> None:
    out, page = tmp_path / "heldout.json", tmp_path / "heldout.html"
    result = CliRunner().invoke(app, ["simulate", "--held-out", "--seeds", "1", "--family", "swarm", "--family",
                                      "legit_coordination", "--scale", "0.03", "--workers", "1", "--out", str(out),
                                      "--html", str(page), "--compact"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "legit_coordination" in result.output and "attacked innocents restricted" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["set"] == "held-out" and data["seeds"] == [worlds.HELDOUT_SEEDS[0]]
    assert [(s["family"], s["seed"]) for s in data["scenarios"]] == [("swarm", 1001), ("legit_coordination", 1001)]
    for s in data["scenarios"]:
        assert [r["engine"] for r in s["results"]] == ["fairflag", "count", "flagscore", "fifo"]
        assert all("metrics" in r and "subjects" not in r for r in s["results"])  # --compact
        assert s["scenario"] == worlds.label(s["family"], s["seed"]) and "per_hour" in s["world"]
    assert set(data["targets"]) == {"swarm", "legit_coordination"}
    assert data["targets"]["swarm"]["metrics"]["attacked_restricted_pct"]["engines"]["count"] is not None
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and html.count("<svg") == 2 and "<script" not in html


@pytest.mark.parametrize(("args", "message"), [
    (["--held-out", "--family", "nope"], "unknown family 'nope'"),
    (["--held-out", "--tune"], "choose one of --held-out and --tune"),
    (["--held-out", "--scenario", "no_attack"], "do not combine them"),
    (["--seeds", "2"], "add --held-out or --tune"),
])
def test_bad_held_out_arguments_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["simulate", *args, "--workers", "1"], catch_exceptions=False)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
