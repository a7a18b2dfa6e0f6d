"""Adding rows that may already be there, on either back end (``INSERT ... ON CONFLICT DO NOTHING``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_missing(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows whose primary key is not taken yet; the others are left as they are."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(table).on_conflict_do_nothing(), rows)
