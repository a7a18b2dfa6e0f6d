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
from fairflag.services import reports
from fairflag.services.context import Context
from fairflag.store import savepoints

MAX_LINES = 1000  # a batch larger than this is refused whole (422): bounded work per transaction
log = logging.getLogger("fairflag.batch")


@dataclass(frozen=True)
class LineFailed:
    """A line that was not filed: the refusal (a domain error), or ``None`` when the database failed."""

    error: DomainError | None


LineResult = reports.ReportReceipt | LineFailed


def file_reports(ctx: Context, bodies: list[reports.ReportIn], *,
                 service_key_id: str | None = None) -> list[LineResult]:
    """File each line as ``reports.file_report`` would alone, in order; results in the same order."""
    ctx.now()  # one "now" for the whole batch: every line is received at the same instant
    results: list[LineResult] = []
    for index, body in enumerate(bodies):
        line_ctx = replace(ctx, actor=replace(ctx.actor, on_behalf_of=body.reporter_id))
        try:
            with savepoints.isolated(ctx.session):
                results.append(reports.file_report(line_ctx, body, service_key_id=service_key_id))
        except DomainError as exc:
            results.append(LineFailed(exc))
        except DBAPIError:
            log.exception("line %d of a report batch failed in the database; the other lines go on", index)
            results.append(LineFailed(None))
    return results
