"""Rate-limit state: one GCRA cell per key, advanced by a single UPSERT (correct across processes).

GCRA (the generic cell rate algorithm) keeps one number per key, the theoretical arrival time ``tat``: a
request at ``now`` is allowed when ``max(tat, now) - now <= tolerance``, and then moves ``tat`` on by
``interval`` (the time one request "costs"). ``tolerance = (burst - 1) * interval`` lets ``burst`` requests
through at once, then one per ``interval``. The check and the update are one statement, so two processes can
never both take the last slot; a refused request writes nothing.
"""

from __future__ import annotations

import json

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
# The same UPSERT for many distinct keys in one statement (a batch of reports): the keys come as one array, so the
# statement's text is the same whatever their number. RETURNING names the keys that were allowed.
_UPSERT_MANY = """
INSERT INTO rate_limits (key, tat) SELECT k, :first_tat FROM {keys} WHERE true
ON CONFLICT (key) DO UPDATE SET tat = {greatest}(rate_limits.tat, :now) + :interval
WHERE {greatest}(rate_limits.tat, :now) - :now <= :tolerance
RETURNING key
"""
_MANY = {"postgresql": text(_UPSERT_MANY.format(greatest="GREATEST", keys="unnest(CAST(:keys AS text[])) AS k")),
         "sqlite": text(_UPSERT_MANY.format(greatest="max", keys="(SELECT value AS k FROM json_each(:keys))"))}
_READ_MANY = {"postgresql": text("SELECT key, tat FROM rate_limits WHERE key = ANY(CAST(:keys AS text[]))"),
              "sqlite": text("SELECT key, tat FROM rate_limits WHERE key IN (SELECT value FROM json_each(:keys))")}
_GIVE_BACK = text("UPDATE rate_limits SET tat = tat - :interval WHERE key = :key")


def take(session: Session, key: str, *, now: float, interval: float, tolerance: float) -> float:
    """Take one slot of ``key``'s limit at ``now`` (seconds). Returns 0.0 when allowed, else the seconds to
    wait before a request would be."""
    dialect = session.get_bind().dialect.name
    params = {"key": key, "now": now, "interval": interval, "tolerance": tolerance, "first_tat": now + interval}
    if session.execute(_STATEMENTS[dialect], params).first() is not None:
        return 0.0
    tat = session.execute(_READ, {"key": key}).scalar_one()
    return max(tat - tolerance - now, 0.0)


def take_each(session: Session, keys: list[str], *, now: float, interval: float, tolerance: float) -> list[float]:
    """:func:`take` for each key of a list, in order (a key may appear several times: its occurrences take
    their slots one after the other, as that many calls of :func:`take` would). Returns each occurrence's wait
    (0.0: allowed). One statement per round, a round being the n-th occurrence of every key: a row can be
    changed once per statement. Keys are written in ascending order, so two batches wait instead of
    deadlocking."""
    dialect = session.get_bind().dialect.name
    waits = [0.0] * len(keys)
    seen: dict[str, int] = {}
    rounds: list[dict[str, int]] = []  # round -> key -> position in ``keys``
    for position, key in enumerate(keys):
        n = seen[key] = seen.get(key, -1) + 1
        if n == len(rounds):
            rounds.append({})
        rounds[n][key] = position
    refused: dict[str, list[int]] = {}
    for round_ in rounds:
        ordered = sorted(key for key in round_ if key not in refused)  # once refused, later ones are too
        allowed: set[str] = set()
        if ordered:
            params = {"keys": _array(dialect, ordered), "now": now, "interval": interval, "tolerance": tolerance,
                      "first_tat": now + interval}
            allowed = {row[0] for row in session.execute(_MANY[dialect], params)}
        for key, position in round_.items():
            if key not in allowed:
                refused.setdefault(key, []).append(position)
    if refused:
        tats = dict(session.execute(_READ_MANY[dialect], {"keys": _array(dialect, sorted(refused))}).all())
        for key, positions in refused.items():
            for position in positions:
                waits[position] = max(tats[key] - tolerance - now, 0.0)
    return waits


def give_back(session: Session, keys: list[str], *, interval: float) -> None:
    """Return one slot taken by :func:`take_each` to each key (a request refused later in its transaction,
    whose other changes stay): ``tat - interval`` allows exactly what would have been allowed without it."""
    if keys:
        session.execute(_GIVE_BACK, [{"key": key, "interval": interval} for key in sorted(keys)])


def _array(dialect: str, keys: list[str]) -> object:
    return keys if dialect == "postgresql" else json.dumps(keys)
