"""The queue commands, run as a subprocess like staff scripts run them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.core.cli_helpers import CONFIG, Project, make_project

BODY = "The council approved the budget on Monday. It funds new buses and two bridges."


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A dry-run project with a story body file."""
    p = make_project(tmp_path / "proj")
    (p.root / "body.txt").write_text(BODY, encoding="utf-8")
    return p


def test_add_show_list_and_dedupe(project: Project) -> None:
    """add prints the id; show/list report deliveries with plans; the same URL is not re-added."""
    r = project.run("queue", "add", "https://city.example/budget?utm_source=x", "--title",
                    "Budget passes", "--body-file", "body.txt")
    assert r.code == 0, r.err
    assert r.out.strip() == "1"
    shown = project.run("queue", "show", "1", "--json").json()
    assert shown["id"] == 1 and shown["title"] == "Budget passes" and shown["state"] == "pending"
    assert {d["target"] for d in shown["deliveries"]} == {"tg", "xa"}
    for d in shown["deliveries"]:
        assert set(d) >= {"target", "platform", "state", "planned_at", "text", "attempts",
                          "error", "platform_post_id", "permalink"}
        assert d["planned_at"] is not None and d["text"]
    again = project.run("queue", "add", "https://www.city.example/budget/", "--title", "X",
                        "--body-file", "body.txt", "--json")
    assert again.code == 0
    assert again.json()["id"] == 1 and again.json()["created"] is False
    listed = project.run("queue", "list", "--json").json()
    assert [a["id"] for a in listed] == [1]
    text = project.run("queue", "list").out
    assert "Budget passes" in text and "pending" in text


def test_add_with_overrides(project: Project) -> None:
    """--targets, --priority and --not-before shape the story's deliveries and plan."""
    r = project.run("queue", "add", "https://city.example/later", "--title", "Later",
                    "--body-file", "body.txt", "--targets", "xa", "--priority", "breaking",
                    "--not-before", "2099-01-01T09:00:00+02:00", "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["priority"] == "breaking"
    assert [d["target"] for d in data["deliveries"]] == ["xa"]
    assert data["deliveries"][0]["planned_at"].startswith("2099-01-01T07:00")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["queue", "add", "ftp://x", "--title", "T", "--body-file", "body.txt"], "http(s) URL"),
        (["queue", "add", "https://a.example/1", "--body-file", "body.txt", "--title", " "],
         "title is empty"),
        (["queue", "add", "https://a.example/1", "--title", "T", "--body-file", "none.txt"],
         "no such file"),
        (["queue", "add", "https://a.example/1", "--title", "T", "--body-file", "body.txt",
          "--targets", "nope"], "unknown target"),
        (["queue", "add", "https://a.example/1", "--title", "T", "--body-file", "body.txt",
          "--not-before", "tomorrow"], "ISO 8601"),
        (["queue", "show", "42"], "no story with id 42"),
    ],
)
def test_bad_input_is_refused_with_reason(project: Project, args: list[str],
                                          fragment: str) -> None:
    """Bad stories and arguments exit 2 with a one-line reason and no traceback."""
    r = project.run(*args)
    assert r.code == 2, (r.out, r.err)
    assert fragment in r.err
    assert "Traceback" not in r.err


def test_import_reports_bad_lines_and_keeps_good_ones(project: Project) -> None:
    """Bad JSONL lines are reported by number; the good ones are queued anyway."""
    lines = [
        json.dumps({"url": "https://a.example/1", "title": "One", "text": BODY}),
        "{not json",
        json.dumps({"url": "https://a.example/2", "text": "no title"}),
        json.dumps({"url": "https://a.example/3", "title": "Three", "priority": "urgent"}),
        "",
        json.dumps({"url": "https://a.example/4", "title": "Four", "targets": ["tg"],
                    "not_before": "2030-01-01T00:00:00Z"}),
        json.dumps({"url": "https://a.example/1", "title": "One again"}),
    ]
    (project.root / "in.jsonl").write_text("\n".join(lines), encoding="utf-8")
    r = project.run("queue", "import", "in.jsonl", "--json")
    assert r.code == 1
    data = r.json()
    assert data["added"] == [1, 2] and data["existing"] == [1]
    assert [e["line"] for e in data["errors"]] == [2, 3, 4]
    assert "missing field: title" in data["errors"][1]["error"]
    assert "priority" in data["errors"][2]["error"]


