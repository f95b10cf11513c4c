"""Shared fixtures: settings on a temporary SQLite file, and a PostgreSQL database when offered."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from bot.config.settings import Settings

PG_ENV = "CROSSPOST_TEST_POSTGRES_URL"


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Dry-run settings with one Telegram and one X target, on a SQLite file in ``tmp_path``."""
    data: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'crosspost.db'}",
        "outbox_dir": tmp_path / "outbox",
        "dry_run": True,
        "targets": [
            {"name": "tg", "platform": "telegram", "chat": "@news"},
            {"name": "xa", "platform": "x"},
        ],
    }
    data.update(overrides)
    from bot.config.settings import Settings

    return Settings(**data)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Dry-run settings on a fresh SQLite file."""
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (skips without a server)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests skipped: set {PG_ENV} (e.g. "
                    "postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    name = f"crosspost_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - server down
        admin.dispose()
        pytest.skip(f"PostgreSQL at {base} not usable: {exc}")
    url = base.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def emptied(postgres_url: str) -> str:
    """Empty the PostgreSQL database's public schema (a test starting from nothing); returns
    the URL."""
    engine = create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    return postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated-from-empty database URL on each backend: SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'contract.db'}"
        return
    base: str = request.getfixturevalue("postgres_url")
    yield emptied(base)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on each backend."""
    from bot.store.db import make_engine, upgrade

    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()
