"""Cost per report against the history behind it: one long stream, timed decile by decile.

Issue 21 asks that the last 10 % of a 1M-report replay be no slower than the first 10 %: anything that grows
with history (a query without an index, a scan of every case or report of a reporter, a window that never
expires, a Python list that keeps growing) shows up as later deciles costing more than earlier ones, long
before it shows up as a slow day in production.

The stream is generated with the simulator's own platform (:mod:`fairflag.sim.platform`): organic uploads and
reports (viewers, trusted flaggers, the platform's classifiers) over as many days as it takes to reach N
reports, plus a swarm of fresh accounts on one creator's innocent uploads every ``swarm_every_h`` hours, and
reviewers sized to the organic load (so the queue stays bounded, as it would on a staffed platform). It is
replayed through the real services on SQLite (:class:`~fairflag.sim.replay.FairflagEngine`: full triage,
campaign detection, automatic restriction, reviews and the worker), and the replay alone is timed: wall and
CPU seconds, and SQL statements, per decile of reports. Peak RSS covers the whole process (generation
included). Deterministic for (seed, scale, N).
"""

from __future__ import annotations

import cProfile
import math
import os
import platform as host
import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import event

from fairflag.policy import load_policy
from fairflag.sim.events import ReportEvent, Stream, parse_generated
from fairflag.sim.platform import (
    DAY,
    HOUR,
    Platform,
    StreamBuilder,
    attack,
    innocent_targets,
    make_attackers,
    stable_seed,
    target_creator,
)
from fairflag.sim.replay import FairflagEngine
from fairflag.sim.runner import Runner

# Organic reports a day at platform scale 1.0 (measured from the generator: ~2,200), to size the window.
REPORTS_PER_DAY_AT_SCALE_1 = 2200.0
SWARM_REASONS = ("spam", "sexual_content", "hate", "scam_fraud", "impersonation")
SWARM_TEMPLATES = ("spam", "fake account", "this is a scam", "offensive content remove now")


@dataclass
class Decile:
    reports: int  # reports replayed in this decile
    seconds: float  # wall
    cpu_s: float
    statements: int  # SQL statements executed by the replay (reports, reviews and worker ticks)
    reports_per_s: float
    ms_per_report: float
    statements_per_report: float


@dataclass
class HistoryResult:
    reports: int
    events: int
    subjects: int
    reporters: int
    swarm_reports: int
    days: float
    seed: int
    platform_scale: float
    reviews: int
    campaigns: int
    generate_s: float
    seconds: float
    cpu_s: float
    reports_per_s: float
    last_to_first_decile: float  # wall time of the last 10 % over the first 10 %
    last_to_first_decile_cpu: float
    last_to_first_statements_per_report: float
    peak_rss_mb: float
    database_mb: float
    deciles: list[Decile] = field(default_factory=list)
    extrapolated_1m_s: float = 0.0  # 1M reports at the measured mean rate, and at the last decile's
    extrapolated_1m_last_decile_rate_s: float = 0.0
    load_before: list[float] = field(default_factory=list)
    load_after: list[float] = field(default_factory=list)
    machine: str = ""
    measured_on: str = ""
    commit: str = ""
    note: str = ""


def generate(reports_n: int, *, seed: int = 7, scale: float = 1.0, swarm_every_h: float = 24.0) -> list[dict[str, Any]]:
    """A ``fairflag-events/1`` stream of exactly ``reports_n`` reports (the window is cut at the last one)."""
    days = max(1.0, math.ceil(reports_n / (REPORTS_PER_DAY_AT_SCALE_1 * scale) * 1.15))
    horizon = days * DAY
    rng = np.random.default_rng(stable_seed("history", seed, scale, reports_n))
    builder = StreamBuilder(f"history-{reports_n}", seed, scale, horizon)
    platform = Platform(builder, rng)
    platform.organic(0.0, horizon)
    per_hour = platform.moderator_capacity(0.0, horizon)
    t = 6 * HOUR
    while t < horizon - HOUR:
        _swarm(platform, rng, t)
        t += swarm_every_h * HOUR
    lines = builder.build(builder.moderators(per_hour, platform.p), description=(
        "Organic reporting over many days with a fresh-account swarm every "
        f"{swarm_every_h:g} h (fairflag bench history)."))
    return _cut(lines, reports_n)


