"""Rate-limit state: one GCRA cell per key, advanced by a single UPSERT (correct across processes).

GCRA (the generic cell rate algorithm) keeps one number per key, the theoretical arrival time ``tat``: a
request at ``now`` is allowed when ``max(tat, now) - now <= tolerance``, and then moves ``tat`` on by
``interval`` (the time one request "costs"). ``tolerance = (burst - 1) * interval`` lets ``burst`` requests
through at once, then one per ``interval``. The check and the update are one statement, so two processes can
never both take the last slot; a refused request writes nothing.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

_UPSERT = """
INSERT INTO rate_limits (key, tat) VALUES (:key, :first_tat)
ON CONFLICT (key) DO UPDATE SET tat = {greatest}(rate_limits.tat, :now) + :interval
WHERE {greatest}(rate_limits.tat, :now) - :now <= :tolerance
RETURNING tat
"""
_STATEMENTS = {"postgresql": text(_UPSERT.format(greatest="GREATEST")),
               "sqlite": text(_UPSERT.format(greatest="max"))}
_READ = text("SELECT tat FROM rate_limits WHERE key = :key")


def take(session: Session, key: str, *, now: float, interval: float, tolerance: float) -> float:
    """Take one slot of ``key``'s limit at ``now`` (seconds). Returns 0.0 when allowed, else the seconds to
    wait before a request would be."""
    dialect = session.get_bind().dialect.name
    params = {"key": key, "now": now, "interval": interval, "tolerance": tolerance, "first_tat": now + interval}
    if session.execute(_STATEMENTS[dialect], params).first() is not None:
        return 0.0
    tat = session.execute(_READ, {"key": key}).scalar_one()
    return max(tat - tolerance - now, 0.0)
