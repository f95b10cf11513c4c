"""The staff chat inside a real ``crosspost run`` process, polling the fake Bot API."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.api.conftest import crosspost_env, stop
from tests.api.pages import story_pages
from tests.fakes.fixtures import start_fake
from tests.fakes.telegram_server import DEFAULT_TOKEN, TelegramFake
from tests.staff.replies_wait import wait_answers

STAFF = 4242


def test_daemon_answers_staff_and_refuses_strangers(tmp_path: Path) -> None:
    """``crosspost run`` with staff ids polls getUpdates: a staff link is queued and answered,
    a stranger is refused, and SIGTERM stops polling cleanly."""
    fake = TelegramFake()
    server = start_fake(fake)
    config = tmp_path / "crosspost.toml"
    config.write_text(f"""
database_url = "sqlite:///{tmp_path / 'crosspost.db'}"
outbox_dir = "{tmp_path / 'outbox'}"
dry_run = true

[telegram]
api_base_url = "{server.url}"
staff_user_ids = [{STAFF}]

[fetch]
allow_private_networks = true

[[targets]]
name = "tg"
platform = "telegram"
chat = "@news"
""", encoding="utf-8")
    log = tmp_path / "crosspost.log"
    try:
        with story_pages() as pages, log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "-v", "--config", str(config), "run"],
                cwd=tmp_path, env=crosspost_env(CROSSPOST_TELEGRAM__BOT_TOKEN=DEFAULT_TOKEN),
                stdout=out, stderr=subprocess.STDOUT)
            try:
                fake.incoming(7, f"{pages}/story/stranger")
                fake.incoming(STAFF, f"{pages}/story/daemon")
                refused = wait_answers(fake, 7, 1, deadline=time.monotonic() + 30)
                answered = wait_answers(fake, STAFF, 2, deadline=time.monotonic() + 30)
            finally:
                code = stop(process)
    finally:
        server.stop()
    assert code == 0, log.read_text()
    assert refused[0]["text"].startswith("Sorry, I only take stories")
    assert answered[0]["text"].startswith("Queued #1: Harbour reopens: daemon")
    assert answered[1]["text"].startswith("Telegram preview · tg")
