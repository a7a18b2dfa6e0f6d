"""The database handle: engines, sessions and the unit of work.

SQLite (the embedded default) runs in WAL mode; a write unit of work starts with ``BEGIN IMMEDIATE``
so two writers never read the same snapshot and then collide at commit. PostgreSQL uses row locks
(``SELECT ... FOR UPDATE``) where a rule depends on current state.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from fairflag.store.session import FairflagSession

_WRITE = "fairflag_write"
POOL_THREADS = 40  # anyio's default worker-thread limit, which runs FastAPI's sync endpoints
_SQLITE_BUSY_S = 30  # how long a SQLite writer waits for the lock before "database is locked"
_SURROGATE = re.compile("[\ud800-\udfff]")


def load_json(data: str | bytes) -> Any:
    """JSON columns as stored, with any lone UTF-16 surrogate replaced by U+FFFD. Inputs refuse them now, but
    SQLite kept the ``\\ud800`` escapes that earlier versions let through, and a value that cannot be encoded
    would make every read that shows it fail: no stored value may do that."""
    text = data if isinstance(data, str) else bytes(data).decode("utf-8")
    value = json.loads(text)
    if "\\ud" in text or "\\uD" in text:
        value = _valid(value)
    return value


def _valid(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_valid(v) for v in value]
    if isinstance(value, dict):
        return {_valid(k): _valid(v) for k, v in value.items()}
    return value


class Database:
    def __init__(self, url: str, *, echo: bool = False, statement_timeout_ms: int | None = None,
                 pool_max: int = POOL_THREADS) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.dialect == "sqlite":
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": _SQLITE_BUSY_S}
            if parsed.database in (None, "", ":memory:"):
                raise ValueError("fairflag needs a SQLite file, not an in-memory database")
            kwargs["poolclass"] = NullPool if parsed.query.get("nullpool") else None
            kwargs = {k: v for k, v in kwargs.items() if v is not None}
        elif self.dialect == "postgresql":
            if parsed.drivername == "postgresql":
                url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
            # Up to as many connections as the server has worker threads (anyio's 40), each of which holds at
            # most one at a time: with 30, under 32 concurrent reports a thread waited for a connection held by
            # a report that itself waited for a subject's row lock (issue 21's profile). Ten stay open.
            kwargs.update(pool_pre_ping=True, pool_size=min(10, pool_max), max_overflow=max(0, pool_max - 10))
            if statement_timeout_ms is not None:  # a runaway statement is cancelled (and its transaction)
                kwargs["connect_args"] = {"options": f"-c statement_timeout={int(statement_timeout_ms)}"}
        kwargs["json_deserializer"] = load_json
        self.engine: Engine = create_engine(url, **kwargs)
        # One writer at a time in this process (see unit_of_work); re-entrant, as SQLite's busy wait was.
        self._writer: threading.RLock | None = None
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)
            self._writer = threading.RLock()
        self._read = sessionmaker(bind=self.engine, class_=FairflagSession, expire_on_commit=False, autoflush=True)
        self._write = sessionmaker(
            bind=self.engine.execution_options(**{_WRITE: True}), class_=FairflagSession, expire_on_commit=False,
            autoflush=True,
        )
        self._counters: sessionmaker[Session] | None = None
        self._counter_engine: Engine | None = None  # SQLite only: the counters' own connections

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction for one unit of work: commits at the end, rolls back on any error.

        On SQLite the process's writers queue on a lock before ``BEGIN IMMEDIATE``: SQLite admits one writer
        at a time anyway, and a writer that finds the database locked sleeps in steps of up to 100 ms before
        it tries again, so under concurrent intake the lock sat idle while waiters slept and newcomers
        overtook them (issue 21's profile: most of a report's time was spent in ``BEGIN IMMEDIATE``). Waiting
        on a thread lock, the next writer starts as soon as the previous one commits. Other processes still
        meet SQLite's own lock and busy timeout; so does a writer that waited here longer than that timeout."""
        queued = self._writer.acquire(timeout=_SQLITE_BUSY_S) if self._writer is not None else False
        try:
            with self._write() as session, session.begin():
                yield session
        finally:
            if queued:
                self._writer.release()  # type: ignore[union-attr]

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only view; never commits. Closing returns the connection, which rolls back; loaded
        objects stay readable (no expiry) for the caller to shape its answer."""
        with self._read() as session:
            yield session

    @contextmanager
    def counter_unit(self) -> Iterator[Session]:
        """A short write transaction for state that need not survive a crash (rate-limit counters): its commit
        does not wait for the disk. PostgreSQL: ``synchronous_commit = off`` for this transaction. SQLite: a
        connection of its own with ``synchronous=NORMAL`` (in WAL mode, safe from corruption; the last commits
        may be lost on power failure); the reports' connections keep ``FULL``."""
        if self._counters is None:
            if self.dialect == "sqlite":
                engine = create_engine(self.engine.url, connect_args={"check_same_thread": False, "timeout": 30},
                                       json_deserializer=load_json)
                _configure_sqlite(engine, synchronous="NORMAL")
                self._counter_engine = engine
            else:
                engine = self.engine
            self._counters = sessionmaker(bind=engine.execution_options(**{_WRITE: True}), expire_on_commit=False)
        with self._counters() as session, session.begin():
            if self.dialect == "postgresql":
                session.execute(text("SET LOCAL synchronous_commit = off"))
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self._counter_engine is not None:
            self._counter_engine.dispose()


def _configure_sqlite(engine: Engine, *, synchronous: str = "FULL") -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own handling is off).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")  # FULL: an acknowledged report survives power loss
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(_WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")
