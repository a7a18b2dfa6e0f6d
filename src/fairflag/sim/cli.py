"""``fairflag simulate``: run the quality benchmark (or replay an events file) and report.

Bad input (an unknown scenario or engine, a malformed events file, an unwritable output) ends in one red line
on stderr with exit code 2, never a traceback; a malformed events file names the line and the reason.
Help is plain text, like the rest of the CLI, so the CLI reference can be generated from it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from fairflag.policy import PolicyError
from fairflag.sim import scenarios
from fairflag.sim.events import EventsError
from fairflag.sim.report import engine_names, html_report, rich_table
from fairflag.sim.suite import ENGINES, Prepared, run_suite

EXIT_BAD_INPUT = 2

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
) -> None:
    """Replay attack scenarios (or a platform's history) through fairflag and baselines, and compare."""
    chosen = engine_names(engines.split(","))
    for name in chosen:
        if name not in ENGINES:
            _fail(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")
    if not chosen:
        _fail("--engines names no engine")
    names = list(dict.fromkeys(scenario or scenarios.SCENARIOS))
    for name in names:
        if name not in scenarios.SCENARIOS:
            _fail(f"unknown scenario {name!r}; known: {', '.join(scenarios.SCENARIOS)}")
    if events is not None and scenario:
        _fail("--events replays one file; do not combine it with --scenario")
    if events is not None and write_events is not None:
        _fail("--write-events writes generated scenarios; there are none when replaying --events")
    for path in (out, html):
        if path is not None and path.parent and not path.parent.exists():
            _fail(f"cannot write {path}: directory {path.parent} does not exist")

    stderr = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=stderr, transient=False) as progress:
        overall = progress.add_task("preparing streams", total=None)
        seen: dict[str, int] = {}

        def prepared(items: list[Prepared]) -> None:
            total = sum(p.events for p in items) * ("fairflag" in chosen)  # the baselines ran while preparing
            progress.update(overall, description="replaying events", total=total, completed=0)

        def advanced(label: str, done: int, total: int) -> None:
            delta = done - seen.get(label, 0)
            seen[label] = done
            progress.update(overall, advance=delta, description=f"replaying events ({label})")

        try:
            result = run_suite(names, seed=seed, scale=scale, engines=chosen, workers=workers, events_file=events,
                               write_events_dir=write_events, policy_file=str(policy) if policy else None,
                               progress=advanced, on_prepared=prepared).as_json()
        except EventsError as exc:
            progress.stop()
            _fail(str(exc))
        except PolicyError as exc:
            progress.stop()
            _fail(" ".join(str(exc).split()))
        except OSError as exc:
            progress.stop()
            _fail(f"{exc.filename or ''}: {exc.strerror}".strip(": "))
        progress.update(overall, description="done")

    console = Console()
    if not console.is_terminal:
        console = Console(width=200)  # piped or captured: keep one row per engine
    console.print(rich_table(result))
    try:
        if out is not None:
            out.write_text(json.dumps(result, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n",
                           encoding="utf-8")
        if html is not None:
            html.write_text(html_report(result), encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {exc.filename}: {exc.strerror}")

