"""Bulk intake: many reports in one unit of work, each line with its own result.

Each line goes through the one single-report use case (:func:`reports.file_report`), inside its own savepoint:
a line the rules refuse (unknown subject, idempotency key reused, ...) or that fails in the database undoes only
its own writes, and the other lines commit together. One commit for the whole batch is what makes bulk intake
cheaper than one request per report (one fsync, one round of locks and flushes per batch).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from sqlalchemy.exc import DBAPIError

from fairflag.domain.errors import DomainError
from fairflag.services import platform, reports, reputation
from fairflag.services.context import Context
from fairflag.store import savepoints

MAX_LINES = 500  # a batch larger than this is refused whole (422): bounded work per transaction (and time)
log = logging.getLogger("fairflag.batch")
# What the single-report path remembers "for this unit of work" (Session.info) assumes one report per unit: an
# account created in it has no reports yet, a reporter with no stats row still has none. In a batch each line
# is a unit of its own, so each starts without them (a lock taken stays held by the transaction regardless).
_PER_UNIT_MEMOS = (platform._ADDED_ACCOUNTS, reputation._LOCKED, reputation._MISSING)


@dataclass(frozen=True)
class LineFailed:
    """A line that was not filed: the refusal (a domain error), or ``None`` when the database failed."""

    error: DomainError | None


LineResult = reports.ReportReceipt | LineFailed


def file_reports(ctx: Context, bodies: list[reports.ReportIn], *, service_key_id: str | None = None,
                 rate_limit: bool = False) -> list[LineResult]:
    """File each line as ``reports.file_report`` would alone, in order; results in the same order.

    A line that breaks a rule of the published schema (one the policy fills in: reason codes, lengths...)
    refuses the whole batch before anything is filed, as the schema does, with ``field`` naming the line."""
    for index, body in enumerate(bodies):
        try:
            reports.check_fields(ctx.policy, body)
        except DomainError as exc:
            exc.field = f"{index}.{exc.field}" if exc.field else str(index)
            exc.message = f"line {index}: {exc.message}"
            raise
    ctx.now()  # one "now" for the whole batch: every line is received at the same instant
    # Begin the transaction outside any line: a lock the database cannot give (SQLite's busy timeout) then fails
    # the batch as a whole, which Fairflag.run retries, instead of failing line 0 alone.
    ctx.session.connection()
    results: dict[int, LineResult] = {}
    for index in _lock_order(bodies):
        body = bodies[index]
        line_ctx = replace(ctx, actor=replace(ctx.actor, on_behalf_of=body.reporter_id))
        for memo in _PER_UNIT_MEMOS:
            ctx.session.info.pop(memo, None)
        try:
            with savepoints.isolated(ctx.session):
                results[index] = reports.file_report(line_ctx, body, service_key_id=service_key_id,
                                                             rate_limit=rate_limit)
        except DomainError as exc:
            results[index] = LineFailed(exc)
        except DBAPIError:
            log.exception("line %d of a report batch failed in the database; the other lines go on", index)
            results[index] = LineFailed(None)
    return [results[i] for i in range(len(bodies))]


def _lock_order(bodies: list[reports.ReportIn]) -> list[int]:
    """The order to file the lines in: by subject, since each line locks its subject's row until the batch
    commits, and two batches that lock subjects in one order wait for each other instead of deadlocking. Lines
    that share an idempotency key stay together in the request's order (sorted by the first one's subject), so
    the first of them is the one filed and the others replay it or are refused, as sent one by one."""
    first_subject: dict[str, str] = {}
    for body in bodies:
        if body.idempotency_key is not None:
            first_subject.setdefault(body.idempotency_key, body.subject_id)
    return sorted(range(len(bodies)), key=lambda i: (
        first_subject.get(bodies[i].idempotency_key or "", bodies[i].subject_id)
        if bodies[i].idempotency_key is not None else bodies[i].subject_id, i))
