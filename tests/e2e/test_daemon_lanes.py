"""The daemon against the fake Bot API: lanes don't hold each other up, a stop finishes the send
in hand, and only one process publishes from a database."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.e2e.live import deliveries, live_project, queue_stories, start_daemon, wait_until
from tests.fakes.faults import SLOW, FaultPlan
from tests.fakes.fixtures import make_telegram_server, make_x_server  # noqa: F401
from tests.fakes.telegram_server import TelegramConfig

pytestmark = pytest.mark.slow
BODY = "The council met on Monday. It approved the plan."  # an empty body is refused at every door


def _running(p: object, log: str = "daemon.log") -> bool:
    return "crosspost running" in (p.root / log).read_text()  # type: ignore[attr-defined]


def test_sigterm_mid_send_finishes_and_records_it(
    tmp_path: Path, make_telegram_server, make_x_server  # noqa: F811
) -> None:
    """SIGTERM while a post is in flight (a 2 s answer): the daemon waits for the answer,
    records `published`, and exits 0 — nothing is left `sending`."""
    faults = FaultPlan(slow_seconds=2.0)
    tg = make_telegram_server(TelegramConfig(chats=("@news", "@world")), faults)
    x = make_x_server()
    p = live_project(tmp_path / "p", tg, x, extra="")
    p.config.write_text(p.config.read_text().replace("timeout = 1\n", "timeout = 5\n", 1))
    proc = start_daemon(p)
    try:
        assert wait_until(lambda: _running(p), 30)
        faults.queue([SLOW])
        p.run("queue", "add", "https://city.example/story-1", "--title", "Story number 1",
              "--body-file", "-", "--targets", "tg-news", stdin=BODY)
        assert wait_until(lambda: any(r.get("fault") for r in tg.app.state()["requests"]), 10)  # type: ignore[attr-defined]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    (d,) = deliveries(p)
    assert d["state"] == "published", d
    assert len(tg.app.state()["messages"]) == 1  # type: ignore[attr-defined]


def test_a_paced_chat_does_not_hold_up_a_breaking_story_elsewhere(
    tmp_path: Path, make_telegram_server, make_x_server  # noqa: F811
) -> None:
    """With @news limited to 2 posts a minute and a backlog waiting there, a breaking story for
    @world goes out within seconds."""
    tg = make_telegram_server(TelegramConfig(chats=("@news", "@world")))
    x = make_x_server()
    p = live_project(tmp_path / "p", tg, x)
    p.config.write_text(p.config.read_text().replace("messages_per_chat_per_minute = 100000",
                                                     "messages_per_chat_per_minute = 2"))
    (p.root / "stories.jsonl").write_text("\n".join(
        f'{{"url": "https://city.example/story-{i}", "title": "Story number {i}", '
        f'"targets": ["tg-news"]}}' for i in range(5)))
    assert p.run("queue", "import", "stories.jsonl").code == 0
    proc = start_daemon(p)
    try:
        assert wait_until(lambda: _running(p), 30)
        assert wait_until(lambda: len(tg.app.state()["messages"]) >= 2, 15)  # type: ignore[attr-defined]
        start = time.monotonic()
        r = p.run("queue", "add", "https://city.example/story-99", "--title", "Story number 99",
                  "--body-file", "-", "--targets", "tg-world", "--priority", "breaking",
                  stdin=BODY)
        assert r.code == 0, r.err
        assert wait_until(lambda: any(m["chat_username"] == "world" for m in
                                      tg.app.state()["messages"]), 10)  # type: ignore[attr-defined]
        assert time.monotonic() - start < 6
        assert len([m for m in tg.app.state()["messages"]  # type: ignore[attr-defined]
                    if m["chat_username"] == "news"]) == 2, "the paced chat stays paced"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_a_second_publisher_is_refused(
    tmp_path: Path, make_telegram_server, make_x_server  # noqa: F811
) -> None:
    """`run --once` beside a running daemon exits 1 saying another process publishes, and
    touches nothing; once the daemon stops it works."""
    tg = make_telegram_server(TelegramConfig(chats=("@news", "@world")))
    x = make_x_server()
    p = live_project(tmp_path / "p", tg, x)
    proc = start_daemon(p)
    try:
        assert wait_until(lambda: _running(p), 30)
        r = p.run("run", "--once")
        assert r.code == 1
        assert "already publishing" in r.err and "Traceback" not in r.err
        assert p.run("status", "--json").json()["publisher_running"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    queue_stories(p, 1)
    assert p.run("run", "--once").code == 0
    assert p.run("status", "--json").json()["publisher_running"] is False


def test_run_once_on_sigterm_finishes_the_send_in_hand(
    tmp_path: Path, make_telegram_server, make_x_server  # noqa: F811
) -> None:
    """`run --once` stopped by SIGTERM mid-request waits for the answer, records it, exits 0."""
    import subprocess
    import sys

    faults = FaultPlan(slow_seconds=2.0)
    tg = make_telegram_server(TelegramConfig(chats=("@news", "@world")), faults)
    x = make_x_server()
    p = live_project(tmp_path / "p", tg, x)
    p.config.write_text(p.config.read_text().replace("timeout = 1\n", "timeout = 5\n", 1))
    p.run("queue", "add", "https://city.example/story-1", "--title", "Story number 1",
          "--body-file", "-", "--targets", "tg-news", stdin=BODY)
    faults.queue([SLOW])
    proc = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(p.config), "run",
                             "--once"], cwd=p.root, env=p.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: any(r.get("fault") for r in tg.app.state()["requests"]), 20)  # type: ignore[attr-defined]
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0 and "attempted 1" in out
    (d,) = deliveries(p)
    assert d["state"] == "published"
