"""fairflag's own session class, and the unit-of-work hooks registered on it and nothing else.

Two buffers are written at the end of a flush or just before commit: the append-only rows of
:mod:`fairflag.store.appends` and the event log of :mod:`fairflag.store.eventlog`; a rollback discards both.
The hooks listen on :class:`FairflagSession`, which :class:`fairflag.store.db.Database` makes every session
from, never on SQLAlchemy's ``Session`` itself: importing fairflag changes nobody else's sessions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from fairflag.store import appends, eventlog


class FairflagSession(Session):
    """A plain SQLAlchemy session that writes the buffered appends and events of its unit of work."""


@event.listens_for(FairflagSession, "after_flush_postexec")
def _after_flush(session: Session, _context: Any) -> None:
    appends.write(session)


@event.listens_for(FairflagSession, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()
    appends.write(session)  # when the flush had nothing of its own to write
    eventlog.write_pending(session)


@event.listens_for(FairflagSession, "after_rollback")
def _after_rollback(session: Session) -> None:
    appends.discard(session)
    eventlog.discard(session)
