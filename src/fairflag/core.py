"""The application core: the database, clock, policy and id factory, and the unit of work.

The HTTP API, the console, the CLI and the simulator all call use cases through :meth:`Fairflag.run`
(one transaction, committed once) or :meth:`Fairflag.query` (read only).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError

from fairflag.clock import Clock, SystemClock
from fairflag.ids import IdFactory, RandomIds
from fairflag.policy import Policy, load_policy
from fairflag.services import pseudonyms
from fairflag.services.context import SYSTEM, Actor, Context
from fairflag.services.key_cache import VerifiedKeys
from fairflag.settings import Settings
from fairflag.store import migrate, triagelog
from fairflag.store.db import Database

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger("fairflag")


class Fairflag:
    def __init__(self, db: Database, policy: Policy, clock: Clock | None = None, ids: IdFactory | None = None,
                 provenance: str = "api") -> None:
        self.db = db
        self.policy = policy
        self.clock = clock or SystemClock()
        self.ids = ids or RandomIds()
        self.provenance = provenance
        # Scoring, campaign detection and automatic restriction follow the committed log (consumer.py). Inline
        # (the default), a unit of work that appended to it drains it before run() returns; `fairflag serve`
        # runs the consumer as a background thread instead.
        from fairflag.consumer import TriageConsumer

        self.triage_inline = True
        self.consumer = TriageConsumer(self)
        self.service_keys = VerifiedKeys()  # service keys verified in the last seconds (services.key_cache)

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> Fairflag:
        return cls(Database(settings.database_url, statement_timeout_ms=settings.db_statement_timeout_ms,
                            pool_max=settings.db_pool_max),
                   load_policy(settings.policy_file), clock=clock)

    def migrate(self) -> None:
        migrate.upgrade(self.db)
        self.run(SYSTEM, lambda ctx: pseudonyms.pseudonym_for(ctx, "bootstrap"))

    def catch_up_triage(self) -> int:
        """Weigh every committed report the triage consumer has not weighed yet (rebuilding the campaign
        detector, a cache of the triage log, from the log first), so a restart neither forgets a campaign nor
        leaves reports unweighed; returns how many it weighed. Nothing to do on a database not migrated yet."""
        if not inspect(self.db.engine).has_table("triage_cursor"):
            return 0
        return self.consumer.drain()

    @contextmanager
    def unit_of_work(self, actor: Actor, provenance: str | None = None) -> Iterator[Context]:
        with self.db.unit_of_work() as session:
            yield Context(session, self.clock, self.policy, self.ids, actor, provenance or self.provenance,
                          service_keys=self.service_keys)

    @contextmanager
    def reading(self, actor: Actor) -> Iterator[Context]:
        with self.db.reader() as session:
            yield Context(session, self.clock, self.policy, self.ids, actor, self.provenance,
                          service_keys=self.service_keys)

    def run(self, actor: Actor, fn: Callable[Concatenate[Context, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a use case in its own transaction, retried once if the database aborted it to break a deadlock
        or a serialization conflict (nothing was committed, so running it again is safe).

        Creating what may be missing is race-free by construction, so a unique key never needs a retry:
        ``INSERT ... ON CONFLICT DO NOTHING`` for accounts, subjects, reporter stats, campaigns, appeals and users
        (store/rows.py), the subject's row lock before its case is opened, one writer per idempotency key
        (store/locks.py). A deadlock can still happen on PostgreSQL, where two transactions lock rows in
        different orders (a report whose campaign regrouping locks another subject's case while that subject's
        report waits for this one's); SQLite can answer "database is locked" when a writer waited longer than
        its busy timeout. Anything else, an IntegrityError included, is a bug and propagates."""
        for attempt in (1, 2):
            try:
                with self.unit_of_work(actor) as ctx:
                    result = fn(ctx, *args, **kwargs)
            except OperationalError as exc:
                if attempt == 2 or not _retryable(exc):
                    raise
                log.info("retrying %s after %s", getattr(fn, "__name__", fn), type(exc.orig).__name__)
                continue
            tail = ctx.session.info.pop(triagelog.TAIL, None)
            if tail is not None:
                self.consumer.committed(tail)  # wake the consumer, or (inline) drain up to what was appended
            return result
        raise AssertionError("unreachable")

    def count(self, actor: Actor, fn: Callable[Concatenate[Context, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a use case that only moves counters (rate limits) in a short transaction whose commit does not
        wait for the disk (``Database.counter_unit``); a lost counter only forgives a limit for a moment."""
        with self.db.counter_unit() as session:
            ctx = Context(session, self.clock, self.policy, self.ids, actor, self.provenance,
                          service_keys=self.service_keys)
            return fn(ctx, *args, **kwargs)

    def query(self, actor: Actor, fn: Callable[Concatenate[Context, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        with self.reading(actor) as ctx:
            return fn(ctx, *args, **kwargs)


def _retryable(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "could not serialize" in text or "deadlock" in text or "database is locked" in text
