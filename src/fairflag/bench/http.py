"""Report intake over HTTP: the real server, driven over loopback by a separate load-generator process.

``fairflag serve`` runs as a subprocess on a random loopback port, over a fresh SQLite file or a fresh
PostgreSQL database (created, then dropped), as ``make run`` would run it. A separate process (spawned, so
the two never share an interpreter or a core's worth of GIL) keeps N connections busy with asyncio and
httpx until the report bound or the time bound is reached. The workload is the intake bench's: 70 % organic
reports over many subjects, 30 % a swarm on a few. With ``bulk`` set, each request is a
``POST /v1/reports/batch`` of that many lines and reports/s counts lines.

What is measured: reports/s, latency per request (p50/p95/p99), answers by status, the server's peak RSS and
the peak RSS of the PostgreSQL backends serving it (``VmHWM`` in ``/proc``, which counts the shared buffers a
backend touched), and the machine's load average, since the machine may be shared.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import platform as host
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import select

from fairflag.bench.intake import _today
from fairflag.clock import SystemClock
from fairflag.core import Fairflag
from fairflag.domain.enums import ActorType
from fairflag.policy import load_policy
from fairflag.services import auth, platform
from fairflag.services.context import Actor, Context
from fairflag.settings import default_workers
from fairflag.store.db import Database
from fairflag.store.tables import TriageCursor, TriageLog

BENCH = Actor(ActorType.cli, "bench")
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SWARM_SUBJECTS = 3
REASONS = ["spam", "harassment", "hate", "violence", "scam_fraud", "copyright"]


@dataclass
class HttpResult:
    database: str
    mode: str  # "single" (POST /v1/reports) or "bulk" (POST /v1/reports/batch)
    connections: int
    batch_lines: int
    reports: int
    requests: int
    seconds: float
    reports_per_s: float
    latency_ms_p50: float
    latency_ms_p95: float
    latency_ms_p99: float
    statuses: dict[str, int]
    line_errors: dict[str, int]
    server_peak_rss_mb: float
    pg_backends: int
    pg_backend_peak_rss_mb: float
    load_average_before: list[float]
    load_average_after: list[float]
    workers: int = 1
    triage_lag_ms_p50: float = 0.0  # acknowledgement received by the client -> the consumer's cursor passed it
    triage_lag_ms_p99: float = 0.0
    triage_lag_ms_max: float = 0.0
    triage_catch_up_s: float = 0.0  # after the last answer, until the consumer passed everything
    # CPU milliseconds (user + system, /proc) per acknowledged report that the server's processes (requests and
    # the consumer thread alike) and the database's backends spent while the load ran: the figure a loaded machine
    # distorts least (a backend's CPU is counted from its first sample, every 0.5 s).
    server_cpu_ms_per_report: float = 0.0
    pg_cpu_ms_per_report: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)
    machine: str = ""
    measured_on: str = ""
    git_commit: str = ""


# --- the load generator (its own process) ------------------------------------------------------------


def _lines(seed: int, n_subjects: int) -> Iterator[dict[str, Any]]:
    """Endless report bodies: 70 % organic (many reporters, heavy-tailed subjects), 30 % a swarm on a few.
    Organic reporters are drawn evenly from 20,000: a heavy-tailed draw put 40 % of the organic reports on one
    account, which the per-reporter rate limit (policy ``[rate_limits]``) rightly refuses."""
    rng = random.Random(seed)
    run = uuid.uuid4().hex[:8]  # keys unique to this run, so a rerun on the same database files anew
    for i in range(sys.maxsize):
        if rng.random() < 0.3:
            body = {"reporter_id": f"h-bot{i}", "subject_id": f"h-s{rng.randrange(SWARM_SUBJECTS)}",
                    "reason": "violence", "fp_dev": f"farm{i % 8}", "text": "remove this now"}
        else:
            r = rng.randrange(20_000)
            body = {"reporter_id": f"h-u{r}",
                    "subject_id": f"h-s{SWARM_SUBJECTS + int(rng.paretovariate(1.1)) % (n_subjects - SWARM_SUBJECTS)}",
                    "reason": rng.choice(REASONS), "fp_dev": f"dev{r}"}
        body["idempotency_key"] = f"{run}-{i}"
        yield body


async def _drive(base_url: str, token: str, connections: int, reports_n: int, seconds: float, bulk: int,
                 n_subjects: int, seed: int) -> dict[str, Any]:
    lines = _lines(seed, n_subjects)
    latencies: list[float] = []
    acked: dict[str, float] = {}  # report id -> when its acknowledgement arrived (wall clock, for the triage lag)
    clock = SystemClock()
    statuses: Counter[str] = Counter()
    line_errors: Counter[str] = Counter()
    sent = filed = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, limits=limits, headers=headers, timeout=300) as client:

        async def worker() -> None:
            nonlocal sent, filed
            while sent < reports_n and time.perf_counter() < deadline:
                size = min(bulk or 1, reports_n - sent)
                sent += size
                batch = [next(lines) for _ in range(size)]
                t0 = time.perf_counter()
                try:
                    if bulk:
                        r = await client.post("/v1/reports/batch", json=batch)
                    else:
                        r = await client.post("/v1/reports", json=batch[0])
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[str(r.status_code)] += 1
                at = clock.now().timestamp()
                if bulk and r.status_code == 200:
                    for line in r.json()["lines"]:
                        if line["result"] == "error":
                            line_errors[str(line["status"])] += 1
                        else:
                            filed += 1
                            acked[line["report"]["id"]] = at
                elif r.is_success:
                    filed += 1
                    acked[r.json()["id"]] = at
                elif not bulk and r.headers.get("content-type", "").startswith("application/json"):
                    line_errors[r.json().get("error", {}).get("type", str(r.status_code))] += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    return {"latencies": latencies, "statuses": dict(statuses), "line_errors": dict(line_errors),
            "filed": filed, "seconds": elapsed, "acked": acked}


def _load_process(queue: Any, *args: Any) -> None:
    queue.put(asyncio.run(_drive(*args)))


# --- the server and its database ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _scratch_database(database: str, scratch: Path, pg_admin_url: str) -> Iterator[str]:
    if database == "sqlite":
        yield f"sqlite:///{scratch}/bench.db"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(pg_admin_url)
    name = f"fairflag_bench_{uuid.uuid4().hex[:10]}"
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _prepare(url: str, n_subjects: int, seed: int) -> str:
    """Migrate, make a service key, describe the subjects (in-process, before the server starts)."""
    rng = random.Random(seed)
    core = Fairflag(Database(url), load_policy(), provenance="bench")
    try:
        core.migrate()
        token = core.run(BENCH, auth.create_service_key, "bench http").token
        subjects = [platform.SubjectIn(id=f"h-s{k}", surface="livestream" if k % 50 == 0 else "video",
                                       owner_id=f"h-c{k % 200}", views=int(rng.lognormvariate(8, 2)))
                    for k in range(n_subjects)]

        def describe_all(ctx: Context) -> None:
            for subject in subjects:
                platform.upsert_subject(ctx, subject)

        core.run(BENCH, describe_all)
    finally:
        core.db.dispose()
    return token


def _cpu_s(pid: int) -> float:
    """The process's CPU seconds so far (user + system), 0 if it is gone or unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), 0 if it is gone or unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class _PgBackendWatch:
    """Samples the backends connected to the bench database, keeping each one's peak RSS."""

    def __init__(self, pg_admin_url: str, dbname: str) -> None:
        from sqlalchemy.engine import make_url

        self.conninfo = make_url(pg_admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.dbname = dbname
        self.peaks: dict[int, float] = {}
        self.cpu: dict[int, float] = {}  # each backend's CPU seconds when last seen
        self.cpu_first: dict[int, float] = {}  # ... and when first seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _PgBackendWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while not self._stop.wait(0.5):
                rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.dbname,)).fetchall()
                for (pid,) in rows:
                    self.peaks[pid] = max(self.peaks.get(pid, 0.0), _peak_rss_mb(pid))
                    self.cpu[pid] = max(self.cpu.get(pid, 0.0), _cpu_s(pid))
                    self.cpu_first.setdefault(pid, self.cpu[pid])

    def cpu_s(self) -> float:
        return sum(self.cpu[pid] - self.cpu_first[pid] for pid in self.cpu)


