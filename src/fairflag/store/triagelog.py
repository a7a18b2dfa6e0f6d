"""The committed triage log: append a fact in its own transaction, read what a consumer may pass, in order.

A position is ``(xid, seq)``. SQLite has one writer, so the rowid ``seq`` is commit order and ``xid`` is 0.
PostgreSQL hands out sequence values and transaction ids at write time, not at commit, so a row with a lower
``seq`` can commit after one with a higher ``seq``. Each row therefore carries the id of the transaction that
wrote it (``pg_current_xact_id()``, the column's default), and :func:`after` only returns rows whose ``xid`` is
below the oldest transaction of this database still running (:data:`_BOUND`): every transaction below that
bound that could write here has ended, so every row it will ever have is visible now, and no row can later appear before
one already passed. The order ``(xid, seq)`` is fixed once written, so 1 or N processes see the same log.
See docs/throughput.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, exists, func, insert, or_, select, text, tuple_, update
from sqlalchemy.orm import Session

from fairflag.store.rows import insert_rows
from fairflag.store.tables import TriageCursor, TriageLog

Position = tuple[int, int]
TAIL = "fairflag.triagelog.tail"  # Session.info: the highest position this unit of work appended
CURSOR = "triage"
REPORT = "report"  # kinds of log rows: a report filed (ref: its id)
DECISION = "decision"  # a decision taken (ref: its id)

_APPEND = insert(TriageLog).returning(TriageLog.xid, TriageLog.seq)
# The oldest transaction *of this database* still running, else the next xid: no transaction that can still
# write log rows here has an id below it. pg_current_snapshot() is the statement's snapshot, taken before
# pg_stat_activity is read; backend_xid comes from the same process array as the snapshot's list of running
# transactions, so a transaction of that list that no longer shows there had ended before this statement read
# it (its rows are visible to the next statement), and one that started after the snapshot has an id >= its
# xmax. backend_xid is 32 bits, the snapshot's ids 64 (compared modulo 2^32). A session whose details this role
# may not read (another role without pg_read_all_stats) could be writing unseen: then the bound falls back to the
# server's xmin, which waits for transactions of every database on the server (docs/throughput.md).
_BOUND = text("""
WITH s AS (SELECT pg_current_snapshot() AS snap),
here AS (
  SELECT backend_xid, query FROM pg_stat_activity
  WHERE datname = current_database() AND pid <> pg_backend_pid()
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM here WHERE query = '<insufficient privilege>')
  THEN (SELECT pg_snapshot_xmin(snap)::text::bigint FROM s)
  ELSE COALESCE(
    (SELECT min(x::text::bigint) FROM s, pg_snapshot_xip(s.snap) AS x
     WHERE x::text::bigint % 4294967296 IN (SELECT backend_xid::text::bigint FROM here
                                              WHERE backend_xid IS NOT NULL)),
    (SELECT pg_snapshot_xmax(snap)::text::bigint FROM s))
END
""")


def append(session: Session, kind: str, ref_id: str, at: datetime) -> Position:
    """Write one log row in the caller's transaction (it commits or rolls back with the fact it records)."""
    row = session.execute(_APPEND, {"kind": kind, "ref_id": ref_id, "at": at}).one()
    position = (int(row[0]), int(row[1]))
    tail = session.info.get(TAIL)
    if tail is None or position > tail:
        session.info[TAIL] = position
    return position


def append_many(session: Session, kind: str, facts: list[tuple[str, datetime]]) -> Position | None:
    """:func:`append` for many facts in one multi-row INSERT, in the order given (their ``seq`` ascends with
    it); returns the highest position written."""
    if not facts:
        return None
    written = insert_rows(session, TriageLog.__table__, [{"kind": kind, "ref_id": ref_id, "at": at}
                                                         for ref_id, at in facts], returning=("xid", "seq"))
    position = max((int(x), int(s)) for x, s in written)
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
        bound = int(session.execute(_BOUND).scalar_one())  # its own statement: rows are read after it
        query = query.where(TriageLog.xid < bound)
    return list(session.scalars(query.order_by(TriageLog.xid, TriageLog.seq).limit(limit)))


# The consumer's own reads and write of the log and the cursor, as Core statements on the transaction's
# connection: they run on every consumer transaction (once per report when the simulator drains inline), and
# the ORM's identity map and flush cost several times the statement here (docs/throughput.md, the replay
# profile). Built once.
_LOG = TriageLog.__table__
_CURSOR = TriageCursor.__table__
_LOCKED_POSITION = (select(_CURSOR.c.xid, _CURSOR.c.seq).where(_CURSOR.c.name == CURSOR)
                    .with_for_update())
_NEXT_ROWS = (select(_LOG.c.seq, _LOG.c.xid, _LOG.c.kind, _LOG.c.ref_id, _LOG.c.at)
              .where(tuple_(_LOG.c.xid, _LOG.c.seq) > tuple_(bindparam("xid"), bindparam("seq"))))
_NEXT_ROWS_BELOW = _NEXT_ROWS.where(_LOG.c.xid < bindparam("bound"))
_NEXT_ROWS, _NEXT_ROWS_BELOW = (q.order_by(_LOG.c.xid, _LOG.c.seq).limit(bindparam("limit"))
                                for q in (_NEXT_ROWS, _NEXT_ROWS_BELOW))
_MOVE = (update(_CURSOR).where(_CURSOR.c.name == CURSOR)
         .values(xid=bindparam("new_xid"), seq=bindparam("new_seq"), updated_at=bindparam("at")))


class LogRow(Protocol):
    seq: int
    xid: int
    kind: str
    ref_id: str
    at: datetime


def lock_position(session: Session) -> Position:
    """The cursor's position, its row locked for this transaction: one consumer at a time (the lease only
    saves rebuilds)."""
    row = session.connection().execute(_LOCKED_POSITION).first()
    if row is None:
        raise RuntimeError("the triage cursor is missing: run the migrations (fairflag migrate)")
    return int(row[0]), int(row[1])


def next_rows(session: Session, position: Position, limit: int) -> list[LogRow]:
    """What :func:`after` answers, as plain rows (``seq``, ``xid``, ``kind``, ``ref_id``, ``at``)."""
    params: dict[str, Any] = {"xid": position[0], "seq": position[1], "limit": limit}
    query = _NEXT_ROWS
    if _is_postgres(session):
        params["bound"] = int(session.execute(_BOUND).scalar_one())  # its own statement: rows are read after it
        query = _NEXT_ROWS_BELOW
    return list(session.connection().execute(query, params))  # type: ignore[arg-type]


def move(session: Session, position: Position, at: datetime) -> None:
    """Set the cursor (locked by :func:`lock_position`) in the caller's transaction."""
    session.connection().execute(_MOVE, {"new_xid": position[0], "new_seq": position[1], "at": at})


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
