"""Where a replayed report's CPU goes: ``fairflag bench history``'s stream under cProfile, and every SQL statement.

The stream is the history benchmark's (:func:`fairflag.bench.history.generate`: organic reports, a swarm a
day, reviewers sized to the load), replayed once through the real services on SQLite as the benchmark does
(intake, the inline triage consumer, the simulated reviewers, the worker). cProfile runs with the process's
CPU clock as its timer, so the figures hold on a loaded machine (only the profiler's own overhead, about ×2,
inflates them); every statement sent to SQLite is counted by its text. Prints the breakdown per report (the
table in docs/throughput.md, "Replay cost per report") and the statements per report, most frequent first,
and writes ``OUT.pstats`` (read it with ``python -m pstats``) and ``OUT.sql.txt``.

    python -m fairflag.bench.replay_profile 2000 /tmp/replay            # profiled
    python -m fairflag.bench.replay_profile 2000 /tmp/replay --no-profile  # CPU and statements only
    python -m fairflag.bench.replay_profile --table /tmp/replay.pstats 2000   # the table of a saved profile
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import event

from fairflag.bench.history import generate
from fairflag.policy import load_policy
from fairflag.sim.events import ReportEvent, parse_generated
from fairflag.sim.replay import FairflagEngine
from fairflag.sim.runner import Runner

# (label, a substring of cProfile's "file:line(function)" key): cumulative CPU of the matching functions.
AREAS = (
    ("intake: reports.file_report", "services/reports.py", "file_report"),
    ("intake: the stream's account and subject descriptions (simulator)", "sim/replay.py", "_describe"),
    ("triage consumer transactions (TriageConsumer.step)", "fairflag/consumer.py", "step"),
    ("  weighing one report (services/consumer._weigh)", "services/consumer.py", "_weigh"),
    ("    engine + services: triage.weigh_report", "services/triage.py", "weigh_report"),
    ("    engine + services: triage.rescore", "services/triage.py", "rescore"),
    ("    campaign detector: observe", "campaigns/detector.py", "observe"),
    ("  after a decision (campaigns judged again)", "services/consumer.py", "_after_decision"),
    ("reviews: claim-next and decide (simulated moderators)", "sim/replay.py", "review"),
    ("commits (Session.commit, its flush included)", "orm/session.py", "commit"),
    ("ORM flushes (Session._flush)", "orm/session.py", "_flush"),
    ("ORM Session.get", "orm/session.py", "get"),
    ("every SQL statement through SQLAlchemy (Connection.execute)", "engine/base.py", "execute"),
)


def _cumulative(stats: dict[Any, Any], path: str, function: str) -> tuple[float, int]:
    """CPU and calls of the matching function with the most cumulative time (a module may define several of
    one name, such as a session's and its transaction's ``commit``, one calling the other)."""
    keys = [k for k in stats if k[0].endswith(path) and k[2] == function]
    if not keys:
        return 0.0, 0
    key = max(keys, key=lambda k: stats[k][3])
    return stats[key][3], stats[key][1]


def _own(stats: dict[Any, Any], part: str) -> float:
    return sum(v[2] for k, v in stats.items() if part in k[0])


def run(reports_n: int, out: Path, *, profile: bool = True, seed: int = 7, scale: float = 0.4) -> None:
    policy = load_policy()
    stream = parse_generated(generate(reports_n, seed=seed, scale=scale), policy, "history")
    statements: Counter[str] = Counter()
    profiler = cProfile.Profile(time.process_time) if profile else None
    with tempfile.TemporaryDirectory(prefix="fairflag-replay-profile-") as workdir:
        engine = FairflagEngine(stream, Path(workdir), seed=seed, policy=policy)

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements[" ".join(statement.split())[:160]] += 1

        event.listen(engine.db.engine, "before_cursor_execute", count)
        try:
            runner = Runner(stream, engine, seed=seed)
            cpu = time.process_time()
            if profiler is not None:
                profiler.enable()
            runner.run()
            if profiler is not None:
                profiler.disable()
            cpu = time.process_time() - cpu
        finally:
            engine.close()
    n = sum(1 for e in stream.events if isinstance(e, ReportEvent))
    total = sum(statements.values())
    print(f"{n} reports in the stream, {runner.reviews} reviews: {cpu:.2f} s CPU{' (profiled)' if profile else ''}, "
          f"{1000 * cpu / n:.2f} ms/report, {total / n:.2f} SQL statements/report")
    with open(f"{out}.sql.txt", "w") as f:
        for text, c in statements.most_common():
            f.write(f"{c / n:8.3f} {c:8d}  {text}\n")
    if profiler is None:
        return
    profiler.dump_stats(f"{out}.pstats")
    table(pstats.Stats(profiler), n)


def table(profile: pstats.Stats, n: int) -> None:
    """The breakdown per report of a profile of a replay of ``n`` reports (Markdown)."""
    stats = profile.stats  # type: ignore[attr-defined]
    whole = sum(v[2] for v in stats.values())
    print("| where | CPU ms/report | share | calls |\n|---|---|---|---|")
    for label, path, function in AREAS:
        c, calls = _cumulative(stats, path, function)
        print(f"| {label} | {1000 * c / n:.2f} | {100 * c / whole:.0f} % | {calls} |")
    for label, part in (("own time in SQLAlchemy", "sqlalchemy/"), ("own time in fairflag/engine", "fairflag/engine/"),
                        ("own time in fairflag/services", "fairflag/services/"),
                        ("own time in fairflag/store", "fairflag/store/")):
        c = _own(stats, part)
        print(f"| {label} | {1000 * c / n:.2f} | {100 * c / whole:.0f} % | |")
    sqlite = sum(v[2] for k, v in stats.items() if k[0] == "~" and "sqlite3" in k[2])
    print(f"| SQLite itself (the sqlite3 module's execute and commit) | {1000 * sqlite / n:.2f} | "
          f"{100 * sqlite / whole:.0f} % | |")


if __name__ == "__main__":
    if sys.argv[1] == "--table":  # python -m fairflag.bench.replay_profile --table OUT.pstats N
        table(pstats.Stats(sys.argv[2]), int(sys.argv[3]))
    else:
        run(int(sys.argv[1]), Path(sys.argv[2]), profile="--no-profile" not in sys.argv[3:])