class _CursorWatch:
    """Samples the triage consumer's cursor every ``every_s`` (whichever server process holds the lease), so
    each report's lag (received -> passed) is known to within one sample, without touching the server."""

    def __init__(self, url: str, every_s: float = 0.02) -> None:
        self.db = Database(url)
        self.clock = SystemClock()  # the server's clock too: received_at is compared with it
        self.every_s = every_s
        self.samples: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _CursorWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _read(self) -> tuple[int, int]:
        with self.db.engine.connect() as conn:
            row = conn.execute(select(TriageCursor.xid, TriageCursor.seq)).one()
        return int(row[0]), int(row[1])

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            xid, seq = self._read()
            self.samples.append((self.clock.now().timestamp(), xid, seq))

    def catch_up(self, timeout_s: float = 300.0) -> float:
        """Seconds until the cursor reached the log's last row (visible now)."""
        began = time.monotonic()
        with self.db.engine.connect() as conn:
            last = conn.execute(select(TriageLog.xid, TriageLog.seq).order_by(TriageLog.xid.desc(),
                                                                               TriageLog.seq.desc()).limit(1)).first()
        while last is not None and self._read() < (int(last[0]), int(last[1])):
            if time.monotonic() - began > timeout_s:
                break
            time.sleep(self.every_s)
        return time.monotonic() - began

    def lags_ms(self, acked: dict[str, float]) -> list[float]:
        """Per acknowledged report: the first sample at which the cursor had passed it, minus the moment the
        load generator received its acknowledgement."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(TriageLog.xid, TriageLog.seq, TriageLog.ref_id)
                                .order_by(TriageLog.xid, TriageLog.seq)).all()
        self.db.dispose()
        lags, k = [], 0
        for xid, seq, ref in rows:  # log order, and the cursor only moves forward: one merge pass
            while k < len(self.samples) and (self.samples[k][1], self.samples[k][2]) < (xid, seq):
                k += 1
            if k == len(self.samples):
                break
            if ref in acked:
                lags.append(max(0.0, (self.samples[k][0] - acked[ref]) * 1000))
        return lags


@contextmanager
def _server(url: str, scratch: Path, workers: int | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = {**os.environ, "FAIRFLAG_DATABASE_URL": url, "FAIRFLAG_HOST": "127.0.0.1", "FAIRFLAG_PORT": str(port),
           "FAIRFLAG_PUBLIC_TRANSPARENCY": "false"}
    log = (scratch / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-c", "from fairflag.cli import app; app()", "serve",
                             *(["--workers", str(workers)] if workers else [])],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited: {(scratch / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("the server did not answer /healthz within 30 s")
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _result_of(loader: Any, queue: Any, *, timeout: float) -> dict[str, Any]:
    """The load generator's figures; an error at once if it died without sending them."""
    import queue as queues

    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        try:
            return queue.get(timeout=1)  # type: ignore[no-any-return]
        except queues.Empty:
            if not loader.is_alive():
                raise RuntimeError(f"the load generator exited ({loader.exitcode}) without results") from None
    raise RuntimeError("the load generator did not finish in time")