def test_show_gives_a_waiting_story_its_place_in_line(project: Project) -> None:
    """Beyond the 32 planned places of a target, ``queue show`` says where a story stands in
    line (text and JSON); the oldest of forty stories queued together is 8th, and one of the
    newest shows its planned time."""
    lines = [json.dumps({"url": f"https://a.example/{i}", "title": f"Story {i}", "text": BODY,
                         "targets": ["tg"]}) for i in range(40)]
    (project.root / "in.jsonl").write_text("\n".join(lines), encoding="utf-8")
    assert project.run("queue", "import", "in.jsonl").code == 0
    r = project.run("queue", "show", "1")
    assert r.code == 0, r.err
    assert "not planned yet: waiting: 8th in line for tg (32 posts planned ahead)" in r.out
    (d,) = project.run("queue", "show", "1", "--json").json()["deliveries"]
    assert d["plan_reason"].startswith("waiting: 8th in line for tg (32 posts planned ahead)")
    assert d["outlook"].startswith("not planned yet: waiting: 8th in line")
    (newest,) = project.run("queue", "show", "40", "--json").json()["deliveries"]
    assert newest["planned_at"] is not None and "in line" not in (newest["plan_reason"] or "")


def test_cancel_and_retry(project: Project) -> None:
    """cancel stops pending deliveries; retry brings them back to pending."""
    project.run("queue", "add", "https://a.example/c", "--title", "C", "--body-file", "body.txt")
    r = project.run("queue", "cancel", "1", "--json")
    assert r.json() == {"id": 1, "cancelled": 2}
    states = {d["state"] for d in project.run("queue", "show", "1", "--json").json()["deliveries"]}
    assert states == {"cancelled"}
    assert project.run("queue", "list", "--state", "cancelled", "--json").json()[0]["id"] == 1
    assert project.run("queue", "retry", "1", "--json").json() == {"id": 1, "retried": 2}
    shown = project.run("queue", "show", "1", "--json").json()
    assert {d["state"] for d in shown["deliveries"]} == {"pending"}


def test_run_once_writes_the_outbox(project: Project) -> None:
    """run --once publishes due stories into <outbox>/<target>.jsonl with the required fields."""
    project.run("queue", "add", "https://a.example/o", "--title", "Outbox <story>",
                "--body-file", "body.txt", "--image-url", "https://a.example/i.jpg")
    r = project.run("run", "--once")
    assert r.code == 0, r.err
    for target in ("tg", "xa"):
        lines = (project.root / "var" / "outbox" / f"{target}.jsonl").read_text().splitlines()
        assert len(lines) == 1
        record = json.loads(lines[0])
        assert set(record) >= {"target", "platform", "article_id", "url", "text", "parts",
                               "image_url"}
        assert record["article_id"] == 1 and record["text"] == record["parts"][0]
    shown = project.run("queue", "show", "1", "--json").json()
    assert {d["state"] for d in shown["deliveries"]} == {"published"}
    again = project.run("run", "--once")
    assert "attempted 0" in again.out
    status = project.run("status", "--json").json()
    assert status["totals"] == {"published": 2}
    assert status["problems"] == []


def test_run_once_exits_1_when_every_send_failed(tmp_path: Path) -> None:
    """run --once whose every attempt failed (Telegram unreachable) exits 1 saying so, with the
    outage in one plain line in queue show; a run that published exits 0."""
    config = CONFIG.replace('chat = "@news"', 'chat = "@news"\ndry_run = false') + \
        '[telegram]\napi_base_url = "http://127.0.0.1:9"\ntimeout = 2\n'
    p = make_project(tmp_path, config)
    env = {"CROSSPOST_TELEGRAM__BOT_TOKEN": "123:abc"}
    (p.root / "body.txt").write_text("The bridge reopened on Monday. Traffic is back.")
    p.run("queue", "add", "https://a.example/f", "--title", "F", "--body-file", "body.txt",
          "--targets", "tg", extra_env=env)
    failed = p.run("run", "--once", extra_env=env)
    assert failed.code == 1, failed
    assert "attempted 1 delivery, published 0" in failed.out
    assert "none of the 1 attempted deliveries went out" in failed.err
    error = p.run("queue", "show", "1", "--json", extra_env=env).json()["deliveries"][0]["error"]
    assert error.endswith("Telegram not reached at 127.0.0.1:9: connection refused"), error
    p.run("queue", "add", "https://a.example/g", "--title", "G", "--body-file", "body.txt",
          "--targets", "xa", extra_env=env)
    ok = p.run("run", "--once", extra_env=env)
    assert ok.code == 0 and "published 1" in ok.out, ok