def _swarm(platform: Platform, rng: np.random.Generator, start: float) -> None:
    """Fresh accounts mass-report one to five innocent uploads of one creator for minutes to hours."""
    n = int(rng.integers(20, 200))
    bots = make_attackers(platform, n, created_between=(start - 7 * DAY, start - HOUR),
                          fingerprints=str(rng.choice(["shared", "unique"])), devices=max(1, n // 8),
                          networks=int(rng.integers(1, 5)), label=f"swarm{int(start)}")
    creator = target_creator(platform, followers=int(rng.lognormal(8.0, 1.5)))
    targets = innocent_targets(platform, creator, int(rng.integers(1, 6)), created_between=(start - 2 * DAY,
                                                                                          start - 600))
    platform.user_reports(targets, max(0.0, start - 2 * DAY), start + DAY)
    attack(platform, bots, [s.id for s in targets], start=start, duration=float(rng.uniform(600, 4 * HOUR)),
           share=float(rng.uniform(0.3, 0.9)), reasons=SWARM_REASONS, text=str(rng.choice(["template", "none"])),
           templates=SWARM_TEMPLATES)


def _cut(lines: list[dict[str, Any]], reports_n: int) -> list[dict[str, Any]]:
    """The first ``reports_n`` reports and everything before them; the horizon moves to the last one."""
    header, out, n = dict(lines[0]), [], 0
    for line in lines[1:]:
        out.append(line)
        if line["type"] == "report":
            n += 1
            if n == reports_n:
                break
    if n < reports_n:
        raise ValueError(f"the generated window holds {n} reports, fewer than {reports_n}: raise the scale")
    header["horizon_s"] = float(out[-1]["t"])
    return [header, *out]


class _Meter:
    """Wall, CPU and SQL statements at each decile boundary of the stream's reports (a report the runner drops,
    its subject already removed, counts: it is part of the stream). With ``profile_dir``, cProfile runs over
    the first and the last decile and writes ``first.prof`` and ``last.prof`` there."""

    def __init__(self, total: int, profile_dir: Path | None = None,
                 on_decile: Callable[[int, Decile], None] | None = None) -> None:
        self.total = total
        self.on_decile = on_decile
        self.bounds = [round(total * (i + 1) / 10) for i in range(10)]
        self.n = 0
        self.statements = 0
        self.marks: list[tuple[int, float, float, int]] = []
        self.profile_dir = profile_dir
        self.profiler: cProfile.Profile | None = None

    def start(self) -> None:
        self.marks = [(0, time.perf_counter(), time.process_time(), self.statements)]
        self._profile(0)

    def on_statement(self, *_args: Any) -> None:
        self.statements += 1

    def on_report(self) -> None:
        self.n += 1
        if len(self.marks) <= 10 and self.n == self.bounds[len(self.marks) - 1]:
            self.marks.append((self.n, time.perf_counter(), time.process_time(), self.statements))
            self._profile(len(self.marks) - 1)
            if self.on_decile is not None:
                self.on_decile(len(self.marks) - 1, self.deciles()[-1])

    def _profile(self, decile: int) -> None:
        """Profile decile 0 and decile 9 (``decile`` is the one starting now)."""
        if self.profile_dir is None:
            return
        if self.profiler is not None:
            self.profiler.disable()
            self.profiler.dump_stats(self.profile_dir / ("first.prof" if decile == 1 else "last.prof"))
            self.profiler = None
        if decile in (0, 9):
            self.profiler = cProfile.Profile()
            self.profiler.enable()

    def deciles(self) -> list[Decile]:
        out = []
        for (n0, w0, c0, s0), (n1, w1, c1, s1) in zip(self.marks, self.marks[1:], strict=False):
            n, wall = n1 - n0, w1 - w0
            out.append(Decile(reports=n, seconds=round(wall, 3), cpu_s=round(c1 - c0, 3), statements=s1 - s0,
                              reports_per_s=round(n / max(wall, 1e-9), 1),
                              ms_per_report=round(1000 * wall / max(n, 1), 3),
                              statements_per_report=round((s1 - s0) / max(n, 1), 2)))
        return out


def run_history(reports_n: int = 100_000, *, seed: int = 7, scale: float = 1.0, profile_dir: Path | None = None,
                on_progress: Callable[[int, int], None] | None = None,
                on_decile: Callable[[int, Decile], None] | None = None) -> HistoryResult:
    """Generate the stream, replay it once and measure; ``on_decile`` hears each tenth as it completes (a long
    run that has to be stopped still says how far it got)."""
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.perf_counter()
    lines = generate(reports_n, seed=seed, scale=scale)
    policy = load_policy()
    stream = parse_generated(lines, policy, "history")
    generate_s = time.perf_counter() - started
    del lines
    meter = _Meter(reports_n, profile_dir, on_decile)
    with tempfile.TemporaryDirectory(prefix="fairflag-bench-history-") as workdir:
        engine = FairflagEngine(stream, Path(workdir), seed=seed, policy=policy)
        event.listen(engine.db.engine, "before_cursor_execute", meter.on_statement)
        try:
            runner = Runner(stream, engine, seed=seed)
            apply = runner.apply

            def counted(key: int, ev: Any) -> None:
                apply(key, ev)
                if isinstance(ev, ReportEvent):
                    meter.on_report()
                    if on_progress is not None and meter.n % 1000 == 0:
                        on_progress(meter.n, reports_n)

            runner.apply = counted  # type: ignore[method-assign]
            meter.start()
            wall, cpu = time.perf_counter(), time.process_time()
            runner.run()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            engine_campaigns = engine.results().campaigns or 0
            database_mb = sum(p.stat().st_size for p in Path(workdir).iterdir()) / 2**20
        finally:
            engine.close()
    deciles = meter.deciles()
    first, last = deciles[0], deciles[-1]
    rate = reports_n / wall
    return HistoryResult(
        reports=reports_n, events=len(stream.events), subjects=len(stream.subjects),
        reporters=len({e.reporter for e in stream.events if isinstance(e, ReportEvent)}),
        swarm_reports=sum(1 for e in stream.events if isinstance(e, ReportEvent) and e.abusive),
        days=round(stream.header.horizon_s / DAY, 2), seed=seed, platform_scale=scale,
        reviews=runner.reviews, campaigns=engine_campaigns,
        generate_s=round(generate_s, 2), seconds=round(wall, 2), cpu_s=round(cpu, 2), reports_per_s=round(rate, 1),
        last_to_first_decile=round(last.seconds / max(first.seconds, 1e-9), 3),
        last_to_first_decile_cpu=round(last.cpu_s / max(first.cpu_s, 1e-9), 3),
        last_to_first_statements_per_report=round(last.statements_per_report
                                                  / max(first.statements_per_report, 1e-9), 3),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        database_mb=round(database_mb, 1), deciles=deciles,
        extrapolated_1m_s=round(1_000_000 / rate, 1),
        extrapolated_1m_last_decile_rate_s=round(1_000_000 / max(last.reports_per_s, 1e-9), 1),
        load_before=load_before, load_after=[round(x, 2) for x in os.getloadavg()],
        machine=f"{os.cpu_count()} cores {host.machine()} {host.system()}, python {host.python_version()}",
        measured_on=_today(), commit=_commit())


def _today() -> str:
    from fairflag.clock import SystemClock  # a benchmark's date is the wall-clock date it ran

    return SystemClock().now().date().isoformat()


def _commit() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def as_dict(result: HistoryResult) -> dict[str, Any]:
    return asdict(result)


def stream_of(reports_n: int, *, seed: int = 7, scale: float = 1.0) -> Stream:
    """The benchmark's stream, parsed (for tests and profiling)."""
    return parse_generated(generate(reports_n, seed=seed, scale=scale), load_policy(), "history")
