"""Bulk intake: many reports in one unit of work, each line with its own result.

The lines go through the one intake use case, :func:`reports.file_reports` (a single report is a batch of one
there), which files them set-based: every refusal (unknown subject, idempotency key reused, rate limit, ...) is
known before anything of its line is written, and the accepted lines are written with one multi-row INSERT per
table and committed together. One commit and a few statements for the whole batch are what make bulk intake
cheaper than one request per report.

If the database fails while the batch is written (a constraint, a deadlock), the whole batch's writes are undone
(a savepoint) and the lines are filed again one by one, each in its own savepoint: the line that fails answers
500 alone and the others are kept, as before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError

from fairflag.domain.errors import DomainError
from fairflag.services import platform, reports, reputation
from fairflag.services.context import Context
from fairflag.store import savepoints

# A batch larger than this is refused whole (422): bounded work per transaction, and a bounded time its subjects'
# row locks are held (the consumer waits for the oldest running write transaction: docs/throughput.md).
MAX_LINES = 1000
log = logging.getLogger("fairflag.batch")
# What a unit of work remembers in Session.info about rows it created or read (accounts it added, reporters'
# rows): after a savepoint rolled back, what it remembers may name rows that are gone, so it starts afresh.
_PER_UNIT_MEMOS = (platform._ADDED_ACCOUNTS, reputation._LOCKED, reputation._MISSING)


@dataclass(frozen=True)
class LineFailed:
    """A line that was not filed: the refusal (a domain error), or ``None`` when the database failed."""

    error: DomainError | None


LineResult = reports.ReportReceipt | LineFailed


def file_reports(ctx: Context, bodies: list[reports.ReportIn], *, service_key_id: str | None = None,
                 rate_limit: bool = False) -> list[LineResult]:
    """File each line as ``reports.file_report`` would alone; results in the request's order.

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
    # Begin the transaction outside any savepoint: a lock the database cannot give (SQLite's busy timeout) then
    # fails the batch as a whole, which Fairflag.run retries.
    ctx.session.connection()
    try:
        with savepoints.isolated(ctx.session):
            filed = reports.file_reports(ctx, bodies, service_key_id=service_key_id, rate_limit=rate_limit)
    except DBAPIError:
        log.exception("a report batch failed in the database; filing its %d lines one by one", len(bodies))
        return _one_by_one(ctx, bodies, service_key_id=service_key_id, rate_limit=rate_limit)
    return [LineFailed(result) if isinstance(result, DomainError) else result for result in filed]


def _one_by_one(ctx: Context, bodies: list[reports.ReportIn], *, service_key_id: str | None,
                rate_limit: bool) -> list[LineResult]:
    """Each line in its own savepoint, in lock order: one that fails in the database undoes only its writes."""
    results: dict[int, LineResult] = {}
    for index in reports.lock_order(bodies):
        for memo in _PER_UNIT_MEMOS:
            ctx.session.info.pop(memo, None)
        try:
            with savepoints.isolated(ctx.session):
                filed = reports.file_reports(ctx, [bodies[index]], service_key_id=service_key_id,
                                             rate_limit=rate_limit)[0]
        except DBAPIError:
            log.exception("line %d of a report batch failed in the database; the other lines go on", index)
            results[index] = LineFailed(None)
            continue
        results[index] = LineFailed(filed) if isinstance(filed, DomainError) else filed
    return [results[i] for i in range(len(bodies))]
