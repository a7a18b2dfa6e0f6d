"""The committed triage log: append a fact in its own transaction, read what a consumer may pass, in order.

A position is ``(xid, seq)``. SQLite has one writer, so the rowid ``seq`` is commit order and ``xid`` is 0.
PostgreSQL hands out sequence values and transaction ids at write time, not at commit, so a row with a lower
``seq`` can commit after one with a higher ``seq``. Each row therefore carries the id of the transaction that
wrote it (``pg_current_xact_id()``, the column's default), and :func:`after` only returns rows whose ``xid`` is
below the oldest transaction still running (``pg_snapshot_xmin(pg_current_snapshot())``): every transaction
below that bound has ended, so every row it will ever have is visible now, and no row can later appear before
one already passed. The order ``(xid, seq)`` is fixed once written, so 1 or N processes see the same log.
See docs/throughput.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, insert, literal_column, or_, select, tuple_
from sqlalchemy.orm import Session

from fairflag.store.tables import TriageCursor, TriageLog

Position = tuple[int, int]
TAIL = "fairflag.triagelog.tail"  # Session.info: the highest position this unit of work appended
CURSOR = "triage"
REPORT = "report"  # kinds of log rows: a report filed (ref: its id)
DECISION = "decision"  # a decision taken (ref: its id)

_APPEND = insert(TriageLog).returning(TriageLog.xid, TriageLog.seq)
_XMIN = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


def append(session: Session, kind: str, ref_id: str, at: datetime) -> Position:
    """Write one log row in the caller's transaction (it commits or rolls back with the fact it records)."""
    row = session.execute(_APPEND, {"kind": kind, "ref_id": ref_id, "at": at}).one()
    position = (int(row[0]), int(row[1]))
    tail = session.info.get(TAIL)
    if tail is None or position > tail:
        session.info[TAIL] = position
    return position


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _later_than(position: Position) -> Any:
    return tuple_(TriageLog.xid, TriageLog.seq) > tuple_(position[0], position[1])


def after(session: Session, position: Position, limit: int) -> list[TriageLog]:
    """The next rows a consumer at ``position`` may pass, in log order (only finished transactions' rows)."""
    query = select(TriageLog).where(_later_than(position))
    if _is_postgres(session):
        query = query.where(TriageLog.xid < _XMIN)
    return list(session.scalars(query.order_by(TriageLog.xid, TriageLog.seq).limit(limit)))


def cursor(session: Session, *, lock: bool) -> TriageCursor:
    """The consumer's cursor row; locked, it makes one consumer at a time (the lease only saves rebuilds)."""
    row = session.get(TriageCursor, CURSOR, with_for_update=lock or None, populate_existing=True)
    if row is None:
        raise RuntimeError("the triage cursor is missing: run the migrations (fairflag migrate)")
    return row


def passed(session: Session, target: Position) -> bool:
    """Whether no committed row at or before ``target`` is still ahead of the cursor (a row a rolled-back
    savepoint wrote never existed, so it is never waited for)."""
    here = cursor(session, lock=False)
    if (here.xid, here.seq) >= target:
        return True
    ahead = and_(_later_than((here.xid, here.seq)),
                 or_(TriageLog.xid < target[0], and_(TriageLog.xid == target[0], TriageLog.seq <= target[1])))
    return not session.scalar(select(exists().where(ahead)))


def backlog(session: Session) -> tuple[int, datetime | None]:
    """Rows not yet passed (visible now) and the time of the oldest of them, for /metrics."""
    here = cursor(session, lock=False)
    later = _later_than((here.xid, here.seq))
    count = session.scalar(select(func.count()).select_from(TriageLog).where(later))
    oldest = session.scalar(select(TriageLog.at).where(later).order_by(TriageLog.xid, TriageLog.seq).limit(1))
    return int(count or 0), oldest


def position_of(session: Session, ref_ids: list[str]) -> Position | None:
    """The highest log position of these facts (None: none is in the log)."""
    rows = session.execute(select(TriageLog.xid, TriageLog.seq).where(TriageLog.ref_id.in_(ref_ids))).all()
    return max(((int(x), int(s)) for x, s in rows), default=None)
