"""Crash safety: `crosspost run` killed with SIGKILL at random moments, then restarted."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

from tests.e2e.live import copies, deliveries, live_project, queue_stories, start_daemon, wait_until
from tests.fakes.fixtures import make_telegram_server, make_x_server  # noqa: F401
from tests.fakes.telegram_server import TelegramConfig

pytestmark = pytest.mark.slow
STORIES = 500
KILLS = 10


def test_sigkill_mid_publishing_never_duplicates_or_loses(
    tmp_path: Path, make_telegram_server, make_x_server  # noqa: F811
) -> None:
    """Ten SIGKILLs while publishing 1,500 deliveries: nothing reaches a chat or account twice,
    every X delivery ends published (reconciled on restart), and every Telegram delivery ends
    published or, where a kill hit mid-request, needs_review."""
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    tg = make_telegram_server(TelegramConfig(chats=("@news", "@world")))
    x = make_x_server()
    p = live_project(tmp_path / "p", tg, x)
    queue_stories(p, STORIES)
    killed_mid_run = 0
    for _ in range(KILLS):
        proc = start_daemon(p)
        time.sleep(rng.uniform(0.7, 1.6))
        before = len(tg.app.state()["messages"]) + len(x.app.state()["tweets"])  # type: ignore[attr-defined]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        if before < STORIES * 3:
            killed_mid_run += 1
    proc = start_daemon(p, "final.log")
    try:
        assert wait_until(lambda: "crosspost running" in (p.root / "final.log").read_text(), 30)
        assert wait_until(lambda: all(d["state"] in ("published", "needs_review")
                                      for d in deliveries(p)), 120), f"seed {seed}"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    assert killed_mid_run >= 5, f"most kills landed while publishing (seed {seed})"
    seen = copies(tg, x)
    assert max(seen.values()) == 1, f"a post went out twice (seed {seed})"
    ds = deliveries(p)
    assert len(ds) == STORIES * 3
    for d in ds:
        where = {"tg-news": "@news", "tg-world": "@world", "xa": "x"}[d["target"]]
        story = d["url"].rsplit("-", 1)[1]
        if d["state"] == "published":
            assert seen[(where, story)] == 1, (d, seed)
        else:
            assert d["target"] != "xa", (d, seed)
    review = sum(d["state"] == "needs_review" for d in ds)
    print(f"seed {seed}: kills mid-run {killed_mid_run}, needs_review {review}")
    assert sum(seen.values()) >= STORIES * 3 - KILLS * 2
