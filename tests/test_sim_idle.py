"""A replay costs what its events cost: the runner skips review slots that would find an empty queue and worker
ticks with nothing due, and that changes no outcome. Counted, never timed: slots offered to an engine and
ticks run must not grow with the idle span before the first report (a platform's history starts with accounts
created years earlier)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from fairflag.bench.replay import with_history
from fairflag.policy import load_policy
from fairflag.sim import scenarios
from fairflag.sim.baselines import CountEngine, make_baseline
from fairflag.sim.events import Stream, parse_generated
from fairflag.sim.metrics import TIMING_KEYS
from fairflag.sim.replay import FairflagEngine
from fairflag.sim.runner import EVENT, SLOT, TICK, Runner, RunOutput, tracked_subjects

POLICY = load_policy()
DAY = 86400.0
YEARS_4 = 4 * 365 * DAY
# Small but eventful: a history before the window with quiet stretches, second reviews, follow-up holds on
# cleared subjects and timed actions that the worker expires.
SCENARIO = "reputation_then_strike"
SCALE = 0.01


def generated() -> list[dict[str, Any]]:
    return scenarios.generate(SCENARIO, 7, SCALE)


def stream_of(lines: list[dict[str, Any]]) -> Stream:
    return parse_generated(lines, POLICY, SCENARIO)


def replay(stream: Stream, engine_name: str, tmp_path: Path, *, skip_idle: bool = True) -> tuple[Runner, RunOutput]:
    track = tracked_subjects(stream)
    if engine_name == "fairflag":
        workdir = tmp_path / f"ff-{skip_idle}-{stream.events[0].t}"
        workdir.mkdir()
        engine: Any = FairflagEngine(stream, workdir, seed=7, policy=POLICY, track=track)
    else:
        engine = make_baseline(engine_name, stream, track)
    runner = Runner(stream, engine, seed=7, skip_idle=skip_idle)
    try:
        return runner, runner.run()
    finally:
        engine.close()


def outcome(out: RunOutput) -> dict[str, Any]:
    """Everything a run reports except how long it took."""
    return {"metrics": {k: v for k, v in out.metrics.items() if k not in TIMING_KEYS},
            "subjects": out.subjects, "reporters": out.reporters, "traces": out.traces}


@pytest.mark.parametrize("engine_name", ["fairflag", "count", "flagscore", "fifo"])
def test_skipping_idle_slots_and_ticks_changes_no_outcome(engine_name: str, tmp_path: Path) -> None:
    stream = stream_of(generated())
    skipping, fast = replay(stream, engine_name, tmp_path)
    every, slow = replay(stream, engine_name, tmp_path, skip_idle=False)
    assert outcome(fast) == outcome(slow)
    assert fast.metrics["decisions"] > 10  # the reviewers had work to do, at the same times in both loops
    assert skipping.slots_offered < every.slots_offered / 3
    assert skipping.ticks < every.ticks / 10
    if engine_name == "fairflag":
        assert skipping.ticks > 0  # timed actions ended on a tick in both loops
    else:
        assert skipping.ticks == 0  # the baselines have nothing that expires


@pytest.mark.parametrize("engine_name", ["fairflag", "count", "flagscore", "fifo"])
def test_an_idle_prefix_of_years_costs_nothing_and_changes_no_outcome(engine_name: str, tmp_path: Path) -> None:
    """The accounts' lines 4 years or 30 days before the window (the accounts themselves 4 years old in both,
    since account age weighs in fairflag's credibility prior and flagscore's trust levels): the same outcomes
    and the same count of slots offered and ticks run, no more than the window's own."""
    lines = generated()
    old_runner, old = replay(stream_of(with_history(lines, YEARS_4)), engine_name, tmp_path)
    new_runner, new = replay(stream_of(with_history(lines, 30 * DAY, YEARS_4)), engine_name, tmp_path)
    assert outcome(old) == outcome(new)
    assert (old_runner.slots_offered, old_runner.ticks) == (new_runner.slots_offered, new_runner.ticks)
    span = old_runner.horizon - old_runner.origin
    assert old_runner.slots_offered <= span / old_runner.slot_s + 1
    assert old_runner.ticks <= span / 3600 + 1


