"""Adding rows that may already be there, on either back end (``INSERT ... ON CONFLICT DO NOTHING``).

Creating something if it is missing ("the reporter's account", "the subject's open case") by first looking and
then inserting races with a concurrent request doing the same: both look, both insert, one fails on the key.
``ON CONFLICT DO NOTHING`` settles it in the database instead. On PostgreSQL an insert that meets a concurrent,
uncommitted insert of the same key waits for that transaction: if it commits, nothing is inserted and (READ
COMMITTED takes a new snapshot per statement) the next read finds the committed row; if it rolls back, the
insert goes ahead. SQLite runs one writer at a time (``BEGIN IMMEDIATE``), so there it never waits.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

T = TypeVar("T")


def insert_statement(session: Session) -> Any:
    """The dialect's ``insert`` (it has ``on_conflict_do_nothing``)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


_insert = insert_statement


def insert_missing(session: Session, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose primary key is not taken yet; the others are left as they are. Returns how many
    were inserted (RETURNING: psycopg reports no row count for a batch)."""
    if not rows:
        return 0
    stmt = _insert(session)(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
    return len(session.execute(stmt, rows).all())


def insert_new(session: Session, entity: type[T], values: dict[str, Any]) -> T | None:
    """Insert one row unless its primary key or a unique key is taken (or being taken by a transaction that then
    commits). Returns the new row, persistent in the session, or ``None``: someone else's row is there, and a
    read now finds it."""
    stmt = _insert(session)(entity).values(**values).on_conflict_do_nothing().returning(entity)
    return session.scalars(stmt).first()
