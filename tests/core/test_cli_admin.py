"""Config errors, secrets, help and status through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.core.cli_helpers import CONFIG, make_project

SECRET = "987654:TOPSECRETTOKENVALUE"


def test_config_error_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    """A bad key exits 2 with one clear line naming the file and key, no traceback."""
    p = make_project(tmp_path, CONFIG.replace('platform = "x"', 'platform = "twitter"'))
    r = p.run("status")
    assert r.code == 2
    assert str(p.config) in r.err and "targets[1].platform" in r.err
    assert "Traceback" not in r.err


def test_live_target_without_token_says_what_to_set(tmp_path: Path) -> None:
    """A live Telegram target without a token names the variable to set, or dry_run."""
    p = make_project(tmp_path, CONFIG.replace("dry_run = true", "dry_run = false"))
    r = p.run("config", "check")
    assert r.code == 2
    assert "CROSSPOST_TELEGRAM__BOT_TOKEN" in r.err and "dry_run" in r.err


def test_secrets_never_appear_in_output(tmp_path: Path) -> None:
    """With tokens set, no command's output or logs (text or JSON, verbose) shows them."""
    p = make_project(tmp_path)
    env = {"CROSSPOST_TELEGRAM__BOT_TOKEN": SECRET, "CROSSPOST_X__API_SECRET": SECRET,
           "CROSSPOST_API__TOKEN": SECRET}
    (p.root / "b.txt").write_text("Text.")
    runs = [
        p.run("-v", "queue", "add", "https://a.example/s", "--title", "S", "--body-file",
              "b.txt", extra_env=env),
        p.run("-v", "--log-format", "json", "run", "--once", extra_env=env),
        p.run("status", "--json", extra_env=env),
        p.run("config", "check", "--json", extra_env=env),
        p.run("-v", "queue", "show", "1", "--json", extra_env=env),
    ]
    for r in runs:
        assert r.code == 0, r.err
        assert SECRET not in r.out and SECRET not in r.err
    outbox = (p.root / "var" / "outbox" / "tg.jsonl").read_text()
    assert SECRET not in outbox


@pytest.mark.parametrize("command", [
    [], ["queue"], ["queue", "add"], ["queue", "import"], ["queue", "list"], ["queue", "show"],
    ["queue", "cancel"], ["queue", "retry"], ["run"], ["status"], ["config", "check"],
    ["db", "upgrade"], ["preview"], ["targets", "resume"], ["web"], ["web", "hash-password"],
])
def test_every_command_has_help(tmp_path: Path, command: list[str]) -> None:
    """--help works on every command and exits 0."""
    p = make_project(tmp_path)
    r = p.run(*command, "--help")
    assert r.code == 0, r.err
    assert "Usage:" in r.out


def test_config_check_lists_next_slots_in_local_time(tmp_path: Path) -> None:
    """config check prints each target's next 10 slots in the configured timezone."""
    cfg = CONFIG + '\n[schedules.day]\nslots = ["09:00", "18:00"]\n'
    cfg = cfg.replace('name = "xa"\nplatform = "x"', 'name = "xa"\nplatform = "x"\nschedule = "day"')
    p = make_project(tmp_path, cfg)
    r = p.run("config", "check", "--json")
    assert r.code == 0, r.err
    data = r.json()
    xa = next(t for t in data["targets"] if t["target"] == "xa")
    assert len(xa["next_slots"]) == 10
    assert all(s[11:16] in ("09:00", "18:00") for s in xa["next_slots"])
    assert all(s.endswith(("+02:00", "+03:00")) for s in xa["next_slots"])


def test_db_upgrade_on_empty_and_existing(tmp_path: Path) -> None:
    """db upgrade creates the schema on an empty database and is a no-op afterwards."""
    p = make_project(tmp_path)
    first = p.run("db", "upgrade")
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.store.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert first.code == 0 and f"revision {head}" in first.out and "was None" in first.out
    second = p.run("db", "upgrade")
    assert second.code == 0 and "was" not in second.out


