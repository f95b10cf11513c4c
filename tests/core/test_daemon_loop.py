"""The daemon's event loop never runs SQL, and on PostgreSQL a story queued by another process
wakes it through LISTEN/NOTIFY (no polling)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.config.load import load_settings
from bot.domain.models import ArticleDraft
from bot.wiring import build_app, build_daemon

CONFIG = """
database_url = "{db}"
outbox_dir = "{root}/outbox"
[[targets]]
name = "tg"
platform = "telegram"
chat = "@news"
[[targets]]
name = "xa"
platform = "x"
"""


async def _wait(predicate: Callable[[], bool], seconds: float = 15) -> bool:
    """Poll ``predicate`` without blocking the loop."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await asyncio.to_thread(predicate):
            return True
        await asyncio.sleep(0.05)
    return False


def _posts(root: Path) -> int:
    """Posts the dry-run outbox holds on both targets."""
    return sum(len(f.read_text().splitlines()) for f in (root / "outbox").glob("*.jsonl"))


def test_no_sql_runs_on_the_event_loop(tmp_path: Path) -> None:
    """Queueing, planning, publishing and a config reload: every SQL statement runs on a
    worker thread, none on the loop's thread."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG.format(db=f"sqlite:///{tmp_path}/db.sqlite", root=tmp_path))
    app = build_app(load_settings(cfg, env_file=None))
    daemon = build_daemon(app, config_file=cfg, load=lambda p: load_settings(p, env_file=None),
                          watch_seconds=0.1, echo=False)
    on_loop: list[str] = []
    statements: list[int] = []
    loop_thread: list[threading.Thread] = []

    def spy(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(1)
        if loop_thread and threading.current_thread() is loop_thread[0]:
            on_loop.append(statement)

    event.listen(app.engine, "before_cursor_execute", spy)

    async def scenario() -> None:
        loop_thread.append(threading.current_thread())
        runner = asyncio.create_task(daemon.run())
        try:
            for i in range(5):
                await asyncio.to_thread(app.intake.add, ArticleDraft(
                    url=f"https://a.example/{i}", title=f"Story {i}", text="Text."))
            assert await _wait(lambda: _posts(tmp_path) == 10)
            time.sleep(0.01)
            cfg.write_text(cfg.read_text() + "\n")  # an edit: the daemon reloads
            assert await _wait(lambda: app.state.get("config_loaded") is not None)
        finally:
            daemon.stop()
            await runner

    asyncio.run(scenario())
    event.remove(app.engine, "before_cursor_execute", spy)
    app.dispose()
    assert len(statements) > 50
    assert on_loop == []


def test_postgres_notify_wakes_the_daemon(tmp_path: Path, postgres_url: str) -> None:
    """A story queued through another connection (as `queue add` in another process does) is
    published at once although the daemon's watch job would not look for an hour."""
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG.format(db=postgres_url, root=tmp_path))
    settings = load_settings(cfg, env_file=None)
    app = build_app(settings)
    other = build_app(settings)  # its own engine: another process, as far as the daemon knows
    daemon = build_daemon(app, watch_seconds=3600, echo=False)

    async def scenario() -> None:
        runner = asyncio.create_task(daemon.run())
        try:
            assert await _wait(lambda: daemon.alive)
            await asyncio.sleep(0.5)  # listening by now
            started = time.monotonic()
            await asyncio.to_thread(other.intake.add, ArticleDraft(
                url="https://a.example/n", title="Notified", text="Text."))
            assert await _wait(lambda: _posts(tmp_path) == 2, 10)
            assert time.monotonic() - started < 10
        finally:
            daemon.stop()
            await runner

    asyncio.run(scenario())
    other.dispose()
    app.dispose()
