"""Engines and migrations: SQLite (WAL) by default, PostgreSQL (psycopg 3) from the same code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from bot.domain.errors import ConfigError, StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
_SUPPORTED = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their folder, WAL and a busy timeout."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"not a database URL: {url!r}", key="database_url") from exc
    if parsed.drivername not in _SUPPORTED:
        raise ConfigError("only SQLite (sqlite:///path) and PostgreSQL (postgresql+psycopg://…) "
                          "are supported", key="database_url")
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except Exception as exc:  # unknown driver
        raise ConfigError(f"cannot use database URL: {exc}", key="database_url") from exc


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # NORMAL (WAL): commits survive a crash of the process; the claim before each platform
    # call switches its own commit to FULL so that it survives a power loss too.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply Alembic migrations up to ``revision`` (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except OperationalError as exc:
        raise StoreError(f"database not reachable: {exc.orig}") from exc


def current_revision(engine: Engine) -> str | None:
    """The applied Alembic revision, or ``None`` on an empty database."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return row[0] if row else None
