"""``fairflag bench``: speed and memory benchmarks, each appending a row to its JSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fairflag.cli.base import CliError, database_url_var, fail, stderr, stdout

app = typer.Typer(help="Benchmarks: speed and memory, written to a JSON file.", no_args_is_help=True,
                  rich_markup_mode=None)


@app.command("intake")
def bench_intake(
    reports_n: Annotated[int, typer.Option("--reports", min=100, help="How many reports to file.")] = 5000,
    database_url: Annotated[str | None, typer.Option(
        help="Database to benchmark (it must be empty or scratch); a temporary SQLite file by default.")] = None,
    out: Annotated[Path, typer.Option(help="Where to write the results (JSON, appended).")] = Path(
        "docs/benchmarks/intake.json"),
) -> None:
    """File reports through the real services (fair triage, campaign detector) and measure speed and memory."""
    import tempfile

    from rich.progress import Progress

    from fairflag.bench.intake import as_dict, run_intake

    with tempfile.TemporaryDirectory() as scratch:
        url = database_url or f"sqlite:///{scratch}/bench.db"
        database_url_var.set(url)
        with Progress(console=stderr()) as progress:
            task = progress.add_task("filing reports", total=reports_n)
            result = run_intake(url, reports_n=reports_n,
                                on_progress=lambda n: progress.update(task, completed=n))
    row = as_dict(result)
    append_row(out, row)


@app.command("http")
def bench_http(
    database: Annotated[str, typer.Option(help="sqlite (a fresh file) or postgresql (a fresh database on "
                                          "--pg-admin-url's server, dropped afterwards).")] = "sqlite",
    connections: Annotated[int, typer.Option(min=1, max=512, help="Concurrent connections.")] = 4,
    reports_n: Annotated[int, typer.Option("--reports", min=1, help="Stop after this many reports.")] = 20_000,
    seconds: Annotated[float, typer.Option(min=0.1, max=600, help="Stop after this many seconds.")] = 20.0,
    bulk: Annotated[int, typer.Option(min=0, max=1000, help="Send POST /v1/reports/batch with this many lines "
                                      "per request instead of single reports (0: single).")] = 0,
    pg_admin_url: Annotated[str, typer.Option(help="Where to create the scratch PostgreSQL database.")] = (
        "postgresql://postgres@127.0.0.1:5432/postgres"),
    out: Annotated[Path, typer.Option(help="Where to write the results (JSON, appended).")] = Path(
        "docs/benchmarks/http.json"),
    workers: Annotated[int | None, typer.Option(min=1, max=64, show_default=False, help="Server processes "
                                                "(`fairflag serve --workers`). [default: what serve picks]")] = None,
) -> None:
    """Run `fairflag serve` on a loopback port and drive it from a separate process over N connections."""

    from fairflag.bench.http import as_dict, run_http

    if database not in ("sqlite", "postgresql"):
        raise CliError("--database must be sqlite or postgresql")
    stderr().print(f"benchmarking {database}, {connections} connections, up to {reports_n} reports or "
                    f"{seconds:g} s{f', batches of {bulk}' if bulk else ''}...")
    row = as_dict(run_http(database, connections=connections, reports_n=reports_n, seconds=seconds, bulk=bulk,
                           pg_admin_url=pg_admin_url, workers=workers))
    append_row(out, row)


@app.command("replay")
def bench_replay(
    scenario: Annotated[str, typer.Option(metavar="NAME", help="The generated scenario to replay.")] = (
        "bot_swarm_fresh"),
    scale: Annotated[float, typer.Option(metavar="FLOAT", min=0.001, help="Its size relative to the default.")] = 0.05,
    engines: Annotated[str, typer.Option(metavar="LIST", help="Engines to replay it through, comma-separated.")] = (
        "fairflag,count,flagscore,fifo"),
    repeat: Annotated[int, typer.Option(metavar="N", min=1, help="Runs of each; the fastest counts.")] = 4,
    out: Annotated[Path, typer.Option(help="Where to write the results (JSON, appended).")] = Path(
        "docs/benchmarks/replay.json"),
) -> None:
    """Replay one stream with accounts created 4 years or 30 days back; the time should match."""
    import json

    from fairflag.bench.replay import as_dict, run_replay
    from fairflag.sim import scenarios
    from fairflag.sim.suite import ENGINES

    chosen = [e.strip() for e in engines.split(",") if e.strip()]
    if scenario not in scenarios.SCENARIOS:
        fail(f"unknown scenario {scenario!r}; known: {', '.join(scenarios.SCENARIOS)}")
    unknown = [e for e in chosen if e not in ENGINES]
    if unknown or not chosen:
        fail(f"unknown engine {unknown[0]!r}; known: {', '.join(ENGINES)}" if unknown else "--engines names no engine")
    with stderr().status("replaying") as status:
        result = run_replay(scenario=scenario, scale=scale, engines=chosen, repeat=repeat,
                            on_progress=lambda what: status.update(f"replaying: {what}"))
    row = as_dict(result)
    out.parent.mkdir(parents=True, exist_ok=True)
    history = json.loads(out.read_text()) if out.exists() else []
    history.append(row)
    out.write_text(json.dumps(history, indent=2) + "\n")
    for run in result.runs:
        stdout().print(f"{run.engine:>10} accounts {run.accounts_created:>3} back: {run.seconds:8.2f} s "
                        f"(CPU {run.cpu_s:.2f} s, {run.reports_per_s} reports/s), {run.slots_offered} slots, "
                        f"{run.ticks} ticks")
    for engine, ratio in result.time_ratio_4y_to_30d.items():
        stdout().print(f"{engine:>10} 4y/30d: time {ratio}, CPU {result.cpu_ratio_4y_to_30d[engine]}, "
                        f"same outcomes: {result.same_outcomes[engine]}")


@app.command("history")
def bench_history(
    reports_n: Annotated[int, typer.Option("--reports", min=100, help="Reports in the stream.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Seed of the generator and the simulated reviewers.")] = 7,
    scale: Annotated[float, typer.Option(min=0.1, max=10.0, help="Size of the organic platform (1.0: the "
                                         "simulator's default); the window is as many days as N needs.")] = 1.0,
    profile: Annotated[Path | None, typer.Option(metavar="DIR", help="Also profile the first and the last decile "
                                                 "(cProfile: DIR/first.prof, DIR/last.prof); slows the run.")] = None,
    note: Annotated[str, typer.Option(help="A note stored with the row (e.g. what the machine was doing).")] = "",
    out: Annotated[Path, typer.Option(help="Where to write the results (JSON, appended).")] = Path(
        "docs/benchmarks/history.json"),
) -> None:
    """Replay one long generated stream (organic reports over many days, a swarm a day) through the real
    services, timing each tenth of the reports: cost per report should not grow with history."""
    import json

    from rich.progress import Progress

    from fairflag.bench.history import as_dict, run_history

    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
    with Progress(console=stderr()) as progress:
        task = progress.add_task("replaying", total=reports_n)
        result = run_history(reports_n, seed=seed, scale=scale, profile_dir=profile,
                             on_progress=lambda n, _total: progress.update(task, completed=n),
                             on_decile=lambda i, d: progress.console.print(decile_line(i, d.__dict__)))
    result.note = note
    row = as_dict(result)
    out.parent.mkdir(parents=True, exist_ok=True)
    history = json.loads(out.read_text()) if out.exists() else []
    history.append(row)
    out.write_text(json.dumps(history, indent=2) + "\n")
    for key, value in row.items():
        if key != "deciles":
            stdout().print(f"{key:>36}: {value}")
    for i, d in enumerate(row["deciles"], 1):
        stdout().print(decile_line(i, d))


def decile_line(i: int, d: dict[str, Any]) -> str:
    return (f"decile {i:>2}: {d['reports']} reports in {d['seconds']:.1f} s (CPU {d['cpu_s']:.1f} s), "
            f"{d['ms_per_report']:.2f} ms and {d['statements_per_report']} statements per report")


def append_row(out: Path, row: dict[str, Any]) -> None:
    """A benchmark keeps its history: each run appends one row to its JSON file (quoted in the README), and
    prints it."""
    import json

    out.parent.mkdir(parents=True, exist_ok=True)
    history = json.loads(out.read_text()) if out.exists() else []
    history.append(row)
    out.write_text(json.dumps(history, indent=2) + "\n")
    for key, value in row.items():
        stdout().print(f"{key:>28}: {value}")