def test_a_year_between_two_reports_takes_two_slots_and_no_tick() -> None:
    header = {"format": "fairflag-events/1", "name": "sparse", "start": "2026-06-01T00:00:00Z",
              "horizon_s": 2 * DAY, "moderators": {"per_hour": 60, "error_false_negative": 0,
                                                  "error_false_positive": 0}}
    account = {"type": "account", "t": -YEARS_4, "id": "u1", "created_at": -YEARS_4, "verified": False,
               "trusted_flagger": False, "followers": 1}
    subjects = [{"type": "subject", "t": -YEARS_4, "id": s, "kind": "video", "owner": "u1", "created_at": -YEARS_4,
                 "views": 10, "live_until": None} for s in ("v1", "v2")]
    reports = [{"type": "report", "t": t, "reporter": "u1", "subject": s, "reason": "spam", "text": None,
                "fp_net": None, "fp_dev": None} for t, s in ((-365 * DAY, "v1"), (DAY, "v2"))]
    stream = parse_generated([header, account, *subjects, *reports], POLICY, "sparse")
    runner = Runner(stream, CountEngine(stream), seed=1)
    out = runner.run()
    assert (runner.slots_offered, runner.ticks) == (2, 0)
    # Each report is reviewed at the first slot after it on the grid that starts at the first report.
    assert [s["first_report_t"] for s in out.subjects] == [-365 * DAY, DAY]
    assert out.metrics["decisions"] == 2
    dense = Runner(stream, CountEngine(stream), seed=1, skip_idle=False)
    assert outcome(dense.run()) == outcome(out)
    assert dense.slots_offered == int((2 * DAY + 365 * DAY) / 60)


def test_the_grid_point_at_or_after_a_time() -> None:
    """Float rounding never skips a slot that is due, nor offers one before the work."""
    header = {"format": "fairflag-events/1", "name": "grid", "start": "2026-06-01T00:00:00Z", "horizon_s": 10.0,
              "moderators": {"per_hour": 2.47, "error_false_negative": 0, "error_false_positive": 0}}
    account = {"type": "account", "t": 13.432, "id": "u1", "created_at": None, "verified": False,
               "trusted_flagger": False, "followers": 1}
    subject = {"type": "subject", "t": 13.432, "id": "v1", "kind": "video", "owner": "u1", "created_at": None,
               "views": 1, "live_until": None}
    report = {"type": "report", "t": 13.432, "reporter": "u1", "subject": "v1", "reason": "spam", "text": None,
              "fp_net": None, "fp_dev": None}
    stream = parse_generated([header, account, subject, report], POLICY, "grid")
    runner = Runner(stream, CountEngine(stream), seed=1)
    step = runner.slot_s

    def point(n: int) -> float:
        return runner.origin + (n + 1) * step

    def next_slot(n: int, at: float) -> tuple[int, float]:
        return runner.next_on_grid(n, step, lambda: at, SLOT)

    assert next_slot(0, -math.inf) == (0, point(0))
    assert next_slot(5, -math.inf) == (5, point(5))
    assert next_slot(0, math.inf)[1] == math.inf
    for n in (1, 7, 1000, 123456):
        assert next_slot(0, point(n)) == (n, point(n))
        assert next_slot(0, math.nextafter(point(n), math.inf)) == (n + 1, point(n + 1))
        assert next_slot(0, math.nextafter(point(n), -math.inf)) == (n, point(n))
        assert next_slot(n + 3, point(n)) == (n + 3, point(n + 3))  # never back
    # Points up to what already happened were offered to an idle engine: an event at a slot's instant comes
    # after the slot; a tick at that instant comes before it.
    runner.passed = (point(5), EVENT)
    assert next_slot(0, -math.inf) == (6, point(6))
    runner.passed = (point(5), TICK)
    assert next_slot(0, -math.inf) == (5, point(5))
    runner.passed = (math.nextafter(point(5), -math.inf), EVENT)
    assert next_slot(0, -math.inf) == (5, point(5))


def test_bench_replay_appends_both_spans_to_its_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fairflag.cli import app

    out = tmp_path / "replay.json"
    args = ["bench", "replay", "--scale", "0.005", "--engines", "count,fifo", "--out", str(out)]
    for _ in range(2):
        result = CliRunner().invoke(app, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())
    assert len(rows) == 2 and rows[0]["measured_on"] and rows[0]["machine"]
    runs = rows[0]["runs"]
    assert [(r["accounts_created"], r["engine"]) for r in runs] == [
        ("4y", "count"), ("4y", "fifo"), ("30d", "count"), ("30d", "fifo")]
    for engine in ("count", "fifo"):
        old, new = (next(r for r in runs if r["engine"] == engine and r["accounts_created"] == span)
                    for span in ("4y", "30d"))
        assert (old["slots_offered"], old["ticks"]) == (new["slots_offered"], new["ticks"]) and old["reports"] > 0
        assert rows[0]["same_outcomes"][engine] is True
    bad = CliRunner().invoke(app, ["bench", "replay", "--scenario", "nope", "--out", str(out)])
    assert bad.exit_code == 2 and "unknown scenario 'nope'" in bad.output
