"""The triage consumer of one process: drains the committed log, inline or as a background thread.

Exactly one consumer advances the log at a time, whatever the process count: each consumer transaction locks
the cursor row, so two never pass the same rows (correctness), and on PostgreSQL a background consumer first
takes a session-level advisory lock (the lease) on a connection it keeps, so one process keeps its detector
warm instead of processes taking turns and rebuilding (speed). The lease dies with its process or connection.

Two modes (``Fairflag.triage_inline``):
- inline (the default for in-process callers: the simulator, the demo, tests, the CLI): a unit of work that
  appended to the log drains it before :meth:`Fairflag.run` returns, so callers see scores at once;
- background (``fairflag serve``): a thread woken right after each commit in this process, polling every
  ``poll_s`` otherwise (for other processes' commits).

A failure while passing a row is counted against that row (a failure of the database itself is not); after
``limits.triage_max_attempts`` in a row the row is set aside (services.consumer.set_aside) and the log goes on.
The step still raises: inline, the caller sees the bug; in the background, the loop logs it and retries.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from fairflag.services import consumer as use_case
from fairflag.services.context import SYSTEM
from fairflag.store import triagelog

if TYPE_CHECKING:
    from fairflag.core import Fairflag

log = logging.getLogger("fairflag.consumer")
LEASE_KEY = 0x66_66_74_72  # "fftr": the advisory lock of the triage lease (one-part key space)
LagObserver = Callable[[float], None]


class TriageConsumer:
    def __init__(self, core: Fairflag, *, poll_s: float = 0.05, batch: int = use_case.BATCH) -> None:
        self.core = core
        self.poll_s = poll_s
        self.batch = batch
        self.state = use_case.DetectorState(core.policy)
        self.lag_observers: list[LagObserver] = []
        self._step_lock = threading.Lock()
        self._draining = threading.local()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lease: Connection | None = None
        self.passed_rows = 0
        self._failures: dict[str, int] = {}  # ref id -> failed attempts in a row (the lease makes one counter)

    # --- one step and draining ----------------------------------------------------------------------------

    def step(self) -> int:
        """One consumer transaction; returns the rows passed (0: nothing committed is waiting)."""
        with self._step_lock:
            self._draining.active = True
            try:
                done = self.core.run(SYSTEM, use_case.consume, self.state, self.batch)
            except Exception as exc:
                self.state.position = None  # whatever the detector saw may not have committed
                self._failed(self.state.passing, exc)
                raise
            finally:
                self._draining.active = False
                self.state.passing = None
            self.state.position = done.position
            self._failures.clear()
        self.passed_rows += done.rows
        if done.received:
            now = self.core.clock.now().timestamp()
            for received in done.received:
                for observe in self.lag_observers:
                    observe(max(0.0, now - received))
        return done.rows

    def _failed(self, row: use_case.Passing | None, exc: Exception) -> None:
        """Count a failure against the row being passed; set it aside at the policy's limit. A failure outside
        any row (the rebuild) or of the database (connection, lock, timeout) says nothing about the row."""
        if row is None or isinstance(exc, OperationalError) or (
                isinstance(exc, DBAPIError) and exc.connection_invalidated):
            return
        attempts = self._failures.get(row.ref_id, 0) + 1
        self._failures[row.ref_id] = attempts
        limit = self.core.policy.limits.triage_max_attempts
        log.warning("triage of %s %s failed (attempt %d of %d): %r", row.kind, row.ref_id, attempts, limit, exc)
        if attempts < limit:
            return
        try:
            self.core.run(SYSTEM, use_case.set_aside, row, attempts, f"{type(exc).__name__}: {exc}")
        except Exception:  # the database went away meanwhile: the next failure tries again
            log.exception("triage log: could not set %s %s aside", row.kind, row.ref_id)
            return
        self.state.set_aside = self.state.set_aside | {row.ref_id}
        del self._failures[row.ref_id]
        log.error("triage log: %s %s set aside after %d failed attempts (position %s): %r", row.kind, row.ref_id,
                  attempts, row.position, exc)

    def drain(self, *, until: triagelog.Position | None = None, timeout_s: float = 30.0) -> int:
        """Pass everything committed (or, with ``until``, at least up to that position), waiting for other
        transactions to end where PostgreSQL's order needs it, for at most ``timeout_s``. Returns rows passed."""
        deadline = time.monotonic() + timeout_s
        total = 0
        while True:
            n = self.step()
            total += n
            if until is not None and self.state.position is not None and self.state.position >= until:
                return total  # the common case inline: one consumer transaction after the caller's
            if n:
                continue
            if until is None or self.core.query(SYSTEM, use_case.passed, until):
                return total
            if time.monotonic() > deadline:
                log.warning("triage log: position %s not passed after %.1f s", until, timeout_s)
                return total
            time.sleep(0.002)

    def wait_passed(self, target: triagelog.Position, timeout_s: float) -> bool:
        """Block until the consumer (of any process) passed ``target``; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.core.query(SYSTEM, use_case.passed, target):
                return True
            if time.monotonic() > deadline:
                return False
            self._wake.set()
            time.sleep(0.005)

    def committed(self, tail: triagelog.Position) -> None:
        """Called by :meth:`Fairflag.run` after a unit of work that appended to the log committed."""
        if getattr(self._draining, "active", False):
            return  # the consumer's own unit of work (it may file reports): the loop goes on by itself
        if self._thread is not None:
            self._wake.set()
        elif self.core.triage_inline:
            self.drain(until=tail)

    # --- the background thread ----------------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="fairflag-triage", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=30)
        self._thread = None
        self._release()

    @property
    def leader(self) -> bool:
        return self._lease is not None or self.core.db.dialect != "postgresql"

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._take_lease():
                    self._stop.wait(1.0)
                    continue
                if self.step():
                    continue
            except Exception:  # keep serving; the next pass retries (and rebuilds the detector)
                log.exception("triage consumer pass failed")
                self._release()
                self._stop.wait(0.5)
                continue
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def _take_lease(self) -> bool:
        if self.leader:
            return True
        conn = self.core.db.engine.connect()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEASE_KEY}).scalar())
        conn.commit()
        if not got:
            conn.close()
            return False
        self._lease = conn
        self.state.position = None  # rebuild from the log: another process may have consumed meanwhile
        log.info("took the triage lease")
        return True

    def _release(self) -> None:
        if self._lease is not None:
            try:
                self._lease.invalidate()  # closes the session (not back to the pool): the advisory lock goes
            except Exception:  # pragma: no cover - a dead connection is released anyway
                log.debug("closing the lease connection failed", exc_info=True)
            self._lease = None