def test_json_logs_carry_article_and_target(tmp_path: Path) -> None:
    """--log-format json logs every state change as JSON with article and target."""
    p = make_project(tmp_path)
    (p.root / "b.txt").write_text("Text.")
    p.run("queue", "add", "https://a.example/j", "--title", "J", "--body-file", "b.txt")
    r = p.run("--log-format", "json", "run", "--once")
    events = [json.loads(line) for line in r.err.splitlines() if line.startswith("{")]
    changes = [e for e in events if e["event"] in ("sending", "published")]
    assert len(changes) == 4
    assert all(e["article"] == 1 and e["target"] in ("tg", "xa") for e in changes)


def test_preview_counts_each_part_against_its_limit(tmp_path: Path) -> None:
    """preview shows each target's parts with weighted (X) or UTF-16 (Telegram) length and
    limit, for a file and for a queued story alike."""
    p = make_project(tmp_path)
    body = ("Rescuers reached the village after the storm on Tuesday. Power is back in most "
            "homes, officials said. Schools reopen next week.")
    (p.root / "b.txt").write_text(body)
    r = p.run("preview", "--file", "b.txt", "--title", "Storm <update> & help",
              "--url", "https://a.example/storm", "--json")
    assert r.code == 0, r.err
    data = r.json()
    by_target = {t["target"]: t for t in data["targets"]}
    x_part = by_target["xa"]["parts"][0]
    assert x_part["unit"] == "weighted" and x_part["limit"] == 280
    assert 0 < x_part["length"] <= 280 and "https://a.example/storm" in x_part["text"]
    tg_part = by_target["tg"]["parts"][0]
    assert tg_part["unit"] == "utf16" and tg_part["limit"] == 4096
    assert "&lt;update&gt; &amp; help" in tg_part["text"]
    p.run("queue", "add", "https://a.example/storm", "--title", "Storm", "--body-file", "b.txt")
    queued = p.run("preview", "1", "--target", "xa")
    assert queued.code == 0 and "/280 weighted" in queued.out
    assert p.run("preview").code == 2


def test_targets_resume_unpauses(tmp_path: Path) -> None:
    """targets resume clears a pause; an unknown target is a usage error."""
    p = make_project(tmp_path)
    assert p.run("targets", "resume", "tg").code == 0
    bad = p.run("targets", "resume", "nope")
    assert bad.code == 2 and "unknown target" in bad.err


def test_status_names_sends_left_by_a_stopped_process(tmp_path: Path) -> None:
    """A delivery left `sending` with no publisher running shows up as a problem in status."""
    from datetime import UTC, datetime

    from bot.store.db import make_engine
    from bot.store.queue import QueueStore

    p = make_project(tmp_path)
    (p.root / "b.txt").write_text("Text.")
    p.run("queue", "add", "https://a.example/s", "--title", "S", "--body-file", "b.txt",
          "--targets", "tg")
    engine = make_engine(f"sqlite:///{p.root}/var/crosspost.db")
    store = QueueStore(engine=engine)
    (d,) = store.get_article(1)[1]
    assert store.claim(d.id, "dead-attempt", datetime.now(UTC))
    engine.dispose()
    status = p.run("status", "--json").json()
    assert status["publisher_running"] is False
    assert any("left `sending`" in line for line in status["problems"])


def test_config_check_warns_of_targets_sharing_a_chat_or_account(tmp_path: Path) -> None:
    """Two live targets on one Telegram chat, or two on the one X account, are warned about."""
    cfg = CONFIG.replace("dry_run = true", "dry_run = false") + (
        '[[targets]]\nname = "tg2"\nplatform = "telegram"\nchat = "@NEWS"\n'
        '[[targets]]\nname = "xb"\nplatform = "x"\n')
    p = make_project(tmp_path, cfg)
    env = {"CROSSPOST_TELEGRAM__BOT_TOKEN": "1:x", "CROSSPOST_X__API_KEY": "k",
           "CROSSPOST_X__API_SECRET": "s", "CROSSPOST_X__ACCESS_TOKEN": "t",
           "CROSSPOST_X__ACCESS_TOKEN_SECRET": "u"}
    r = p.run("config", "check", extra_env=env)
    assert r.code == 0, r.err
    assert "tg, tg2 all post to Telegram chat @news" in r.out
    assert "xa, xb all post to the one [x] account" in r.out
