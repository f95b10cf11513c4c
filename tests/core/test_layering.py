"""The pure core stays pure: bot/domain and bot/compose import no I/O library or adapter."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
FORBIDDEN = ("httpx", "telegram", "tweepy", "requests", "sqlalchemy", "alembic", "psycopg",
             "socket", "urllib.request", "subprocess", "fastapi", "uvicorn", "trafilatura",
             "feedparser", "bot.store", "bot.publish", "bot.ingest", "bot.api", "bot.staff",
             "bot.wiring", "bot.service", "bot.cli", "bot.settings")


def imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def env_access(path: Path) -> bool:
    """True when a file reads ``os.environ`` or ``os.getenv``."""
    text = path.read_text(encoding="utf-8")
    return "os.environ" in text or "os.getenv" in text


@pytest.mark.parametrize("path", sorted([*BOT.glob("domain/*.py"), *BOT.glob("compose/*.py")]),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_core_module_imports_no_io(path: Path) -> None:
    """A domain or compose module imports none of the I/O libraries, adapters or settings."""
    bad = {name for name in imports(path)
           if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)}
    assert not bad, f"{path.name} imports {sorted(bad)}"
    assert not env_access(path), f"{path.name} reads the environment"
