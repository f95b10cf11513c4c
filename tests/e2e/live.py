"""A live (not dry-run) project pointed at the fake Telegram and X servers, run as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.core.cli_helpers import Project, make_project
from tests.fakes.httpbase import FakeServer
from tests.fakes.telegram_server import DEFAULT_TOKEN

LIVE = """
database_url = "{database_url}"
outbox_dir = "{{root}}/var/outbox"
dry_run = false
[telegram]
api_base_url = "{tg}"
timeout = 1
messages_per_chat_per_minute = 100000
messages_per_second = 100000
[x]
api_base_url = "{x}"
timeout = 1
[retry]
max_attempts = 50
base_delay = 0.2
max_delay = 2
{extra}
{targets}
"""

TARGETS = """
[[targets]]
name = "tg-news"
platform = "telegram"
chat = "@news"
[[targets]]
name = "tg-world"
platform = "telegram"
chat = "@world"
[[targets]]
name = "xa"
platform = "x"
"""

X_ENV = {
    "CROSSPOST_X__API_KEY": "test-consumer-key",
    "CROSSPOST_X__API_SECRET": "test-consumer-secret",
    "CROSSPOST_X__ACCESS_TOKEN": "1000-test-access-token",
    "CROSSPOST_X__ACCESS_TOKEN_SECRET": "test-access-secret",
}


def live_project(root: Path, tg: FakeServer, x: FakeServer, *, token: str = DEFAULT_TOKEN,
                 extra: str = "", database_url: str = "sqlite:///{root}/var/crosspost.db",
                 targets: str = TARGETS) -> Project:
    """A project whose targets post to the fakes for real (``extra``: more config tables;
    ``database_url`` may name ``{root}``, the project's folder)."""
    p = make_project(root, LIVE.format(tg=tg.url, x=x.url, extra=extra,
                                       database_url=database_url, targets=targets))
    p.env.update(X_ENV)
    p.env["CROSSPOST_TELEGRAM__BOT_TOKEN"] = token
    return p


def queue_stories(p: Project, n: int) -> None:
    """Queue ``n`` distinct stories with one import."""
    lines = [json.dumps({"url": f"https://city.example/story-{i}", "title": f"Story number {i}",
                         "text": f"Event {i} happened in the city today. Officials confirmed "
                                 f"detail {i} in a statement."})
             for i in range(n)]
    (p.root / "stories.jsonl").write_text("\n".join(lines))
    r = p.run("queue", "import", "stories.jsonl")
    assert r.code == 0, r.err


def start_daemon(p: Project, log_name: str = "daemon.log") -> subprocess.Popen[bytes]:
    """``crosspost run`` in the background, logging to a file in the project."""
    with (p.root / log_name).open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "bot", "--config", str(p.config), "run"],
                                cwd=p.root, env=p.env, stdout=log, stderr=subprocess.STDOUT)


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    """Poll until true or timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def deliveries(p: Project) -> list[dict[str, Any]]:
    """Every delivery of every story, with its story id."""
    stories = p.run("queue", "list", "--limit", "10000", "--json").json()
    return [d | {"article": a["id"], "url": a["url"]} for a in stories for d in a["deliveries"]]


def copies(tg: FakeServer, x: FakeServer) -> Counter[tuple[str, str]]:
    """How many times each story's post reached each chat/account (by 'Story number N')."""
    seen: Counter[tuple[str, str]] = Counter()
    for m in tg.app.state()["messages"]:  # type: ignore[attr-defined]
        seen[(f"@{m['chat_username']}", _story(m["text"]))] += 1
    for t in x.app.state()["tweets"]:  # type: ignore[attr-defined]
        if t.get("in_reply_to"):
            continue
        seen[("x", _story(t["text"]))] += 1
    return seen


def _story(text: str) -> str:
    import re

    m = re.search(r"(?:Story number|Event) (\d+)", text)
    assert m, text
    return m.group(1)
