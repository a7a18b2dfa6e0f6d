"""A savepoint around one part of a unit of work, so that part can fail alone.

The bulk intake files many reports in one transaction; a report that is refused (or fails in the database)
must undo only what it wrote. A SAVEPOINT does that for the rows already sent; the rows gathered for one
batched insert at flush or commit (store/appends.py, store/eventlog.py) are cut back here to what they held
before, since a savepoint's rollback does not fire the session's ``after_rollback``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from fairflag.store import appends, eventlog

_GATHERED = (appends._PENDING, eventlog._PENDING)  # the two modules' own buffers


@contextmanager
def isolated(session: Session) -> Iterator[None]:
    """Run the block inside a savepoint; if it raises, undo only the block's writes, then re-raise."""
    marks = {key: len(session.info.get(key, [])) for key in _GATHERED}
    nested = session.begin_nested()
    try:
        yield
        nested.commit()  # flushes: the block's rows reach the database inside its savepoint
    except BaseException:
        if nested.is_active:
            nested.rollback()
        for key, mark in marks.items():
            del session.info.get(key, [])[mark:]
        raise
