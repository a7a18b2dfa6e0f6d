"""``fairflag simulate`` end to end at a tiny scale: deterministic for a seed (inline and in worker processes
alike), a scenario written with --write-events replays to the same results, JSON and HTML are written, and
bad input is one line with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fairflag.sim.cli import app
from fairflag.sim.suite import canonical, run_suite

SCALE = 0.02


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, ["simulate", *args], catch_exceptions=False)


def results_only(result: dict[str, Any]) -> list[Any]:
    return [s["results"] for s in canonical(result)["scenarios"]]


@pytest.mark.slow
def test_the_same_seed_gives_the_same_json() -> None:
    kwargs: dict[str, Any] = {"seed": 3, "scale": SCALE, "engines": ["fairflag", "count", "flagscore", "fifo"],
                              "workers": 1}
    first = run_suite(["bot_swarm_fresh"], **kwargs).as_json()
    second = run_suite(["bot_swarm_fresh"], **kwargs).as_json()
    assert canonical(first) == canonical(second)
    assert json.dumps(canonical(first), sort_keys=True) == json.dumps(canonical(second), sort_keys=True)
    other = run_suite(["bot_swarm_fresh"], **{**kwargs, "seed": 4}).as_json()
    assert canonical(other) != canonical(first)


@pytest.mark.slow
def test_cli_end_to_end_writes_json_html_and_events(tmp_path: Path) -> None:
    out, page, events = tmp_path / "out.json", tmp_path / "report.html", tmp_path / "events"
    result = invoke("--scenario", "legit_scam_community", "--scenario", "aged_group", "--scale", str(SCALE),
                    "--seed", "5", "--workers", "2", "--out", str(out), "--html", str(page),
                    "--write-events", str(events))
    assert result.exit_code == 0, result.output
    assert "legit_scam_community" in result.output and "flagscore" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["format"] == "fairflag-sim/1" and data["engines"] == ["fairflag", "count", "flagscore", "fifo"]
    assert [s["scenario"] for s in data["scenarios"]] == ["legit_scam_community", "aged_group"]
    for scenario in data["scenarios"]:
        for r in scenario["results"]:
            assert set(r) >= {"engine", "metrics", "subjects", "reporters"}
            assert set(r["subjects"][0]) >= {"subject", "first_report_t", "first_restricted_t", "restricted_by",
                                             "restricted_s", "final"}
            assert {x["final"] for x in r["subjects"]} <= {"actioned", "cleared", "open"}
            assert set(r["reporters"][0]) >= {"reporter", "flagged", "misuse"}
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and html.count("data:image/png;base64,") >= 2
    assert "<script" not in html and "http://" not in html and "https://" not in html  # self-contained
    assert sorted(p.name for p in events.iterdir()) == ["aged_group.jsonl", "legit_scam_community.jsonl"]
    # Worker processes give what this process gives.
    inline = run_suite(["legit_scam_community", "aged_group"], seed=5, scale=SCALE,
                       engines=["fairflag", "count", "flagscore", "fifo"], workers=1).as_json()
    assert canonical(inline) == canonical(data)


@pytest.mark.slow
def test_a_written_scenario_replays_to_the_same_results(tmp_path: Path) -> None:
    generated, replayed = tmp_path / "generated.json", tmp_path / "replayed.json"
    assert invoke("--scenario", "retaliation", "--scale", str(SCALE), "--workers", "1", "--write-events",
                  str(tmp_path), "--out", str(generated)).exit_code == 0
    assert invoke("--events", str(tmp_path / "retaliation.jsonl"), "--workers", "1",
                  "--out", str(replayed)).exit_code == 0
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (generated, replayed))
    assert b["scenarios"][0]["scenario"] == "retaliation"
    assert results_only(a) == results_only(b)


@pytest.mark.parametrize(("content", "line", "reason"), [
    ('{"format": "fairflag-events/1", "name": "x", "start": "2026-06-01T00:00:00Z", "horizon_s": 60}\n'
     '{"type": "report", "t": 1, "reporter": "ghost", "subject": "v1", "reason": "spam"}\n', 2,
     "reporter: unknown account 'ghost'"),
    ('{"format": "fairflag-events/1", "name": "x", "start": "2026-06-01T00:00:00Z", "horizon_s": 60}\n'
     '{"type": "account", "t": 1, "id": "u1"}\n{"type": "account", "t": 1, "id": ""\n', 3, "not valid JSON"),
    ('{"format": "csv"}\n', 1, "unsupported"),
])
def test_a_malformed_events_file_is_one_line_with_its_number(tmp_path: Path, content: str, line: int,
                                                            reason: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    result = invoke("--events", str(path), "--workers", "1")
    assert result.exit_code == 2
    assert f"{path}:{line}: " in result.output and reason in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--scenario", "nope"], "unknown scenario 'nope'"),
    (["--engines", "fairflag,magic"], "unknown engine 'magic'"),
    (["--events", "/nonexistent/events.jsonl"], "cannot read the events file"),
])
def test_bad_arguments_exit_2_without_a_traceback(args: list[str], message: str) -> None:
    result = invoke(*args, "--workers", "1")
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
