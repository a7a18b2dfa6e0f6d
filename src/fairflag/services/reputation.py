"""Reporter reputation: credibility from decided outcomes, and misuse handling (DSA Art. 23).

``reporter_stats`` is a projection of outcome events: every change goes through :func:`record_outcome`,
called in the same transaction as the decision, appeal resolution or campaign confirmation that caused it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select

from fairflag.domain.enums import ReportOutcome, ReportSource
from fairflag.domain.events import EventKind
from fairflag.engine import credibility as cred
from fairflag.engine import misuse
from fairflag.services.context import SYSTEM, Context
from fairflag.store.rows import insert_missing
from fairflag.store.tables import Account, Report, ReporterStats

# Per unit of work (Session.info): rows locked by lock_all or created here, and reporters known to have none.
_LOCKED = "fairflag.reputation.locked"
_MISSING = "fairflag.reputation.missing"


def classifier_key(name: str, version: str) -> str:
    return f"classifier:{name}@{version}"


def reputation_key(report: Report) -> str:
    """Whose record a report's outcome goes to: the reporter's, or the classifier version's."""
    if report.source == ReportSource.automated.value:
        detail = report.source_detail or {}
        return classifier_key(str(detail.get("name")), str(detail.get("version")))
    return report.reporter_id


def stats(ctx: Context, reporter_id: str, *, lock: bool = False) -> ReporterStats | None:
    """The reporter's row, if any. A miss is remembered for the unit of work (the identity map only
    remembers hits), so weighing a new reporter's report asks once, not once per question."""
    locked: dict[str, ReporterStats] = ctx.session.info.get(_LOCKED, {})
    if reporter_id in locked:
        return locked[reporter_id]
    missing: set[str] = ctx.session.info.setdefault(_MISSING, set())
    if not lock and reporter_id in missing:
        return None
    row = ctx.session.get(ReporterStats, reporter_id, with_for_update=lock or None)
    if row is None:
        missing.add(reporter_id)
    return row


def load_stats(ctx: Context, reporter_ids: list[str]) -> None:
    """Read many reporters' rows in one query, so that :func:`stats` then answers each from the unit of work
    (a row in the identity map, a miss remembered) instead of asking once per reporter."""
    locked: dict[str, ReporterStats] = ctx.session.info.get(_LOCKED, {})
    missing: set[str] = ctx.session.info.setdefault(_MISSING, set())
    wanted = sorted(set(reporter_ids) - set(locked) - missing)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found = {row.reporter_id for row in ctx.session.scalars(
            select(ReporterStats).where(ReporterStats.reporter_id.in_(chunk)))}
        missing.update(set(chunk) - found)


def no_record_yet(ctx: Context, reporter_id: str) -> None:
    """The reporter's account was created in this unit of work, so no outcome was ever recorded for them:
    say so instead of asking the database."""
    if reporter_id not in ctx.session.info.get(_LOCKED, {}):
        ctx.session.info.setdefault(_MISSING, set()).add(reporter_id)


def lock_all(ctx: Context, reporter_ids: Iterable[str]) -> None:
    """Lock (and load, or create) many reporters' rows in a few queries before folding outcomes into them one by
    one: a decision on a case with 500 reports then costs one SELECT, not 500 SELECTs each after a flush.

    Missing rows are inserted with ``ON CONFLICT DO NOTHING`` and then locked like the others: a concurrent
    decision that creates the same reporter's first row makes this one wait for it and use its row, so two
    decisions never both create it (and fail at commit)."""
    rows: dict[str, ReporterStats] = ctx.session.info.setdefault(_LOCKED, {})
    keys = sorted(set(reporter_ids) - set(rows))  # what this unit of work locked already stays as it is
    _lock_rows(ctx, keys, rows)
    missing = [key for key in keys if key not in rows]
    if missing:
        insert_missing(ctx.session, ReporterStats.__table__, [
            {"reporter_id": key, "history": {}, "abusive_times": [], "suspensions": 0, "updated_at": ctx.now()}
            for key in missing])
        _lock_rows(ctx, missing, rows)
        ctx.session.info.setdefault(_MISSING, set()).difference_update(missing)
    assert all(key in rows for key in keys)


