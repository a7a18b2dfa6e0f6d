"""The background worker inside ``fairflag serve``: ends expired actions and delivers webhooks.

Each pass is its own transaction and safe to run twice or on several servers at once (rows are
claimed with ``SKIP LOCKED`` on PostgreSQL; SQLite serialises writers).
"""

from __future__ import annotations

import logging
import threading

from fairflag import webhook_sender
from fairflag.core import Fairflag
from fairflag.services import enforcement
from fairflag.services.context import SYSTEM

log = logging.getLogger("fairflag.worker")


def run_once(core: Fairflag) -> dict[str, int]:
    """One pass of all background work; returns what it did. Expiry runs first, so the outbox events
    it writes go out in the same pass."""
    expired = core.run(SYSTEM, enforcement.expire_due)
    delivery = webhook_sender.run_pass(core)
    return {"expired": expired, **delivery.as_dict()}


class BackgroundWorker:
    def __init__(self, core: Fairflag, interval_s: float) -> None:
        self.core = core
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="fairflag-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_once(self.core)
            except Exception:  # keep serving; the next pass retries
                log.exception("background pass failed")
            self._stop.wait(self.interval_s)
