"""One writer per key: a transaction-level lock on a name, for a row that does not exist yet.

A row lock (``SELECT ... FOR UPDATE``) needs a row. Two retries of the same request (the same idempotency key)
race before anything of theirs is stored; the second must wait for the first to commit and then answer from
its report. On PostgreSQL :func:`one_writer` takes ``pg_advisory_xact_lock`` on a hash of the key, released
when the transaction ends. SQLite needs nothing: a write transaction starts with ``BEGIN IMMEDIATE``, so there
is only ever one writer.
"""

from __future__ import annotations

import hashlib
from enum import IntEnum

from sqlalchemy import text
from sqlalchemy.orm import Session

_LOCK = text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), CAST(:key AS integer))")
# Many keys in one round trip, in the order given (unnest keeps the array's order).
_LOCK_MANY = text("SELECT count(pg_advisory_xact_lock(CAST(:space AS integer), k)) "
                  "FROM unnest(CAST(:keys AS integer[])) AS k")


class LockSpace(IntEnum):
    """The first half of a two-part advisory lock key (a key space of its own: the one-part locks, such as the
    outbox's, never collide with these)."""

    report_idempotency = 1


def one_writer(session: Session, space: LockSpace, key: str) -> None:
    """Wait until no other transaction holds ``key`` in ``space``, then hold it until this one ends. Two keys
    whose 32-bit hashes collide only wait for each other, which is harmless."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(_LOCK, {"space": int(space), "key": _digest(key)})


def one_writer_each(session: Session, space: LockSpace, keys: list[str]) -> None:
    """:func:`one_writer` for many keys in one statement, taken in ascending order of their hashes: two
    transactions that lock overlapping sets this way wait for each other instead of deadlocking."""
    if not keys or session.get_bind().dialect.name != "postgresql":
        return
    session.execute(_LOCK_MANY, {"space": int(space), "keys": sorted({_digest(key) for key in keys})})


def _digest(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big", signed=True)
