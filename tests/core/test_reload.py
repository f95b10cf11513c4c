"""Hot reload inside the daemon: a change that fails half-way keeps the old config publishing."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from bot.config.load import load_settings
from bot.domain.models import ArticleDraft
from bot.wiring import build_app, build_daemon

CONFIG = """
database_url = "sqlite:///{root}/db.sqlite"
outbox_dir = "{root}/outbox"
[schedules.s]
min_interval = "{interval}"
[[targets]]
name = "tg"
platform = "telegram"
chat = "@news"
schedule = "s"
"""


def test_reload_failing_while_building_publishers_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If building the new publishers raises, the edit is refused (status shows why), the old
    dispatcher keeps publishing, and a later good edit takes effect."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG.format(root=tmp_path, interval="0s"))
    app = build_app(load_settings(cfg, env_file=None))
    daemon = build_daemon(app, config_file=cfg, load=lambda p: load_settings(p, env_file=None),
                    watch_seconds=0.1)
    outbox = tmp_path / "outbox" / "tg.jsonl"

    def posts() -> int:
        return len(outbox.read_text().splitlines()) if outbox.exists() else 0

    async def wait(predicate, seconds: float = 10) -> bool:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate():
                return True
            await asyncio.sleep(0.05)
        return False

    async def scenario() -> None:
        runner = asyncio.create_task(daemon.run())
        try:
            app.intake.add(ArticleDraft(url="https://a.example/1", title="One", text="Text."))
            assert await wait(lambda: posts() == 1)
            before = app.dispatcher

            def broken(*args: object, **kwargs: object) -> None:
                raise RuntimeError("client refused the token")

            monkeypatch.setattr(daemon, "make_dispatcher", broken)
            cfg.write_text(CONFIG.format(root=tmp_path, interval="1s"))
            assert await wait(lambda: app.state.get("config_refused") is not None)
            assert "client refused the token" in app.state.get("config_refused")["error"]
            assert app.dispatcher is before
            app.intake.add(ArticleDraft(url="https://a.example/2", title="Two", text="Text."))
            assert await wait(lambda: posts() == 2), "the old config still publishes"

            monkeypatch.undo()
            time.sleep(0.01)
            cfg.write_text(CONFIG.format(root=tmp_path, interval="2s"))
            assert await wait(lambda: app.state.get("config_refused") is None)
            assert app.dispatcher is not before
            app.intake.add(ArticleDraft(url="https://a.example/3", title="Three", text="Text."))
            assert await wait(lambda: posts() == 3)
        finally:
            daemon.stop()
            await runner

    asyncio.run(scenario())
    app.dispose()
    written = [json.loads(line)["article_id"] for line in outbox.read_text().splitlines()]
    assert written == [1, 2, 3]


FEED = """
[[feeds]]
name = "site"
url = "http://127.0.0.1:9/feed.xml"
interval = "{interval}"
"""


def test_reloads_let_go_of_the_old_feed_threads(tmp_path: Path) -> None:
    """Each reload replaces the feed jobs and shuts down the old runner's thread pool, so the
    daemon does not gain a pool per reload; stopping shuts down the last one."""
    from bot.daemon.feeds import FeedJobs, feed_jobs

    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG.format(root=tmp_path, interval="0s") + FEED.format(interval="1h"))
    app = build_app(load_settings(cfg, env_file=None))
    daemon = build_daemon(app, config_file=cfg, load=lambda p: load_settings(p, env_file=None),
                          watch_seconds=0.1)
    made: list[FeedJobs] = []

    def recording(runtime):  # type: ignore[no-untyped-def]
        jobs = feed_jobs(runtime)
        if jobs is not None:
            made.append(jobs)
        return jobs

    daemon.job_factories.append(recording)

    async def scenario() -> None:
        runner = asyncio.create_task(daemon.run())
        try:
            for n in range(3):
                await asyncio.sleep(0.3)
                cfg.write_text(CONFIG.format(root=tmp_path, interval="0s")
                               + FEED.format(interval=f"{n + 2}h"))
                assert await daemon.reload()
        finally:
            daemon.stop()
            await runner

    asyncio.run(scenario())
    app.dispose()
    assert len(made) == 4
    for jobs in made:  # every pool refuses new work: it was shut down
        with pytest.raises(RuntimeError, match="shutdown"):
            jobs.runner.pool.submit(print)


def test_sighup_reload_is_held_and_its_failure_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """SIGHUP starts a reload the daemon holds on to until it ends (not a task nobody
    references); if it fails, the error is logged with its stack instead of being lost."""
    import gc
    import os
    import signal

    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG.format(root=tmp_path, interval="0s"))
    app = build_app(load_settings(cfg, env_file=None))
    daemon = build_daemon(app, config_file=cfg, load=lambda p: load_settings(p, env_file=None),
                          watch_seconds=0.1)
    release = asyncio.Event()
    reached: list[str] = []

    async def slow_failing_reload() -> bool:
        reached.append("started")
        await release.wait()
        reached.append("finished")
        raise RuntimeError("reload blew up")

    monkeypatch.setattr(daemon, "reload", slow_failing_reload)

    async def scenario() -> None:
        runner = asyncio.create_task(daemon.run())
        try:
            await asyncio.sleep(0.3)
            os.kill(os.getpid(), signal.SIGHUP)
            for _ in range(50):
                await asyncio.sleep(0.02)
                if reached:
                    break
            gc.collect()
            held = [t for t in asyncio.all_tasks() if "reload" in t.get_name().lower()]
            assert held, "the reload task is held by the daemon"
            release.set()
            await asyncio.sleep(0.1)
        finally:
            daemon.stop()
            await runner

    with caplog.at_level("ERROR"):
        asyncio.run(scenario())
    app.dispose()
    assert reached == ["started", "finished"]
    failed = [r for r in caplog.records if "reload" in r.getMessage() and r.exc_info]
    assert failed and "reload blew up" in str(failed[0].exc_info[1])  # type: ignore[index]
