"""The daemon's event loop never runs SQL; on PostgreSQL a story queued by another process
wakes it through LISTEN/NOTIFY (no polling); posts go out on time, before planning passes and
beyond the planning horizon."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.config.load import load_settings
from bot.daemon.planning import HORIZON, Planner, PlanSummary
from bot.daemon.runtime import Runtime
from bot.daemon.service import Daemon
from bot.domain.models import ArticleDraft
from bot.domain.ports import PublishRequest
from bot.wiring import build_app, build_daemon, build_dispatcher
from tests.conftest import emptied

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
    emptied(postgres_url)
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


ONE_TARGET = """
database_url = "{db}"
outbox_dir = "{root}/outbox"
[[targets]]
name = "tg"
platform = "telegram"
chat = "@news"
"""


class _Recording(Planner):
    """A planner that notes when each pass starts."""

    events: list[tuple[str, datetime]]

    def replan(self, *args: Any, **kwargs: Any) -> PlanSummary:
        """Note the pass, then plan."""
        self.events.append(("replan", datetime.now(UTC)))
        return super().replan(*args, **kwargs)


def _timed_daemon(tmp_path: Path, horizon: int = HORIZON) -> tuple[Runtime, Daemon,
                                                                   list[tuple[str, datetime]]]:
    """A daemon on one dry-run target whose planning passes and publish calls are recorded
    (``("replan", at)``, ``("publish", at)``), with a planner keeping ``horizon`` places."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(ONE_TARGET.format(db=f"sqlite:///{tmp_path}/db.sqlite", root=tmp_path))
    app = build_app(load_settings(cfg, env_file=None))
    events: list[tuple[str, datetime]] = []
    planner = _Recording(queue=app.queue, state=app.state, settings=app.settings,
                         clock=app.clock, horizon=horizon)
    planner.events = events
    app.planner = planner
    app.intake.on_change = app.review.on_change = app.corrections.on_change = planner.replan
    dispatcher = build_dispatcher(app, echo=False)
    outbox = dispatcher.lanes["tg"].publisher
    publish = outbox.publish

    async def timed(request: PublishRequest) -> Any:
        events.append(("publish", datetime.now(UTC)))
        return await publish(request)

    outbox.publish = timed  # type: ignore[method-assign]
    return app, build_daemon(app, watch_seconds=3600, echo=False), events


def test_a_post_due_goes_before_the_daemon_plans_again(tmp_path: Path) -> None:
    """Woken at a post's planned time, the daemon sends it first and plans afterwards (when
    the lane is done): a planning pass never sits between the planned time and the send."""
    app, daemon, events = _timed_daemon(tmp_path)

    async def scenario() -> datetime:
        runner = asyncio.create_task(daemon.run())
        try:
            assert await _wait(lambda: daemon.alive)
            due = datetime.now(UTC) + timedelta(seconds=1.5)
            await asyncio.to_thread(app.intake.add, ArticleDraft(
                url="https://a.example/due", title="Due", text="Text.", not_before=due))
            assert await _wait(lambda: _posts(tmp_path) == 1)
            await asyncio.sleep(0.3)  # the pass after the lane
            return due
        finally:
            daemon.stop()
            await runner

    due = asyncio.run(scenario())
    app.dispose()
    sent = next(at for what, at in events if what == "publish")
    assert sent >= due
    assert [at for what, at in events if what == "replan" and due <= at <= sent] == []
    assert [at for what, at in events if what == "replan" and at > sent]  # planned after


def test_stories_beyond_the_horizon_go_on_time(tmp_path: Path) -> None:
    """With two places in the horizon, eight stories due a third of a second apart each go
    out close to their time: the horizon refills as lanes drain it, before the next is due."""
    app, daemon, events = _timed_daemon(tmp_path, horizon=2)
    count = 8

    async def scenario() -> list[datetime]:
        runner = asyncio.create_task(daemon.run())
        try:
            assert await _wait(lambda: daemon.alive)
            start = datetime.now(UTC) + timedelta(seconds=1.5)
            times = [start + timedelta(seconds=i / 3) for i in range(count)]
            lines = [f'{{"url": "https://a.example/{i}", "title": "Story {i}", '
                     f'"text": "Text.", "not_before": "{at.isoformat()}"}}'
                     for i, at in enumerate(times)]
            await asyncio.to_thread(app.intake.import_lines, lines)
            assert await _wait(lambda: _posts(tmp_path) == count)
            return times
        finally:
            daemon.stop()
            await runner

    times = asyncio.run(scenario())
    app.dispose()
    sent = [at for what, at in events if what == "publish"]
    assert len(sent) == count
    late = [(s - t).total_seconds() for s, t in zip(sent, times, strict=True)]
    assert all(0 <= seconds < 0.5 for seconds in late), late
