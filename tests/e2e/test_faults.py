"""End to end: `crosspost run` against the strict fakes with injected faults, bad tokens and
unknown chats."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.e2e.live import copies, deliveries, live_project, queue_stories, start_daemon, wait_until
from tests.fakes.faults import FaultPlan
from tests.fakes.fixtures import make_telegram_server, make_x_server  # noqa: F401
from tests.fakes.telegram_server import TelegramConfig

pytestmark = pytest.mark.slow
STORIES = 30


def _settled(p: object) -> bool:
    ds = deliveries(p)  # type: ignore[arg-type]
    return bool(ds) and all(d["state"] in ("published", "needs_review", "failed") for d in ds)


def test_thirty_percent_faults_publish_everything_exactly_once(
    tmp_path: Path, make_telegram_server, make_x_server  # noqa: F811
) -> None:
    """With 30% faults (429, 5xx, slow, dropped) every story reaches every chat and account at
    most once, X ends fully published, Telegram ends published or needs_review (where the
    outcome is unknowable), and no request came before an announced retry_after or reset."""
    tg = make_telegram_server(TelegramConfig(chats=("@news", "@world")),
                              FaultPlan(rate=0.3, seed=7, slow_seconds=1.5))
    x = make_x_server(None, FaultPlan(rate=0.3, seed=11, slow_seconds=1.5))
    p = live_project(tmp_path / "p", tg, x)
    queue_stories(p, STORIES)
    proc = start_daemon(p)
    try:
        assert wait_until(lambda: _settled(p), 120), (p.root / "daemon.log").read_text()[-3000:]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    ds = deliveries(p)
    assert len(ds) == STORIES * 3
    seen = copies(tg, x)
    assert max(seen.values()) == 1, "no story twice on any chat or account"
    for d in ds:
        where = {"tg-news": "@news", "tg-world": "@world", "xa": "x"}[d["target"]]
        story = d["url"].rsplit("-", 1)[1]
        if d["target"] == "xa":
            assert d["state"] == "published", d
        assert d["state"] in ("published", "needs_review"), d
        if d["state"] == "published":
            assert seen[(where, story)] == 1, d
            assert d["platform_post_id"]
    assert tg.app.state()["violations"] == []  # type: ignore[attr-defined]
    assert x.app.state()["violations"] == []  # type: ignore[attr-defined]
    faults = [r for r in tg.app.state()["requests"] + x.app.state()["requests"]  # type: ignore[attr-defined]
              if r.get("fault")]
    assert len(faults) >= 10, "faults were really injected"


def test_bad_token_and_unknown_chat_do_not_stop_the_rest(
    tmp_path: Path, make_telegram_server, make_x_server  # noqa: F811
) -> None:
    """A wrong bot token pauses the Telegram targets with a clear status and log line; an unknown
    chat fails its deliveries with Telegram's words; X keeps publishing; no crash loop."""
    tg = make_telegram_server(TelegramConfig(chats=("@news",)))
    x = make_x_server()
    p = live_project(tmp_path / "bad", tg, x, token="999:WRONG")
    queue_stories(p, 5)
    proc = start_daemon(p)
    try:
        assert wait_until(lambda: all(d["state"] == "published" for d in deliveries(p)
                                      if d["target"] == "xa"), 30)
        assert wait_until(lambda: "target paused" in (p.root / "daemon.log").read_text(), 10)
        status = p.run("status", "--json").json()
        paused = {t["name"]: t["paused"] for t in status["targets"]}
        assert paused["tg-news"] and "Unauthorized" in paused["tg-news"]
        assert any("paused" in line for line in status["problems"])
        assert proc.poll() is None, "still running"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    assert len(x.app.state()["tweets"]) == 5  # type: ignore[attr-defined]
    assert tg.app.state()["messages"] == []  # type: ignore[attr-defined]

    # the right token, but @world is not a chat the bot can reach
    p2 = live_project(tmp_path / "chat", tg, x)
    queue_stories(p2, 2)
    assert p2.run("run", "--once").code == 0
    states = {(d["target"], d["state"]) for d in deliveries(p2)}
    assert ("tg-world", "failed") in states and ("tg-news", "published") in states
    failed = [d for d in deliveries(p2) if d["target"] == "tg-world"]
    assert all("chat not found" in d["error"].lower() for d in failed), failed
