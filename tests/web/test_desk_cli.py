"""``crosspost web hash-password`` as a subprocess, and the wheel carrying the desk's files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bot.config.settings import WebUser
from bot.web.auth import check_password
from tests.api.conftest import crosspost_env

ROOT = Path(__file__).resolve().parents[2]


def hash_cli(stdin: str) -> subprocess.CompletedProcess[str]:
    """Run ``crosspost web hash-password --stdin`` with ``stdin``."""
    return subprocess.run([sys.executable, "-m", "bot", "web", "hash-password", "--stdin"],
                          input=stdin, capture_output=True, text=True, env=crosspost_env(),
                          timeout=60, check=False)


def test_hash_password_makes_a_hash_that_signs_in() -> None:
    """The printed hash is argon2id, valid in config, and checks the password it was made from
    (and no other); the password itself is not printed."""
    done = hash_cli("a long passphrase\n")
    assert done.returncode == 0, done.stderr
    digest = done.stdout.strip()
    assert digest.startswith("$argon2id$") and "a long passphrase" not in done.stdout
    users = [WebUser(name="erin", password_hash=digest, role="editor")]
    assert check_password(users, "erin", "a long passphrase") is not None
    assert check_password(users, "erin", "a long passphrasE") is None


def test_hash_password_refuses_an_empty_or_short_password() -> None:
    """An empty or short password is bad input: exit 2 with the reason, no hash."""
    for given, reason in (("\n", "empty"), ("short\n", "shorter than 8")):
        done = hash_cli(given)
        assert done.returncode == 2
        assert reason in done.stderr and done.stdout == ""


@pytest.mark.slow
def test_the_wheel_ships_templates_and_static_files(tmp_path: Path) -> None:
    """A non-editable install gets the desk's templates, stylesheet and script."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True,
                   timeout=300)
    (wheel,) = tmp_path.glob("crosspost-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"bot/web/templates/{p.name}" for p in (ROOT / "bot/web/templates").glob("*")}
    assert templates and templates <= names
    assert {"bot/web/static/desk.css", "bot/web/static/desk.js"} <= names


def test_queue_show_names_who_acted_from_the_desk(tmp_path: Path) -> None:
    """``queue show`` (text and JSON) lists what people did, from the desk or the CLI, with
    their names and doors."""
    from datetime import UTC, datetime

    from bot.store.db import make_engine
    from bot.store.desk import StaffNote, write_note
    from tests.core.cli_helpers import make_project

    project = make_project(tmp_path / "proj")
    (project.root / "body.txt").write_text("The council met. It passed a budget.", encoding="utf-8")
    added = project.run("queue", "add", "https://city.example/b", "--title", "Budget",
                        "--body-file", "body.txt", extra_env={"LOGNAME": "sam", "USER": "sam"})
    assert added.code == 0, added.err
    shown = project.run("queue", "show", "1", "--json").json()
    first = shown["deliveries"][0]
    assert [(a["actor"], a["action"]) for a in first["staff_actions"]] == [("cli:sam", "queued")]
    assert shown["staff_actions"] == []
    engine = make_engine(f"sqlite:///{project.root / 'var' / 'crosspost.db'}")
    try:
        with engine.begin() as conn:
            write_note(conn, 1, [first["id"]], StaffNote("erin", "edited text", "New words."),
                       datetime(2026, 3, 1, 9, tzinfo=UTC))
    finally:
        engine.dispose()
    shown = project.run("queue", "show", "1", "--json").json()
    assert shown["deliveries"][0]["staff_actions"][1:] == [{
        "at": "2026-03-01T09:00:00+00:00", "actor": "erin", "action": "edited text",
        "detail": "New words."}]
    assert [a["action"] for a in shown["deliveries"][1]["staff_actions"]] == ["queued"]
    text = project.run("queue", "show", "1").out
    assert "edited text by erin" in text
