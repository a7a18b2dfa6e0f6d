"""``fairflag simulate``: run the quality benchmark (or replay an events file) and report.

Bad input (an unknown scenario or engine, a malformed events file, an unwritable output) ends in one red line
on stderr with exit code 2, never a traceback; a malformed events file names the line and the reason.
Help is plain text, like the rest of the CLI, so the CLI reference can be generated from it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from fairflag.policy import PolicyError
from fairflag.sim import heldout_report, redteam, redteam_report, scenarios, worlds
from fairflag.sim.events import EventsError
from fairflag.sim.heldout import run_seed_set, seed_range
from fairflag.sim.report import engine_names, html_report, rich_table
from fairflag.sim.suite import ENGINES, Prepared, run_suite

EXIT_BAD_INPUT = 2
RED_TEAM_BUDGET = 200
ProgressFn = Callable[[str, int, int], None]
PreparedFn = Callable[[list[Prepared]], None]

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  pretty_exceptions_show_locals=False, help="The quality benchmark.")


@app.callback()
def _root() -> None:
    """The quality benchmark."""


def _fail(message: str) -> None:
    Console(stderr=True).print(Text(f"error: {message}", style="red"), soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def simulate(
    scenario: Annotated[list[str] | None, typer.Option(
        "--scenario", metavar="NAME", show_default=False,
        help=f"A scenario to run (repeatable). [default: all: {', '.join(scenarios.SCENARIOS)}]")] = None,
    seed: Annotated[int, typer.Option(metavar="INT", help="Seed of the generators and the simulated reviewers.")] = 7,
    scale: Annotated[float, typer.Option(metavar="FLOAT", min=0.001,
                                         help="Size of every scenario relative to the default.")] = 1.0,
    events: Annotated[Path | None, typer.Option(
        "--events", metavar="FILE", show_default=False,
        help="Replay this fairflag-events/1 file instead of generated scenarios.")] = None,
    write_events: Annotated[Path | None, typer.Option(
        "--write-events", metavar="DIR", show_default=False,
        help="Write each generated scenario as DIR/<scenario>.jsonl.")] = None,
    out: Annotated[Path | None, typer.Option("--out", metavar="FILE.json", show_default=False,
                                             help="Write the results as JSON.")] = None,
    html: Annotated[Path | None, typer.Option("--html", metavar="FILE.html", show_default=False,
                                              help="Write a self-contained HTML report.")] = None,
    engines: Annotated[str, typer.Option(metavar="LIST", help="Engines to compare, comma-separated.")] = ",".join(
        ENGINES),
    workers: Annotated[int, typer.Option(metavar="N", min=1,
                                         help="Parallel processes, one SQLite database each (1: this process).")] = 2,
    policy: Annotated[Path | None, typer.Option(
        metavar="FILE", show_default=False, help="Policy file for fairflag. [default: the packaged policy]")] = None,
    held_out: Annotated[bool, typer.Option(
        "--held-out", help=f"Run the held-out worlds instead: every family (--family) with held-out seeds "
        f"{worlds.HELDOUT_SEEDS[0]}-{worlds.HELDOUT_SEEDS[-1]} (a fresh range: --first-seed 2001 for 2001-2010; "
        f"never the tune seeds {worlds.TUNE_SEEDS[0]}-{worlds.TUNE_SEEDS[-1]}), and report the targets per family."
    )] = False,
    tune: Annotated[bool, typer.Option(
        "--tune", help=f"Like --held-out with the tune seeds {worlds.TUNE_SEEDS[0]}-{worlds.TUNE_SEEDS[-1]}, "
        "the only ones to tune the engine on.")] = False,
    family: Annotated[list[str] | None, typer.Option(
        "--family", metavar="NAME", show_default=False,
        help=f"With --held-out or --tune: a world family (repeatable). [default: all: {', '.join(worlds.FAMILIES)}]"
    )] = None,
    seeds: Annotated[int | None, typer.Option(
        "--seeds", metavar="N", min=1, show_default=False,
        help="With --held-out or --tune: only the first N seeds of the set. [default: all]")] = None,
    first_seed: Annotated[int | None, typer.Option(
        "--first-seed", metavar="N", min=1, show_default=False,
        help="With --held-out or --tune: the set's seeds start at N instead (as many as the set has), to measure "
        f"on a fresh range. [default: {worlds.HELDOUT_SEEDS[0]} held-out, {worlds.TUNE_SEEDS[0]} tune]")] = None,
    compact: Annotated[bool, typer.Option(
        "--compact", help="Leave the per-subject and per-reporter records and score traces out of --out "
        "(metrics, worlds and targets stay).")] = False,
    red_team: Annotated[bool, typer.Option(
        "--red-team", help="Search attack parameters (seeded by --seed, --budget evaluations) for the attack that "
        "harms the most innocent subjects under fairflag, per attacker account and in total, in --worlds small "
        f"worlds (--scale 1: world scale {redteam.BASE_SCALE}); report the worst under fairflag and the baselines, "
        "their cost, and fairflag / count on each.")] = False,
    budget: Annotated[int | None, typer.Option(
        "--budget", metavar="N", min=1, show_default=False,
        help=f"With --red-team: attacks to evaluate. [default: {RED_TEAM_BUDGET}]")] = None,
    worlds_n: Annotated[int | None, typer.Option(
        "--worlds", metavar="K", min=1, show_default=False,
        help="With --red-team: judge every attack in K worlds (reviewers 6, 30, 120 an hour at --scale 1 and "
        "targets' exposure ×1, ×0.3, ×3, then drawn ones); an attack's harm is its worst world's. "
        f"[default: {redteam.DEFAULT_WORLDS}]")] = None,
) -> None:
    """Replay attack scenarios (or a platform's history) through fairflag and baselines, and compare."""
    seed_set = held_out or tune
    _refuse(not red_team, "{options}: only the red-team search takes this; add --red-team",
            {"--budget": budget is not None, "--worlds": worlds_n is not None})
    _refuse(red_team, "--red-team searches its own attacks; do not combine it with {options}",
            {"--held-out": held_out, "--tune": tune, "--scenario": bool(scenario), "--events": events is not None,
             "--family": bool(family), "--seeds": seeds is not None, "--first-seed": first_seed is not None})
    if red_team:
        _red_team(budget or RED_TEAM_BUDGET, worlds_n or redteam.DEFAULT_WORLDS, seed, scale, workers, policy, out,
                  html, compact)
        return
    _refuse(held_out, "choose one of --held-out and {options}", {"--tune": tune})
    _refuse(not seed_set, "{options} choose held-out or tune worlds; add --held-out or --tune",
            {"--family": bool(family), "--seeds": seeds is not None, "--first-seed": first_seed is not None})
    _refuse(seed_set, "--held-out and --tune run world families; do not combine them with {options}",
            {"--scenario": bool(scenario), "--events": events is not None})
    if seed_set:
        _seed_set("held-out" if held_out else "tune", family, seeds, first_seed, scale, engines, workers,
                  write_events, policy, out, html, compact)
        return
    chosen = _engines(engines)
    names = list(dict.fromkeys(scenario or scenarios.SCENARIOS))
    for name in names:
        if name not in scenarios.SCENARIOS:
            _fail(f"unknown scenario {name!r}; known: {', '.join(scenarios.SCENARIOS)}")
    _refuse(events is not None, "--events replays one file; do not combine it with {options}",
            {"--scenario": bool(scenario)})
    _refuse(events is not None, "{options} writes generated scenarios; there are none when replaying --events",
            {"--write-events": write_events is not None})
    _check_outputs(out, html)

    def run(progress: ProgressFn, prepared: PreparedFn) -> dict[str, Any]:
        return run_suite(names, seed=seed, scale=scale, engines=chosen, workers=workers, events_file=events,
                         write_events_dir=write_events, policy_file=str(policy) if policy else None,
                         progress=progress, on_prepared=prepared).as_json()

    result = _with_progress(run, chosen)
    _console().print(rich_table(result))
    _write(result, out, html, html_report, compact)


def _seed_set(seed_set: str, family: list[str] | None, seeds: int | None, first_seed: int | None, scale: float,
              engines: str, workers: int, write_events: Path | None, policy: Path | None, out: Path | None,
              html: Path | None, compact: bool) -> None:
    """``--held-out`` / ``--tune``: every chosen family × the set's seeds, then the targets table."""
    chosen = _engines(engines)
    families = list(dict.fromkeys(family or worlds.FAMILIES))
    for name in families:
        if name not in worlds.FAMILIES:
            _fail(f"unknown family {name!r}; known: {', '.join(worlds.FAMILIES)}")
    try:
        seed_range(seed_set, first_seed)
    except ValueError as exc:
        _fail(f"--first-seed: {exc}")
    _check_outputs(out, html)

    def run(progress: ProgressFn, prepared: PreparedFn) -> dict[str, Any]:
        return run_seed_set(seed_set, families=families, seeds=seeds, first_seed=first_seed, scale=scale,
                            engines=chosen, workers=workers,
                            write_events_dir=write_events, policy_file=str(policy) if policy else None,
                            progress=progress, on_prepared=prepared)

    result = _with_progress(run, chosen)
    _console().print(heldout_report.rich_table(result))
    _write(result, out, html, heldout_report.html_report, compact)


def _red_team(budget: int, n_worlds: int, seed: int, scale: float, workers: int, policy: Path | None,
              out: Path | None, html: Path | None, compact: bool) -> None:
    """``--red-team``: the attack search, then the worst attacks found."""
    _check_outputs(out, html)
    with _progress() as progress:
        task = progress.add_task("evaluating attacks", total=budget)
        with _guarded(progress):
            result = redteam.search(budget, seed=seed, scale=scale, workers=workers, worlds=n_worlds,
                                    policy_file=str(policy) if policy else None,
                                    progress=lambda done, _total: progress.update(task, completed=done))
    _console().print(redteam_report.rich_table(result))
    _write(result, out, html, redteam_report.html_report, compact)


def _engines(engines: str) -> list[str]:
    chosen = engine_names(engines.split(","))
    for name in chosen:
        if name not in ENGINES:
            _fail(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")
    if not chosen:
        _fail("--engines names no engine")
    return chosen


def _check_outputs(out: Path | None, html: Path | None) -> None:
    for path in (out, html):
        if path is not None and path.parent and not path.parent.exists():
            _fail(f"cannot write {path}: directory {path.parent} does not exist")


def _refuse(when: bool, message: str, options: Mapping[str, bool]) -> None:
    """The one rule behind every option check: when ``when`` holds, none of ``options`` (name -> given) may
    be given; the message names exactly those that were (``{options}`` in ``message``)."""
    given = [name for name, on in options.items() if on]
    if when and given:
        _fail(message.format(options=", ".join(given)))


def _progress() -> Progress:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=Console(stderr=True), transient=False)


@contextmanager
def _guarded(progress: Progress) -> Iterator[None]:
    """Bad input met while running (an events file, a policy, a path) ends in one red line, not a traceback."""
    try:
        yield
    except EventsError as exc:
        progress.stop()
        _fail(str(exc))
    except PolicyError as exc:
        progress.stop()
        _fail(" ".join(str(exc).split()))
    except OSError as exc:
        progress.stop()
        _fail(f"{exc.filename or ''}: {exc.strerror}".strip(": "))


def _with_progress(run: Callable[[ProgressFn, PreparedFn], dict[str, Any]], chosen: list[str]) -> dict[str, Any]:
    """Run with a progress bar on stderr; bad input ends in one red line."""
    with _progress() as progress:
        overall = progress.add_task("preparing streams", total=None)
        seen: dict[str, int] = {}

        def prepared(items: list[Prepared]) -> None:
            total = sum(p.events for p in items) * ("fairflag" in chosen)  # the baselines ran while preparing
            progress.update(overall, description="replaying events", total=total, completed=0)

        def advanced(label: str, done: int, total: int) -> None:
            delta = done - seen.get(label, 0)
            seen[label] = done
            progress.update(overall, advance=delta, description=f"replaying events ({label})")

        with _guarded(progress):
            result = run(advanced, prepared)
        progress.update(overall, description="done")
    return result


def _console() -> Console:
    console = Console()
    return console if console.is_terminal else Console(width=200)  # piped or captured: one row per engine


def _write(result: dict[str, Any], out: Path | None, html: Path | None,
           render: Callable[[dict[str, Any]], str], compact: bool) -> None:
    try:
        if html is not None:
            html.write_text(render(result), encoding="utf-8")
        if out is not None:
            saved = _compact(result) if compact else result
            out.write_text(json.dumps(saved, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n",
                           encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {exc.filename}: {exc.strerror}")


def _compact(result: dict[str, Any]) -> dict[str, Any]:
    """The result without its bulky per-subject and per-reporter records (the metrics derive from them)."""
    bulky = ("subjects", "reporters", "traces")
    return {**result, "scenarios": [{**s, "results": [{k: v for k, v in r.items() if k not in bulky}
                                                     for r in s["results"]]} for s in result["scenarios"]]}
