"""``queue approve`` / ``queue reject`` and how waiting stories show in list, show and status,
run as a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.cli_helpers import CONFIG, Project, make_project

BODY = "The council approved the budget on Monday. It funds new buses and two bridges."


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A dry-run project whose X target needs approval, with a story body file."""
    p = make_project(tmp_path / "proj", CONFIG + 'approval = true\n')
    (p.root / "body.txt").write_text(BODY, encoding="utf-8")
    return p


def add(p: Project, slug: str, *extra: str) -> int:
    """Queue a story; its id."""
    r = p.run("queue", "add", f"https://city.example/{slug}", "--title", f"Budget {slug}",
              "--body-file", "body.txt", *extra)
    assert r.code == 0, r.err
    return int(r.out)


def test_waiting_stories_show_what_they_wait_for(project: Project) -> None:
    """The approval target waits (unplanned) while the other is planned; list, show and status
    say what it waits for."""
    story = add(project, "a")
    shown = project.run("queue", "show", str(story), "--json").json()
    tg, xa = shown["deliveries"]
    assert (tg["state"], xa["state"], shown["state"]) == ("pending", "awaiting_approval",
                                                          "awaiting_approval")
    assert tg["approval"] is None and xa["planned_at"] is None
    assert xa["approval"]["waits_for"] == "target xa needs approval"
    assert xa["approval"]["decision"] is None
    text = project.run("queue", "show", str(story)).out
    assert "waits for approval since" in text and f"queue approve {story} --target xa" in text
    listed = project.run("queue", "list").out
    assert "awaiting_approval" in listed and "waits for approval: target xa needs approval" in \
        listed
    waiting = project.run("queue", "list", "--state", "awaiting_approval", "--json").json()
    assert [a["id"] for a in waiting] == [story]
    status = project.run("status").out
    assert "1 delivery waits for an editor's approval" in status


def test_approve_reject_and_a_second_decision(project: Project) -> None:
    """approve plans the delivery and names the decider; a second decision exits 1 saying who
    decided; reject records the reason; --needs-approval makes every target wait."""
    first, second = add(project, "a"), add(project, "b", "--needs-approval")
    r = project.run("queue", "approve", str(first), "--json")
    assert r.code == 0, r.err
    xa = r.json()["deliveries"][1]
    assert xa["state"] == "pending" and xa["planned_at"] is not None
    assert xa["approval"]["by"].startswith("cli") and xa["approval"]["via"] == "cli"
    again = project.run("queue", "reject", str(first))
    assert again.code == 1
    assert "story 1 has nothing waiting for approval (xa: approved by cli" in again.err
    r = project.run("queue", "reject", str(second), "--target", "tg", "--reason", "wrong photo")
    assert (r.code, r.out.strip()) == (0, f"rejected story {second} on tg")
    tg = project.run("queue", "show", str(second), "--json").json()["deliveries"][0]
    assert tg["state"] == "rejected" and tg["approval"]["note"] == "wrong photo"
    assert "review: rejected by cli" in project.run("queue", "show", str(second)).out


def test_edited_text_from_a_file(project: Project) -> None:
    """--text-file replaces the composed post after the platform's checks; a text too long for
    X, or a missing --target with several waiting, is refused with exit 2."""
    story = add(project, "a", "--needs-approval")
    (project.root / "long.txt").write_text("x" * 281, encoding="utf-8")
    (project.root / "post.txt").write_text("Budget passes: buses and bridges. "
                                           "https://city.example/a\n", encoding="utf-8")
    bad = project.run("queue", "approve", str(story), "--target", "xa", "--text-file", "long.txt")
    assert bad.code == 2 and "text for xa: the text is 281 weighted characters" in bad.err
    vague = project.run("queue", "approve", str(story), "--text-file", "post.txt")
    assert vague.code == 2 and "edited text needs a target: story 1 waits on tg, xa" in vague.err
    ok = project.run("queue", "approve", str(story), "--target", "xa", "--text-file", "post.txt",
                     "--json")
    assert ok.code == 0, ok.err
    xa = ok.json()["deliveries"][1]
    assert xa["parts"] == ["Budget passes: buses and bridges. https://city.example/a"]
    assert xa["approval"]["decision"] == "edited"
    assert project.run("queue", "approve", "99").code == 2  # no such story
