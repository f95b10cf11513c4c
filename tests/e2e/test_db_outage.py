"""Database outages: PostgreSQL ends every connection of a running daemon, again and again."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import emptied
from tests.e2e.live import copies, deliveries, live_project, queue_stories, start_daemon, wait_until
from tests.fakes.fixtures import make_telegram_server, make_x_server  # noqa: F401
from tests.fakes.telegram_server import TelegramConfig

pytestmark = pytest.mark.slow
STORIES = 400
CUTS = 8


def _cut(url: str) -> int:
    """End every other session on the database (as a server restart or failover does)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).all())
    finally:
        engine.dispose()


def test_cut_connections_never_duplicate_lose_or_park_a_post(
    tmp_path: Path, postgres_url: str, make_telegram_server, make_x_server  # noqa: F811
) -> None:
    """PostgreSQL ends every connection of a publishing daemon eight times (as a restart or a
    failover does): nothing reaches a chat or account twice, every delivery ends published (a
    post that went out while its record could not be written is recorded later, not left for
    review), the daemon keeps running (it takes its publisher lock again), and a story queued
    after the cuts still wakes it and goes out."""
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    emptied(postgres_url)
    tg = make_telegram_server(TelegramConfig(chats=("@news", "@world")))
    x = make_x_server()
    p = live_project(tmp_path / "p", tg, x, database_url=postgres_url)
    queue_stories(p, STORIES)
    proc = start_daemon(p)
    cuts = 0
    try:
        assert wait_until(lambda: len(tg.app.state()["messages"]) >= 50, 60)  # type: ignore[attr-defined]
        for _ in range(CUTS):  # while it publishes
            time.sleep(rng.uniform(0.1, 0.5))
            cuts += _cut(postgres_url) > 0
        assert wait_until(lambda: all(d["state"] == "published" for d in deliveries(p)), 120), (
            f"seed {seed}: {sorted({d['state'] for d in deliveries(p)})}")
        more = p.root / "more.jsonl"
        more.write_text('{"url": "https://city.example/story-9999", "title": "Story number '
                        '9999", "text": "Event 9999 happened in the city today."}\n')
        assert p.run("queue", "import", str(more)).code == 0
        assert wait_until(lambda: all(d["state"] == "published" for d in deliveries(p)), 30), (
            f"a story queued after the cuts did not go out (seed {seed})")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    assert cuts >= CUTS // 2, f"most cuts found the daemon's sessions open (seed {seed})"
    seen = copies(tg, x)
    assert max(seen.values()) == 1, f"a post went out twice (seed {seed})"
    assert sum(seen.values()) == (STORIES + 1) * 3, f"seed {seed}"
