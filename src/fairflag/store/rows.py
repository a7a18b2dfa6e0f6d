"""Adding rows that may already be there, on either back end (``INSERT ... ON CONFLICT DO NOTHING``).

Creating something if it is missing ("the reporter's account", "the subject's open case") by first looking and
then inserting races with a concurrent request doing the same: both look, both insert, one fails on the key.
``ON CONFLICT DO NOTHING`` settles it in the database instead. On PostgreSQL an insert that meets a concurrent,
uncommitted insert of the same key waits for that transaction: if it commits, nothing is inserted and (READ
COMMITTED takes a new snapshot per statement) the next read finds the committed row; if it rolls back, the
insert goes ahead. SQLite runs one writer at a time (``BEGIN IMMEDIATE``), so there it never waits.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from sqlalchemy import JSON, Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")
_PG = postgresql.dialect()


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


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]], *, skip_existing: bool = False,
                returning: tuple[str, ...] = ()) -> list[Any]:
    """Insert many rows (every one with the same columns) in one statement; with ``skip_existing``, the rows
    whose key is taken are left out (``ON CONFLICT DO NOTHING``, as :func:`insert_missing`). Returns the
    ``returning`` columns of the rows inserted (no order promised).

    PostgreSQL: ``INSERT ... SELECT * FROM unnest(:c0, :c1, ...)``, one array per column. The statement's text
    is the same whatever the number of rows, so the server parses and plans it once (psycopg prepares it) and
    the client sends one message; SQLAlchemy's multi-row VALUES for 500 rows cost more in psycopg's parsing of
    the long statement than in the server, and an executemany is one execution per row. Rows keep their order
    (``unnest`` returns the arrays' elements in order), so a serial key ascends with it. Other databases: an
    executemany."""
    if not rows:
        return []
    if session.get_bind().dialect.name != "postgresql":
        stmt = insert_statement(session)(table)
        if skip_existing:
            stmt = stmt.on_conflict_do_nothing()
        if not returning:
            session.execute(stmt, rows)
            return []
        return list(session.execute(stmt.returning(*(table.c[name] for name in returning)), rows).all())
    columns = tuple(rows[0])
    result = session.execute(_unnest_insert(session, table, columns, skip_existing, returning),
                             {f"c{i}": _array(table.c[name].type, [row[name] for row in rows])
                              for i, name in enumerate(columns)})
    return list(result.all()) if returning else []


def _unnest_insert(session: Session, table: Table, columns: tuple[str, ...], skip_existing: bool,
                   returning: tuple[str, ...]) -> Any:
    key = (table.name, columns, skip_existing, returning)
    statement = _UNNEST.get(key)
    if statement is None:
        dialect = session.get_bind().dialect
        quote = dialect.identifier_preparer.quote
        arrays = ", ".join(f"CAST(:c{i} AS {table.c[name].type.compile(dialect=dialect)}[])"
                           for i, name in enumerate(columns))
        sql = (f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))}) SELECT * FROM unnest({arrays})"
               + (" ON CONFLICT DO NOTHING" if skip_existing else "")
               + (f" RETURNING {', '.join(map(quote, returning))}" if returning else ""))
        statement = _UNNEST[key] = text(sql)
    return statement


_UNNEST: dict[tuple[str, tuple[str, ...], bool, tuple[str, ...]], Any] = {}


def _array(column_type: Any, values: list[Any]) -> list[Any]:
    """The values as the column's type binds them (a JSON column: its text, cast to ``jsonb`` by the server)."""
    if isinstance(column_type, JSON):
        return [None if v is None else json.dumps(v) for v in values]
    if isinstance(column_type, TypeDecorator):
        return [column_type.process_bind_param(v, _PG) for v in values]
    return values
