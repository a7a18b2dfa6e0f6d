"""Running scenarios × engines, in parallel processes (one SQLite database per fairflag job).

Two phases: every scenario is generated and written as a ``fairflag-events/1`` file (in parallel), read back
through the same validating reader a third-party history takes, and replayed there through the baselines
(in memory, a second or less each); then every fairflag job reads its file back and replays it through the real
services, longest first (by report count) so two workers finish together.
With ``workers=1`` everything runs in this process, which tests and debuggers prefer.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fairflag.policy import Policy, load_policy
from fairflag.sim import scenarios
from fairflag.sim.baselines import BASELINES, make_baseline
from fairflag.sim.events import Stream, read_events, write_events
from fairflag.sim.metrics import TIMING_KEYS
from fairflag.sim.replay import FairflagEngine
from fairflag.sim.runner import Runner, tracked_subjects

ENGINES = ("fairflag", "count", "flagscore", "fifo")
RESULT_FORMAT = "fairflag-sim/1"
Progress = Callable[[str, int, int], None]  # (job label, events done, events in the job)


@dataclass(frozen=True)
class Prepared:
    """A scenario (or events file) ready to replay: where its stream is and what it holds."""

    name: str
    path: str
    description: str
    events: int
    reports: int
    horizon_s: float
    moderators: dict[str, float] | None
    seed: int = 0  # the seed its fairflag replay's reviewers use
    labels: dict[str, Any] = field(default_factory=dict)  # a generated world's family, seed and drawn parameters


Generator = Callable[[str, int, float], list[dict[str, Any]]]  # (name, seed, scale) -> raw lines, header first
WORLD_LABELS = ("family", "seed", "world")  # header fields a world generator adds, copied to its result


@dataclass(frozen=True)
class Spec:
    """One stream to generate: the generator's name and seed (a scenario, or a world family)."""

    name: str
    seed: int


@dataclass(frozen=True)
class Job:
    prepared: Prepared
    engine: str
    seed: int
    policy_file: str | None

    @property
    def label(self) -> str:
        return f"{self.prepared.name}/{self.engine}"


@dataclass
class SuiteResult:
    seed: int
    scale: float
    engines: list[str]
    policy_version: str
    scenarios: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {"format": RESULT_FORMAT, "seed": self.seed, "scale": self.scale, "engines": self.engines,
                "policy_version": self.policy_version, "wall_s": round(self.wall_s, 3),
                "reports": sum(s["reports"] for s in self.scenarios), "scenarios": self.scenarios}


def canonical(result: dict[str, Any]) -> dict[str, Any]:
    """The result without wall-clock measurements: identical for identical inputs."""
    out = {k: v for k, v in result.items() if k != "wall_s"}
    out["scenarios"] = [
        {**s, "results": [{**r, "metrics": {k: v for k, v in r["metrics"].items() if k not in TIMING_KEYS}}
                          for r in s["results"]]}
        for s in result["scenarios"]
    ]
    return out


# --- phase 1: streams ----------------------------------------------------------------------------


Outputs = dict[str, dict[str, Any]]  # engine -> its REPLAY_FORMAT output


def prepare_scenario(name: str, seed: int, scale: float, directory: str, policy_file: str | None,
                     baselines: Sequence[str] = (), generate: Generator = scenarios.generate
                     ) -> tuple[Prepared, Outputs]:
    """Generate a scenario (or a world), write it as DIR/<stream name>.jsonl, read it back (validating every
    line) and replay it through the baselines."""
    lines = generate(name, seed, scale)
    header = lines[0]
    path = Path(directory) / f"{header.get('name', name)}.jsonl"
    write_events(path, lines)
    stream = read_events(path, _policy(policy_file))
    description = header.get("description") or scenarios.SCENARIOS[name].description
    labels = {k: header[k] for k in WORLD_LABELS if k in header} if "family" in header else {}
    prepared = _describe(stream, str(path), str(description), seed, labels)
    return prepared, run_baselines(stream, baselines, seed)


def prepare_file(path: Path, policy: Policy, seed: int, baselines: Sequence[str] = ()) -> tuple[Prepared, Outputs]:
    """Validate a third-party (or earlier written) events file before anything runs; replay the baselines."""
    stream = read_events(path, policy)
    return _describe(stream, str(path), f"replayed from {path.name}", seed), run_baselines(stream, baselines, seed)


def run_baselines(stream: Stream, baselines: Sequence[str], seed: int) -> Outputs:
    track = tracked_subjects(stream)
    return {name: Runner(stream, make_baseline(name, stream, track), seed=seed).run().as_json()
            for name in baselines}


def _describe(stream: Stream, path: str, description: str, seed: int,
              labels: dict[str, Any] | None = None) -> Prepared:
    h = stream.header
    moderators = None
    if h.moderators is not None:
        m = h.moderators
        moderators = {"per_hour": m.per_hour, "error_false_negative": m.error_false_negative,
                      "error_false_positive": m.error_false_positive, "abusive_recognition": m.abusive_recognition}
    return Prepared(h.name, path, description, len(stream.events), stream.reports, h.horizon_s, moderators, seed,
                    labels or {})


# --- phase 2: replays ----------------------------------------------------------------------------


_worker_queue: Any = None


