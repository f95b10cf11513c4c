"""The daemon as a subprocess: pacing by min_interval, closed windows, hot reload of config."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.core.cli_helpers import make_project

CONFIG = """
database_url = "sqlite:///{root}/var/crosspost.db"
outbox_dir = "{root}/var/outbox"
dry_run = true
[schedules.paced]
min_interval = "{interval}"
[schedules.closed]
windows = ["{window}"]
[[targets]]
name = "tg"
platform = "telegram"
chat = "@news"
schedule = "paced"
[[targets]]
name = "xa"
platform = "x"
schedule = "closed"
"""


def closed_window() -> str:
    """A one-hour window that opens two hours from now (UTC)."""
    start = datetime.now(UTC) + timedelta(hours=2)
    end = start + timedelta(hours=1)
    return f"{start:%H:%M}-{end:%H:%M}"


def times(outbox: Path) -> list[datetime]:
    """When each post was written to a target's outbox."""
    if not outbox.exists():
        return []
    return [datetime.fromisoformat(json.loads(line)["written_at"])
            for line in outbox.read_text().splitlines()]


def wait_for(predicate: object, timeout: float) -> bool:
    """Poll ``predicate`` until true or timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_daemon_paces_respects_windows_and_reloads(tmp_path: Path) -> None:
    """Posts keep min_interval apart, none goes out in a closed window, a config edit changes
    the pace within seconds, and a broken edit is refused while the old pace continues."""
    window = closed_window()
    p = make_project(tmp_path, CONFIG.replace("{interval}", "2s").replace("{window}", window))
    (p.root / "b.txt").write_text("Body text.")
    for i in range(4):
        r = p.run("queue", "add", f"https://a.example/{i}", "--title", f"S{i}", "--body-file",
                  "b.txt")
        assert r.code == 0, r.err
    log = (p.root / "daemon.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(p.config), "run"],
                            cwd=p.root, env=p.env, stdout=log, stderr=subprocess.STDOUT)
    tg = p.root / "var" / "outbox" / "tg.jsonl"
    try:
        assert wait_for(lambda: len(times(tg)) >= 3, 15), (p.root / "daemon.log").read_text()
        sent = times(tg)
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(sent)]
        assert all(g >= 1.95 for g in gaps), gaps
        assert not (p.root / "var" / "outbox" / "xa.jsonl").exists(), "window is closed"

        # a broken edit is refused; the old pace continues
        spare = p.root / "spare.toml"
        spare.write_text(p.config.read_text())
        time.sleep(0.05)
        p.config.write_text(p.config.read_text().replace('min_interval = "2s"',
                                                         'min_interval = "soon"'))
        assert wait_for(lambda: "config change refused" in (p.root / "daemon.log").read_text(), 5)
        status = p.run("--config", str(spare), "status", "--json").json()
        assert status["config_refused"] and "min_interval" in status["config_refused"]["error"]
        assert any("config change refused" in x for x in status["problems"])

        # a valid edit takes effect: a 0s pace sends the next stories back to back
        assert wait_for(lambda: len(times(tg)) >= 4, 10)
        p.config.write_text(p.config.read_text().replace('min_interval = "soon"',
                                                         'min_interval = "0s"'))
        assert wait_for(lambda: "config reloaded" in (p.root / "daemon.log").read_text(), 5)
        (p.root / "more.jsonl").write_text("\n".join(
            json.dumps({"url": f"https://a.example/{i}", "title": f"S{i}", "text": "Body."})
            for i in range(4, 8)))
        assert p.run("queue", "import", "more.jsonl").code == 0
        assert wait_for(lambda: len(times(tg)) == 8, 10)
        fast = times(tg)[4:]
        assert (fast[-1] - fast[0]).total_seconds() < 1.9
        assert p.run("status", "--json").json()["config_refused"] is None
        assert not (p.root / "var" / "outbox" / "xa.jsonl").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=15)
        log.close()
    assert code == 0
    assert "crosspost stopped" in (p.root / "daemon.log").read_text()
    assert os.path.exists(tg)