def _lock_rows(ctx: Context, keys: list[str], rows: dict[str, ReporterStats]) -> None:
    for start in range(0, len(keys), 500):
        for row in ctx.session.scalars(
                select(ReporterStats).where(ReporterStats.reporter_id.in_(keys[start:start + 500]))
                .with_for_update().execution_options(populate_existing=True)):
            rows[row.reporter_id] = row


def _ensure(ctx: Context, reporter_id: str) -> ReporterStats:
    locked: dict[str, ReporterStats] = ctx.session.info.setdefault(_LOCKED, {})
    if reporter_id not in locked:
        lock_all(ctx, [reporter_id])
    return locked[reporter_id]


def account_age_days(account: Account | None, at: datetime) -> float | None:
    if account is None or account.created_at is None:
        return None
    return max(0.0, (at - account.created_at).total_seconds() / 86400.0)


def credibility_of(ctx: Context, reporter_id: str, *, family: str | None, account: Account | None,
                   at: datetime) -> cred.Credibility:
    row = stats(ctx, reporter_id)
    history = cred.History.from_json(row.history if row else None)
    return cred.credibility(
        history, family=family, trusted_flagger=bool(account and account.trusted_flagger),
        account_age_days=account_age_days(account, at), at=at, policy=ctx.policy.credibility,
    )


def record_outcome(ctx: Context, reporter_id: str, reason: str, outcome: cred.Outcome, *,
                   weight: float = 1.0) -> None:
    """Fold one decided report into the reporter's history (``weight=-1`` takes one back)."""
    row = _ensure(ctx, reporter_id)
    history = cred.History.from_json(row.history)
    history = cred.record(history, ctx.policy.family_of(reason), outcome, ctx.now(), ctx.policy.credibility, weight)
    row.history = history.to_json()
    if outcome == ReportOutcome.abusive.value and weight > 0 and not reporter_id.startswith("classifier:"):
        row.abusive_times = [*_recent(row.abusive_times, ctx), ctx.now().isoformat()]
        _evaluate_misuse(ctx, row)
    row.updated_at = ctx.now()


def _recent(times: list[str], ctx: Context) -> list[str]:
    since = ctx.now() - timedelta(days=ctx.policy.misuse.window_days)
    return [t for t in times if datetime.fromisoformat(t) >= since]


def misuse_state(row: ReporterStats | None) -> misuse.MisuseState:
    if row is None:
        return misuse.MisuseState()
    return misuse.MisuseState(warned_at=row.warned_at, suspended_until=row.suspended_until,
                              suspensions=row.suspensions)


def processing_suspended(ctx: Context, reporter_id: str, at: datetime) -> bool:
    return misuse_state(stats(ctx, reporter_id)).suspended_at(at)


def _evaluate_misuse(ctx: Context, row: ReporterStats) -> None:
    recent = [datetime.fromisoformat(t) for t in _recent(row.abusive_times, ctx)]
    since_warning = [t for t in recent if row.warned_at is not None and t >= row.warned_at]
    verdict = misuse.evaluate(misuse_state(row), abusive_in_window=len(recent),
                              abusive_since_warning=len(since_warning), at=ctx.now(), policy=ctx.policy.misuse)
    if verdict.action == "warn":
        row.warned_at = ctx.now()
        row.warning_reason = verdict.reason
        ctx.record(EventKind.reporter_warned, "reporter", row.reporter_id, {"reason": verdict.reason}, actor=SYSTEM)
    elif verdict.action == "suspend":
        row.suspended_until = verdict.until
        row.suspension_reason = verdict.reason
        row.suspensions += 1
        # A new warning cycle starts after a suspension.
        row.warned_at = ctx.now()
        row.abusive_times = []
        ctx.record(EventKind.reporter_suspended, "reporter", row.reporter_id,
                   {"reason": verdict.reason, "until": verdict.until.isoformat() if verdict.until else None,
                    "suspension": row.suspensions}, actor=SYSTEM)
