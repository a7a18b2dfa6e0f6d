"""Where a report's time goes on the HTTP path: ``fairflag serve``'s app under cProfile, every thread.

The app runs under uvicorn in this process (as ``fairflag serve`` builds it) over a scratch database made as
``fairflag bench http`` makes it; the event-loop thread has one profiler, and each worker thread that runs
FastAPI's sync code (dependencies, endpoints, response validation) has its own, enabled only while it runs
a call. ``bench http``'s load generator drives it from a separate process. The merged statistics go to a
``.pstats`` file (read it with ``python -m pstats``); figures are wall time, so waits (a lock, a round
trip, an idle event loop) show as the time of the call that waited.

    python -m fairflag.bench.http_profile sqlite 4 400 /tmp/sqlite4.pstats
"""

from __future__ import annotations

import cProfile
import multiprocessing
import pstats
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio.to_thread
import numpy as np
import uvicorn

from fairflag.api.app import create_app
from fairflag.bench import http as bench_http
from fairflag.core import Fairflag
from fairflag.settings import Settings


def _profile_worker_threads(profiles: list[cProfile.Profile]) -> None:
    """Wrap anyio's ``to_thread.run_sync`` (which Starlette's ``run_in_threadpool`` calls) so that each worker
    thread profiles the calls it runs (this process only)."""
    local = threading.local()
    original = anyio.to_thread.run_sync

    async def run_sync(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        def profiled(*inner: Any) -> Any:
            profile = getattr(local, "profile", None)
            if profile is None:
                profile = local.profile = cProfile.Profile()
                profiles.append(profile)
            profile.enable()
            try:
                return func(*inner)
            finally:
                profile.disable()

        return await original(profiled, *args, **kwargs)

    anyio.to_thread.run_sync = run_sync


def profile_http(database: str, connections: int, reports_n: int, out: Path) -> str:
    profiles: list[cProfile.Profile] = []
    _profile_worker_threads(profiles)
    loop_profile = cProfile.Profile()
    with tempfile.TemporaryDirectory() as tmp, \
            bench_http._scratch_database(database, Path(tmp), bench_http.PG_ADMIN_URL) as url:
        token = bench_http._prepare(url, 500, 7)
        settings = Settings(database_url=url, public_transparency=False)
        core = Fairflag.from_settings(settings)
        port = bench_http._free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings, core=core), host="127.0.0.1", port=port,
                                               log_level="warning"))

        def serve() -> None:
            loop_profile.enable()
            server.run()
            loop_profile.disable()

        thread = threading.Thread(target=serve)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        spawn = multiprocessing.get_context("spawn")
        queue = spawn.Queue()
        loader = spawn.Process(target=bench_http._load_process, args=(
            queue, f"http://127.0.0.1:{port}", token, connections, reports_n, 600.0, 0, 500, 7))
        loader.start()
        result = queue.get()
        loader.join()
        server.should_exit = True
        thread.join()
        core.db.dispose()
    stats = pstats.Stats(loop_profile)
    for profile in profiles:
        stats.add(profile)
    stats.dump_stats(out)
    latencies = np.array(result["latencies"] or [0.0])
    return (f"{database}, {connections} connections: {result['filed']} reports in {result['seconds']:.1f} s "
            f"({result['filed'] / result['seconds']:.1f}/s), p50 {np.percentile(latencies, 50):.1f} ms, "
            f"p99 {np.percentile(latencies, 99):.1f} ms, {result['statuses']}; profile in {out}")


if __name__ == "__main__":
    print(profile_http(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])))
