"""One publishing process per database on SQLite (a file lock); on PostgreSQL daemons share an
advisory lock (they split the targets by lease, ``bot.store.leases``) and ``run --once`` needs
it alone.

A second publisher without leases would otherwise take the first one's in-flight sends for
interrupted ones and resolve them behind its back.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from bot.domain.errors import CrosspostError

_PG_KEY = 0x63726F73  # "cros": below 2**31, so pg_locks shows it as objid with classid 0


class AlreadyPublishingError(CrosspostError):
    """Another process is publishing from the same database."""


class PublisherLock:
    """Held while a process publishes; refuses a second holder at once (never waits)."""

    def __init__(self, engine: Engine, *, shared: bool = False) -> None:
        self.engine = engine
        self.shared = shared
        self._file: IO[str] | None = None
        self._conn: Connection | None = None
        self._lost = False  # the PostgreSQL session holding it was cut, not yet taken again

    def __enter__(self) -> PublisherLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def acquire(self, *, patience: float = 2.0) -> None:
        """Take the lock, trying for ``patience`` seconds (a `status` probe holds it for an
        instant), or raise ``AlreadyPublishingError``."""
        deadline = time.monotonic() + patience
        while True:
            try:
                self._acquire()
                return
            except AlreadyPublishingError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def _acquire(self) -> None:
        dialect = self.engine.dialect.name
        if dialect == "sqlite":
            self._lock_file()
        elif dialect == "postgresql":
            conn = self.engine.connect()
            kind = "_shared" if self.shared else ""
            got = conn.execute(text(f"SELECT pg_try_advisory_lock{kind}(:k)"),
                               {"k": _PG_KEY}).scalar()
            conn.commit()
            if not got:
                conn.close()
                raise AlreadyPublishingError(
                    "a `crosspost run --once` is already publishing from this database; "
                    "wait for it" if self.shared else
                    "crosspost workers are already publishing from this database; stop them "
                    "first (`run --once` needs the database alone)")
            self._conn = conn

    def _lock_file(self) -> None:
        import fcntl

        database = self.engine.url.database
        if not database or database == ":memory:":
            return
        path = Path(f"{database}.publisher.lock")
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise AlreadyPublishingError(
                f"another crosspost process (pid {holder}) is already publishing from "
                f"{database}; stop it first (SQLite has one publisher per database; "
                "several workers need PostgreSQL)") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def held_elsewhere(self) -> bool:
        """True when another process publishes from this database right now (a probe that
        takes nothing a starting publisher would need for more than an instant)."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as conn:
                held = conn.execute(text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND classid = 0 AND objid = :k AND pid <> pg_backend_pid() "
                    "AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"),
                    {"k": _PG_KEY}).scalar()
            return bool(held)
        try:
            self._acquire()
        except AlreadyPublishingError:
            return True
        self.release()
        return False

    def verify(self) -> bool:
        """Still held? (PostgreSQL: the session holding it may have been cut.)"""
        if self._conn is None:
            return not self._lost
        try:
            held = self._conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid = 0 AND objid = :k AND pid = pg_backend_pid()"), {"k": _PG_KEY}).scalar()
            self._conn.commit()
        except Exception:
            return False
        return bool(held)

    def take_again(self) -> bool:
        """After a cut session (``verify`` said no): take the lock on a new session, once;
        whether it was free to take (a ``run --once`` holding it alone says no)."""
        self.release()
        self._lost = True  # until a new session holds it (the database may still be away)
        try:
            self._acquire()
        except AlreadyPublishingError:
            return False
        self._lost = False
        return True

    def release(self) -> None:
        """Let another process publish."""
        if self._file is not None:
            self._file.close()  # closing drops the flock
            self._file = None
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                kind = "_shared" if self.shared else ""
                conn.execute(text(f"SELECT pg_advisory_unlock{kind}(:k)"), {"k": _PG_KEY})
                conn.commit()
            except Exception:  # the session is gone, and the lock with it
                conn.invalidate()
            finally:
                conn.close()
