"""`fairflag bench history`: a stream of exactly N reports, deterministic, timed in ten tenths; the JSON row
holds what the README and docs/scale-out.md quote. Counted, never timed (speed lives in the benchmark's JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fairflag.bench.history import _Meter, generate
from fairflag.cli import app


def test_the_stream_holds_exactly_n_reports_and_ends_at_the_last() -> None:
    lines = generate(500, seed=3, scale=0.2)
    reports = [line for line in lines[1:] if line["type"] == "report"]
    assert len(reports) == 500
    assert lines[0]["horizon_s"] == reports[-1]["t"] == lines[-1]["t"]
    assert any(r["truth"]["abusive"] for r in reports)  # the daily swarm is in it
    assert len({r["reporter"] for r in reports}) > 100 and len({r["subject"] for r in reports}) > 50
    assert generate(500, seed=3, scale=0.2) == lines


def test_the_meter_splits_the_reports_into_ten_tenths() -> None:
    seen: list[int] = []
    meter = _Meter(95, on_decile=lambda i, d: seen.append(d.reports))
    meter.start()
    for _ in range(95):
        meter.on_statement()
        meter.on_report()
    deciles = meter.deciles()
    assert [d.reports for d in deciles] == seen and len(seen) == 10 and sum(seen) == 95
    assert all(d.statements == d.reports for d in deciles)


def test_bench_history_appends_a_row_with_ten_deciles(tmp_path: Path) -> None:
    out = tmp_path / "history.json"
    args = ["bench", "history", "--reports", "200", "--scale", "0.2", "--out", str(out)]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [row] = json.loads(out.read_text())
    assert row["reports"] == 200 and len(row["deciles"]) == 10
    assert sum(d["reports"] for d in row["deciles"]) == 200
    assert all(d["statements"] > 0 for d in row["deciles"])  # every tenth ran SQL through the real store
    assert row["reports_per_s"] > 0 and row["extrapolated_1m_s"] > 0 and row["peak_rss_mb"] > 0
    assert row["measured_on"] and row["machine"] and "decile 10" in result.output
