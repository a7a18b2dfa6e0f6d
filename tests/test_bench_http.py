"""`fairflag bench http` end to end at a tiny bound: a real server subprocess, a separate load generator,
figures appended to the JSON file. Speed is never asserted (benchmarks measure; tests check they run)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fairflag.cli import app


def test_bench_http_files_reports_single_and_bulk_and_appends_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "http.json"
    for extra in ([], ["--bulk", "10"]):
        result = CliRunner().invoke(app, ["bench", "http", "--reports", "50", "--connections", "2", "--seconds", "60",
                                          "--out", str(out), *extra], prog_name="fairflag")
        assert result.exit_code == 0, result.output
    single, bulk = json.loads(out.read_text())
    assert (single["mode"], single["reports"], single["requests"], single["statuses"]) == ("single", 50, 50,
                                                                                            {"201": 50})
    assert (bulk["mode"], bulk["reports"], bulk["requests"], bulk["statuses"]) == ("bulk", 50, 5, {"200": 5})
    for row in (single, bulk):
        assert row["database"] == "sqlite" and row["connections"] == 2 and row["reports_per_s"] > 0
        assert 0 < row["latency_ms_p50"] <= row["latency_ms_p95"] <= row["latency_ms_p99"]
        assert row["server_peak_rss_mb"] > 0 and len(row["load_average_before"]) == 3
        assert row["machine"] and row["measured_on"] and row["settings"]["reports_bound"] == 50
        # the triage consumer caught up with every acknowledged report, and the lag was measured
        assert row["workers"] == 1 and 0 <= row["triage_lag_ms_p50"] <= row["triage_lag_ms_p99"]
        assert row["triage_lag_ms_p99"] <= row["triage_lag_ms_max"] and row["triage_catch_up_s"] >= 0
