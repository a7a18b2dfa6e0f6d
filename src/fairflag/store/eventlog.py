"""Appending to the event log: rows gathered during a unit of work, written in one statement at commit.

The log is append-only and nothing in a unit of work reads back what it just appended, so its rows need not
go through the ORM's identity map one by one (on SQLite that is one INSERT ... RETURNING per row). They are
inserted with one statement just before the transaction commits, in the order they were recorded
(store/rows.py, ``insert_rows``); a rollback discards them with everything else (the hooks are in
store/session.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fairflag.store.rows import insert_rows
from fairflag.store.tables import Event

_PENDING = "fairflag.eventlog.pending"


def append(session: Session, row: dict[str, Any]) -> None:
    session.info.setdefault(_PENDING, []).append(row)


def pending(session: Session) -> list[dict[str, Any]]:
    """What this unit of work has recorded and not yet written."""
    return list(session.info.get(_PENDING, []))


def write_pending(session: Session) -> int:
    rows = session.info.pop(_PENDING, None)
    if not rows:
        return 0
    insert_rows(session, Event.__table__, rows)
    return len(rows)


def discard(session: Session) -> None:
    """Forget what was recorded (the transaction rolled back)."""
    session.info.pop(_PENDING, None)