def _children(pid: int) -> list[int]:
    """The server's worker processes (uvicorn --workers), for their peak memory."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent, check=False)
        return out.stdout.strip()
    except OSError:
        return ""


def run_http(database: str = "sqlite", *, connections: int = 4, reports_n: int = 20_000, seconds: float = 20.0,
             bulk: int = 0, n_subjects: int = 500, seed: int = 7, pg_admin_url: str = PG_ADMIN_URL,
             workers: int | None = None) -> HttpResult:
    if database not in ("sqlite", "postgresql"):
        raise ValueError("database must be sqlite or postgresql")
    with tempfile.TemporaryDirectory() as tmp, _scratch_database(database, Path(tmp), pg_admin_url) as url:
        scratch = Path(tmp)
        token = _prepare(url, n_subjects, seed)
        processes = workers or default_workers(database)
        with _server(url, scratch, workers) as (base, server), _CursorWatch(url) as cursor:
            load_before = [round(x, 2) for x in os.getloadavg()]
            ctx = multiprocessing.get_context("spawn")
            queue = ctx.Queue()
            loader = ctx.Process(target=_load_process, args=(queue, base, token, connections, reports_n, seconds,
                                                             bulk, n_subjects, seed))
            watch = _PgBackendWatch(pg_admin_url, url.rsplit("/", 1)[1]) if database == "postgresql" else None
            if watch:
                watch.__enter__()
            try:
                cpu_before = _cpu_s(server.pid) + sum(_cpu_s(child) for child in _children(server.pid))
                loader.start()
                out = _result_of(loader, queue, timeout=seconds + 400)
                server_cpu = _cpu_s(server.pid) + sum(_cpu_s(child) for child in _children(server.pid)) - cpu_before
                pg_cpu = watch.cpu_s() if watch else 0.0
                loader.join(timeout=30)
                catch_up = cursor.catch_up()
            finally:
                if loader.is_alive():
                    loader.kill()
                if watch:
                    watch.__exit__()
            load_after = [round(x, 2) for x in os.getloadavg()]
            server_rss = _peak_rss_mb(server.pid) + sum(_peak_rss_mb(child) for child in _children(server.pid))
        lags = np.array(cursor.lags_ms(out["acked"]) or [0.0])
    lat = np.array(out["latencies"] or [0.0])
    filed = out["filed"]
    peaks = watch.peaks if watch else {}
    return HttpResult(
        database=database, mode="bulk" if bulk else "single", connections=connections, batch_lines=bulk or 1,
        reports=filed, requests=len(out["latencies"]), seconds=round(out["seconds"], 2),
        reports_per_s=round(filed / out["seconds"], 1) if out["seconds"] else 0.0,
        latency_ms_p50=round(float(np.percentile(lat, 50)), 2), latency_ms_p95=round(float(np.percentile(lat, 95)), 2),
        latency_ms_p99=round(float(np.percentile(lat, 99)), 2), statuses=out["statuses"],
        line_errors=out["line_errors"], server_peak_rss_mb=round(server_rss, 1), pg_backends=len(peaks),
        pg_backend_peak_rss_mb=round(max(peaks.values(), default=0.0), 1),
        load_average_before=load_before, load_average_after=load_after, workers=processes,
        triage_lag_ms_p50=round(float(np.percentile(lags, 50)), 1),
        triage_lag_ms_p99=round(float(np.percentile(lags, 99)), 1), triage_lag_ms_max=round(float(lags.max()), 1),
        triage_catch_up_s=round(catch_up, 2),
        server_cpu_ms_per_report=round(server_cpu * 1000 / filed, 3) if filed else 0.0,
        pg_cpu_ms_per_report=round(pg_cpu * 1000 / filed, 3) if filed else 0.0,
        settings={"reports_bound": reports_n, "seconds_bound": seconds, "subjects": n_subjects,
                  "swarm_subjects": SWARM_SUBJECTS, "swarm_share": 0.3, "seed": seed, "server": f"fairflag serve "
                  f"({processes} uvicorn process(es), access log on, background worker and triage consumer on)",
                  "triage_lag": "acknowledgement at the client -> first cursor sample past the report (every 20 ms)",
                  "client": "httpx.AsyncClient, "
                  "separate process"},
        machine=f"{os.cpu_count()} cores {host.machine()} {host.system()}, python {host.python_version()}",
        measured_on=_today(), git_commit=_git_commit(),
    )


def as_dict(result: HttpResult) -> dict[str, object]:
    return asdict(result)
