"""New append-only rows (reports and their states) written with Core statements instead of the ORM's flush.

A report and its state are written once and read back by nothing in the unit of work that files them, but the
ORM's flush costs several times a plain INSERT per object. :func:`add` keeps the new (transient) objects; they
are inserted, in the order added, right after the next flush of the session (so the rows they reference —
an account, a subject, a new case — are written first), or just before the transaction commits (the hooks are
in store/session.py). Once written they become ordinary persistent objects: a later change to one is an UPDATE
like any other.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

_PENDING = "fairflag.appends.pending"


def add(session: Session, *objects: Any) -> None:
    """Parents first: the rows are inserted in this order."""
    session.info.setdefault(_PENDING, []).extend(objects)


def write(session: Session) -> int:
    objects = session.info.pop(_PENDING, None)
    if not objects:
        return 0
    batches: dict[tuple[Any, tuple[str, ...]], list[dict[str, Any]]] = {}
    for obj in objects:  # dicts keep first-seen order: a table's rows before the rows that reference them
        mapper = inspect(obj).mapper
        values = {attr.columns[0].key: obj.__dict__[attr.key]
                  for attr in mapper.column_attrs if attr.key in obj.__dict__}
        batches.setdefault((mapper.local_table, tuple(values)), []).append(values)
    connection = session.connection()
    for (table, _), rows in batches.items():
        connection.execute(insert(table), rows)
    for obj in objects:
        make_transient_to_detached(obj)
        session.add(obj)
    return len(objects)


def discard(session: Session) -> None:
    """Forget what was gathered (the transaction rolled back)."""
    session.info.pop(_PENDING, None)
