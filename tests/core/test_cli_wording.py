"""What staff read: plans at queueing time, expirations, status with a broken config, and the
small wording of queue, targets and logs, through the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.core.cli_helpers import CONFIG, Project, make_project

ROOT = Path(__file__).resolve().parents[2]


def rare_config() -> str:
    """tg posts at once; xa only at one slot six hours from now, with a one-hour max_age."""
    slot = (datetime.now(UTC) + timedelta(hours=6)).strftime("%H:%M")
    return (CONFIG.replace('platform = "x"', 'platform = "x"\nschedule = "rare"')
            + f'[schedules.rare]\ntimezone = "UTC"\nslots = ["{slot}"]\nmax_age = "1h"\n')


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A dry-run project whose X target cannot post a story before it is too old."""
    p = make_project(tmp_path, rare_config())
    (p.root / "body.txt").write_text("The bridge reopened on Monday. Traffic is back to normal.")
    return p


def add(p: Project, slug: str, *extra: str) -> subprocess.CompletedProcess[str] | object:
    """queue add a story with the shared body."""
    return p.run("queue", "add", f"https://a.example/{slug}", "--title", slug.title(),
                 "--body-file", "body.txt", *extra)


def test_queue_add_says_when_each_target_posts_or_that_it_expires(project: Project) -> None:
    """At queueing time staff see each target's planned time, or that it will not post and why;
    stdout stays the id alone for scripts, and status counts the expiry of the last 24 hours."""
    r = add(project, "night")
    assert r.code == 0 and r.out.strip() == "1", r  # type: ignore[attr-defined]
    assert "tg: posts " in r.err  # type: ignore[attr-defined]
    assert "xa: will not post: expired (" in r.err and "max_age" in r.err  # type: ignore[attr-defined]
    shown = project.run("queue", "show", "1", "--json").json()
    outlook = {d["target"]: d["outlook"] for d in shown["deliveries"]}
    assert outlook["xa"].startswith("will not post: expired") and outlook["tg"].startswith("posts ")
    status = project.run("status", "--json").json()
    assert status["expired_24h"] == {"xa": 1}
    assert any("1 story expired in the last 24 hours" in p for p in status["problems"])
    assert "problems: none" not in project.run("status").out


def test_status_still_reports_while_the_config_file_is_broken(project: Project) -> None:
    """With the config on disk broken, status reports from the database, naming the broken key
    first (and exits 2 so scripts notice), instead of printing only the config error."""
    add(project, "one")
    good = project.config.read_text()
    project.config.write_text(good.replace('timezone = "Europe/Kyiv"', 'timezone = "Mars/Base"'))
    r = project.run("status", "--json")
    assert r.code == 2
    data = json.loads(r.out)
    assert data["totals"] and "timezone" in data["config_error"]
    assert data["problems"][0].startswith("the config file is broken (") and "timezone" in data["problems"][0]
    text = project.run("status")
    assert "totals: " in text.out and "Mars/Base" in text.out


def test_queue_list_shows_published_time_and_says_what_is_empty(project: Project) -> None:
    """list shows when a delivery was published; an empty --state filter says so, not
    "queue is empty"."""
    add(project, "pub", "--targets", "tg")
    assert project.run("run", "--once").code == 0
    listed = project.run("queue", "list").out
    line = next(x for x in listed.splitlines() if x.strip().startswith("tg"))
    assert "published" in line and datetime.now(UTC).strftime("%Y-%m-%d") in line
    empty = project.run("queue", "list", "--state", "pending")
    assert empty.out.strip() == "no story has a pending delivery"


def test_cancel_twice_and_retry_of_a_published_story_say_why_nothing_moved(project: Project) -> None:
    """A second cancel, and a retry of what was published, name the states that kept them."""
    add(project, "c", "--targets", "tg")
    assert "cancelled 1 delivery" in project.run("queue", "cancel", "1").out
    again = project.run("queue", "cancel", "1").out
    assert again.strip() == "nothing to cancel: story 1 has no delivery waiting (tg cancelled)"
    add(project, "p", "--targets", "tg")
    project.run("run", "--once")
    retried = project.run("queue", "retry", "2").out
    assert retried.startswith("nothing to retry:") and "(tg published)" in retried


def test_targets_resume_says_when_a_target_was_not_paused(project: Project) -> None:
    """resume of a target that was not paused says so; a paused one names what it was."""
    assert project.run("targets", "resume", "tg").out.strip() == \
        "target tg was not paused; nothing to resume"
    from bot.store.db import make_engine
    from bot.store.state import StateStore

    engine = make_engine(f"sqlite:///{project.root / 'var' / 'crosspost.db'}")
    StateStore(engine=engine).pause("tg", "target paused: Unauthorized", datetime.now(UTC))
    engine.dispose()
    status = project.run("status", "--json").json()
    assert "target tg: paused: Unauthorized (fix it" in status["problems"][0]
    assert project.run("targets", "resume", "tg").out.strip() == \
        "target tg resumed (was paused: Unauthorized)"


def test_times_read_the_same_in_every_command(project: Project) -> None:
    """config check and queue show both print local times with the zone's name (EET/EEST),
    never a bare offset such as UTC+02:00."""
    add(project, "t", "--targets", "tg")
    check = project.run("config", "check").out
    shown = project.run("queue", "show", "1").out
    for out in (check, shown):
        assert "UTC+0" not in out
    assert " EET" in check or " EEST" in check


def test_only_run_logs_info_lines(project: Project) -> None:
    """queue add prints no INFO log lines (run does; -v shows debug logs everywhere)."""
    quiet = add(project, "q")
    assert " INFO " not in quiet.err  # type: ignore[attr-defined]
    loud = project.run("-v", "queue", "add", "https://a.example/v", "--title", "V",
                       "--body-file", "body.txt")
    assert " INFO " in loud.err or " DEBUG " in loud.err


def test_first_scripts_run_says_it_is_installing(tmp_path: Path) -> None:
    """scripts/bootstrap (used by scripts/run and scripts/test) says what it is doing on the
    first run instead of staying silent while pip works."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "bootstrap", tmp_path / "scripts" / "bootstrap")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    stub = tmp_path / ".venv" / "bin" / "python"
    stub.parent.mkdir(parents=True)
    stub.write_text("#!/bin/sh\nexit 0\n")  # stands in for pip: nothing is really installed
    stub.chmod(0o755)
    done = subprocess.run(["bash", str(tmp_path / "scripts" / "bootstrap")], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHON": "python3"})
    assert done.returncode == 0, done.stderr
    assert "installing crosspost and its dependencies" in done.stderr
    again = subprocess.run(["bash", str(tmp_path / "scripts" / "bootstrap")], capture_output=True,
                           text=True, timeout=60)
    assert again.stderr == ""  # nothing to do, nothing said
