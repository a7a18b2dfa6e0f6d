"""Adding rows that may already be there, on either back end (``INSERT ... ON CONFLICT DO NOTHING``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_missing(session: Session, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose primary key is not taken yet; the others are left as they are. Returns how many
    were inserted (RETURNING: psycopg reports no row count for a batch)."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
    return len(session.execute(stmt, rows).all())