def _init_worker(progress_queue: Any) -> None:
    global _worker_queue
    _worker_queue = progress_queue


def _queue_progress(label: str, done: int, total: int) -> None:
    if _worker_queue is not None:
        _worker_queue.put((label, done, total))


def run_job(job: Job, progress: Progress | None = None) -> dict[str, Any]:
    """Replay one stream through fairflag; returns its REPLAY_FORMAT output."""
    policy = _policy(job.policy_file)
    stream = read_events(Path(job.prepared.path), policy)
    track = tracked_subjects(stream)
    report = progress or _queue_progress

    def tell(done: int, total: int) -> None:
        report(job.label, done, total)

    with tempfile.TemporaryDirectory(prefix="fairflag-sim-") as workdir:
        engine = FairflagEngine(stream, Path(workdir), seed=job.seed, policy=policy, track=track)
        try:
            output = Runner(stream, engine, seed=job.seed, progress=tell).run()
        finally:
            engine.close()
    return output.as_json()


def run_suite(names: Sequence[str], *, seed: int, scale: float, engines: Sequence[str], workers: int,
              events_file: Path | None = None, write_events_dir: Path | None = None, policy_file: str | None = None,
              progress: Progress | None = None, on_prepared: Callable[[list[Prepared]], None] | None = None,
              specs: Sequence[Spec] | None = None, generate: Generator = scenarios.generate) -> SuiteResult:
    """Generate (or read) the streams, replay each through each engine, and gather the results.

    ``specs`` (default: each of ``names`` with ``seed``) name what ``generate`` draws, each with its own seed
    (the held-out worlds: a family and a seed each)."""
    specs = list(specs) if specs is not None else [Spec(n, seed) for n in names]
    started = time.perf_counter()
    policy = _policy(policy_file)
    unknown = [e for e in engines if e != "fairflag" and e not in BASELINES]
    if unknown:
        raise ValueError(f"unknown engine {unknown[0]!r}; known: {', '.join(ENGINES)}")
    with tempfile.TemporaryDirectory(prefix="fairflag-sim-events-") as tmp:
        directory = str(write_events_dir) if write_events_dir is not None else tmp
        if write_events_dir is not None:
            write_events_dir.mkdir(parents=True, exist_ok=True)
        pool = _pool(workers)
        baselines = [e for e in engines if e != "fairflag"]
        try:
            if events_file is not None:
                done = [prepare_file(events_file, policy, seed, baselines)]
            elif pool is None:
                done = [prepare_scenario(x.name, x.seed, scale, directory, policy_file, baselines, generate)
                        for x in specs]
            else:
                futures = [pool.executor.submit(prepare_scenario, x.name, x.seed, scale, directory, policy_file,
                                                baselines, generate) for x in specs]
                done = [f.result() for f in futures]
            prepared = [p for p, _ in done]
            outputs = {(p.name, e): out for p, outs in done for e, out in outs.items()}
            if on_prepared is not None:
                on_prepared(prepared)
            jobs = [Job(p, "fairflag", p.seed, policy_file) for p in prepared if "fairflag" in engines]
            outputs.update(_run_jobs(jobs, pool, progress))
        finally:
            if pool is not None:
                pool.executor.shutdown(cancel_futures=True)
    result = SuiteResult(seed=seed, scale=scale, engines=list(engines), policy_version=policy.full_version)
    for p in prepared:
        result.scenarios.append({
            "scenario": p.name, "description": p.description, "events": p.events, "reports": p.reports,
            "horizon_s": p.horizon_s, "moderators": p.moderators, **p.labels,
            "results": [outputs[(p.name, e)] for e in engines],
        })
    result.wall_s = time.perf_counter() - started
    return result


@dataclass
class _Workers:
    executor: ProcessPoolExecutor
    progress: Any  # a multiprocessing queue of (label, done, total)


def _pool(workers: int) -> _Workers | None:
    if workers <= 1:
        return None
    context = multiprocessing.get_context("spawn")  # never fork a process that runs threads (Rich, SQLite)
    progress_queue = context.Queue()
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                                   initargs=(progress_queue,))
    return _Workers(executor, progress_queue)


def _run_jobs(jobs: list[Job], pool: _Workers | None,
              progress: Progress | None) -> dict[tuple[str, str], dict[str, Any]]:
    ordered = sorted(jobs, key=lambda j: (-j.prepared.reports, j.label))  # longest first
    outputs: dict[tuple[str, str], dict[str, Any]] = {}
    if pool is None:
        for job in ordered:
            outputs[(job.prepared.name, job.engine)] = run_job(job, progress)
        return outputs
    pending: dict[Future[dict[str, Any]], Job] = {pool.executor.submit(run_job, job): job for job in ordered}
    while pending:
        done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
        _drain(pool.progress, progress)
        for future in done:
            job = pending.pop(future)
            outputs[(job.prepared.name, job.engine)] = future.result()
    _drain(pool.progress, progress)
    return outputs


def _drain(progress_queue: Any, progress: Progress | None) -> None:
    while True:
        try:
            label, done, total = progress_queue.get_nowait()
        except queue_module.Empty:
            return
        if progress is not None:
            progress(label, done, total)


def _policy(policy_file: str | None) -> Policy:
    return load_policy(policy_file) if policy_file else load_policy()
