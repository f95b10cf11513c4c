"""queue edit, takedown and confirm, run as a subprocess on a dry-run (outbox) project."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.models import DeliveryState
from bot.publish.outbox import read_outbox
from bot.store.db import make_engine
from bot.store.queue import QueueStore
from tests.core.cli_helpers import Project, make_project

BODY = "The council approved the budget on Monday. It funds new buses and two bridges."
FIXED = "The council approved the budget on Tuesday. It funds new buses and three bridges."


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A dry-run project with one story queued (id 1) and a corrected body file."""
    p = make_project(tmp_path / "proj")
    (p.root / "body.txt").write_text(BODY, encoding="utf-8")
    (p.root / "fixed.txt").write_text(FIXED, encoding="utf-8")
    r = p.run("queue", "add", "https://city.example/budget", "--title", "Budget passes",
              "--body-file", "body.txt")
    assert r.code == 0, r.err
    return p


def test_edit_of_a_story_never_sent_changes_only_its_text(project: Project) -> None:
    """Before anything went out, an edit changes the text and nothing else (not the plan)."""
    r = project.run("queue", "add", "https://city.example/later", "--title", "Later",
                    "--body-file", "body.txt", "--not-before", "2099-01-01T09:00:00+00:00")
    assert r.code == 0 and r.out.strip() == "2", r.err
    before = project.run("queue", "show", "2", "--json").json()
    r = project.run("queue", "edit", "2", "--body-file", "fixed.txt", "--json")
    assert r.code == 0, r.err
    assert {(x["kind"], x["state"]) for x in r.json()["revisions"]} == {("record", "done")}
    after = project.run("queue", "show", "2", "--json").json()
    assert after["deliveries"][0]["planned_at"].startswith("2099-01-01T09:00")
    for old, new in zip(before["deliveries"], after["deliveries"], strict=True):
        assert "Tuesday" in new["text"] and "Tuesday" not in old["text"]
        for key in ("state", "planned_at", "attempts", "platform_post_id"):
            assert new[key] == old[key], key
        assert [x["changed"] for x in new["revisions"]] == [["text"]]
    assert after["title"] == before["title"]


def test_published_story_is_edited_then_taken_down(project: Project) -> None:
    """After publishing, edit corrects every target and takedown withdraws every delivery,
    both applied by the daemon's lanes and recorded as revisions."""
    assert project.run("run", "--once").code == 0
    r = project.run("queue", "edit", "1", "--body-file", "fixed.txt")
    assert r.code == 0 and "2 correction(s) to send" in r.out, r.out + r.err
    status = project.run("status", "--json").json()
    assert [t["corrections"] for t in status["targets"]] == [{"pending": 1}, {"pending": 1}]
    assert "corrections: pending 1" in project.run("status").out
    assert project.run("run", "--once").code == 0
    shown = project.run("queue", "show", "1", "--json").json()
    for d in shown["deliveries"]:
        (rev,) = d["revisions"]
        assert (rev["kind"], rev["state"], rev["outcome"]) == ("edit", "done", "edited 1 post(s)")
    outbox = project.root / "var" / "outbox"
    assert [x.get("action") for x in read_outbox(outbox, "tg")] == [None, "edit"]
    down = project.run("queue", "takedown", "1", "--reason", "legal request")
    assert down.code == 0 and "2 deliveries to delete" in down.out, down.out + down.err
    assert project.run("run", "--once").code == 0
    shown = project.run("queue", "show", "1", "--json").json()
    assert shown["state"] == "withdrawn"
    for d in shown["deliveries"]:
        assert d["state"] == "withdrawn"
        last = d["revisions"][-1]
        assert (last["kind"], last["reason"], last["state"]) == ("delete", "legal request", "done")
        assert last["requested_by"].startswith("cli")
    assert read_outbox(outbox, "xa")[-1]["action"] == "delete"
    text = project.run("queue", "show", "1").out
    assert "delete by cli" in text and "(legal request)" in text


def test_confirm_turns_needs_review_into_published(project: Project) -> None:
    """confirm --post-id/--permalink publishes a needs_review delivery; --not-posted resends."""
    engine = make_engine(f"sqlite:///{project.root / 'var' / 'crosspost.db'}")
    queue = QueueStore(engine=engine)
    _, (tg, xa) = queue.get_article(1)
    for d in (tg, xa):
        queue.set_plans([(d.id, d.created_at, "now")])
        assert queue.claim(d.id, "lost", d.created_at)
        queue.finish(d.id, "lost", state=DeliveryState.NEEDS_REVIEW, now=d.created_at,
                     outcome="uncertain", error="timeout", error_kind="uncertain")
    engine.dispose()
    r = project.run("queue", "confirm", "1", "--target", "tg", "--post-id", "42",
                    "--permalink", "https://t.me/news/42", "--json")
    assert r.code == 0, r.err
    tg_now = r.json()["article"]["deliveries"][0]
    assert (tg_now["state"], tg_now["platform_post_id"], tg_now["permalink"]) == (
        "published", "42", "https://t.me/news/42")
    assert tg_now["revisions"][-1]["kind"] == "confirm"
    again = project.run("queue", "confirm", "1", "--target", "xa", "--not-posted", "--json")
    assert again.code == 0 and again.json()["article"]["deliveries"][1]["state"] == "pending"
    refused = project.run("queue", "confirm", "1", "--target", "tg")
    assert refused.code == 2 and "not needs_review" in refused.err


@pytest.mark.parametrize(("args", "fragment"), [
    (["edit", "1"], "nothing to change"),
    (["edit", "1", "--title", " "], "title is empty"),
    (["edit", "1", "--body-file", "missing.txt"], "missing.txt: no such file"),
    (["edit", "9", "--title", "x"], "no story with id 9"),
    (["takedown", "9"], "no story with id 9"),
    (["confirm", "1", "--target", "nope"], "no delivery to target 'nope'"),
])
def test_bad_input_names_the_problem(project: Project, args: list[str], fragment: str) -> None:
    """Bad commands exit non-zero with one line naming what is wrong."""
    r = project.run("queue", *args)
    assert r.code != 0 and fragment in r.err, (r.code, r.err)
