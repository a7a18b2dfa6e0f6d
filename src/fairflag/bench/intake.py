"""Report intake through the real services and store: reports per second, latency per report, memory.

The workload mixes organic reports (many reporters, many subjects, heavy-tailed) with a mass-reporting swarm
on one subject, so the cost of the fair-triage path (credibility, campaign detector, running evidence sums,
automatic-restriction check) is measured where it matters: a case that keeps growing must not make each new
report slower.
"""

from __future__ import annotations

import os
import platform as host
import random
import resource
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import numpy as np

from fairflag.clock import ManualClock
from fairflag.core import Fairflag
from fairflag.domain.enums import ActorType
from fairflag.ids import SeededIds
from fairflag.policy import load_policy
from fairflag.services import platform, reports
from fairflag.services.context import Actor
from fairflag.store.db import Database

PLATFORM = Actor(ActorType.platform, "bench")


@dataclass
class IntakeResult:
    database: str
    reports: int
    swarm_reports: int
    seconds: float
    reports_per_s: float
    latency_ms_p50: float
    latency_ms_p95: float
    latency_ms_p99: float
    swarm_latency_ms_first_100: float
    swarm_latency_ms_last_100: float
    peak_rss_mb: float
    machine: str
    measured_on: str


def run_intake(url: str, *, reports_n: int = 5000, swarm_share: float = 0.3, seed: int = 7,
               on_progress: object = None) -> IntakeResult:
    rng = random.Random(seed)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    clock = ManualClock(start)
    core = Fairflag(Database(url), load_policy(), clock=clock, ids=SeededIds(seed), provenance="bench")
    core.migrate()
    n_subjects = max(50, reports_n // 10)
    for k in range(n_subjects):
        views = int(rng.lognormvariate(8, 2))
        core.run(PLATFORM, platform.upsert_subject, platform.SubjectIn(
            id=f"b-s{k}", surface="livestream" if k % 50 == 0 else "video", owner_id=f"b-c{k % 200}", views=views))
    swarm_n = int(reports_n * swarm_share)
    order = ["swarm"] * swarm_n + ["organic"] * (reports_n - swarm_n)
    rng.shuffle(order)
    latencies: list[float] = []
    swarm_lat: list[float] = []
    reasons = ["spam", "harassment", "hate", "violence", "scam_fraud", "copyright"]
    began = time.perf_counter()
    s = 0
    for i, kind in enumerate(order):
        clock.advance(rng.expovariate(1 / 2.0))
        if kind == "swarm":
            body = reports.ReportIn(reporter_id=f"b-bot{s}", subject_id="b-s1", reason="violence",
                                    fp_dev=f"farm{s % 8}", text="remove this now")
            s += 1
        else:
            r = int(rng.paretovariate(1.2)) % 20_000
            body = reports.ReportIn(reporter_id=f"b-u{r}", subject_id=f"b-s{int(rng.paretovariate(1.1)) % n_subjects}",
                                    reason=rng.choice(reasons), fp_dev=f"dev{r}")
        t0 = time.perf_counter()
        core.run(PLATFORM, reports.file_report, body)
        dt = (time.perf_counter() - t0) * 1000
        latencies.append(dt)
        if kind == "swarm":
            swarm_lat.append(dt)
        if callable(on_progress):
            on_progress(i + 1)
    seconds = time.perf_counter() - began
    core.db.dispose()
    lat = np.array(latencies)
    return IntakeResult(
        database=core.db.dialect, reports=reports_n, swarm_reports=swarm_n, seconds=round(seconds, 2),
        reports_per_s=round(reports_n / seconds, 1),
        latency_ms_p50=round(float(np.percentile(lat, 50)), 2), latency_ms_p95=round(float(np.percentile(lat, 95)), 2),
        latency_ms_p99=round(float(np.percentile(lat, 99)), 2),
        swarm_latency_ms_first_100=round(float(np.mean(swarm_lat[:100])), 2) if swarm_lat else 0.0,
        swarm_latency_ms_last_100=round(float(np.mean(swarm_lat[-100:])), 2) if swarm_lat else 0.0,
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        machine=f"{os.cpu_count()} cores {host.machine()} {host.system()}, python {host.python_version()}",
        measured_on=_today(),
    )


def _today() -> str:
    # A benchmark's date is the wall-clock date it ran, through the one clock module.
    from fairflag.clock import SystemClock

    return SystemClock().now().date().isoformat()


def as_dict(result: IntakeResult) -> dict[str, object]:
    return asdict(result)
