"""Per-report lookups are served by an index that finds their rows, not by one that grows with the history or
the queue (``fairflag bench history`` found "the subject's open case" visiting every open case, each report).

Plans, not timings: SQLite's ``EXPLAIN QUERY PLAN`` on the statement as the store compiles it; PostgreSQL's
plan of the same statement prepared with a generic plan (what psycopg's automatic prepared statements get
after a few executions) and sequential scans disabled (a test database is too small for the planner to prefer
an index on its own)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text

from fairflag.core import Fairflag
from fairflag.store import cases


def plan(core: Fairflag, stmt: Any, params: dict[str, str]) -> str:
    """The plan of ``stmt`` with string parameters ``params``, as one string."""
    dialect = core.db.engine.dialect
    compiled = stmt.compile(dialect=dialect)
    sql = str(compiled)
    params = {**{k: str(v) for k, v in compiled.params.items() if v is not None}, **params}
    with core.db.engine.connect() as conn:
        if dialect.name == "sqlite":
            sql = re.sub(r"\s+FOR UPDATE.*$", "", sql)
            values = [params[name] for name in compiled.positiontup]
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", tuple(values)).all()
            return "\n".join(str(row[-1]) for row in rows)
        names = list(params)
        for i, name in enumerate(names, 1):
            sql = re.sub(rf"%\({name}\)s(::VARCHAR)?", f"${i}", sql)
        conn.execute(text("SET plan_cache_mode = force_generic_plan"))
        conn.execute(text("SET enable_seqscan = off"))
        conn.exec_driver_sql(f"PREPARE q({', '.join('text' for _ in names)}) AS {sql}")
        args = ", ".join(f"'{params[name]}'" for name in names)
        rows = conn.exec_driver_sql(f"EXPLAIN EXECUTE q({args})").all()
        conn.rollback()
        return "\n".join(row[0] for row in rows)


def test_the_subjects_open_case_is_found_in_the_partial_unique_index(core: Fairflag) -> None:
    found = plan(core, cases._OPEN_FOR_SUBJECT, {"subject_id": "s1"})
    assert "uq_cases_open_subject" in found, found
    assert "ix_cases_rank" not in found, found  # the queue's index: every open case
