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
