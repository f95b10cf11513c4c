"""The staff actions (who did what to a story) are noted by the core operations every door goes
through: once per delivery changed, naming the actor with their door; a refused operation notes
nothing. In process, and through the real CLI (``queue approve``, ``queue show``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.daemon.runtime import Runtime as App
from bot.domain.errors import ConflictError, InputError, NotFoundError
from bot.domain.models import ArticleDraft, DeliveryState
from bot.domain.ports import ManualClock
from bot.domain.revisions import StoryChange
from bot.intake.review import staff_actor
from bot.store.desk import DeskStore
from bot.wiring import build_app
from tests.conftest import make_settings
from tests.core.cli_helpers import CONFIG, Project, make_project

S = DeliveryState
TEXT = "The harbour reopened on Monday after the storm. Ferries run again from Tuesday."
APPROVAL = [{"name": "tg", "platform": "telegram", "chat": "@news", "approval": True},
            {"name": "xa", "platform": "x"}]
SAM = {"LOGNAME": "sam", "USER": "sam"}


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Iterator[App]:
    """An app whose Telegram target needs approval, on a manual clock (SQLite, then
    PostgreSQL)."""
    built = build_app(make_settings(tmp_path, targets=APPROVAL, database_url=db_url),
                      clock=ManualClock())
    yield built
    built.dispose()


def story(app: App, n: int = 1, by: str | None = None) -> int:
    """Queue a story (waiting for approval on tg); its id."""
    return app.intake.add(ArticleDraft(url=f"https://news.example.com/{n}",
                                       title=f"Harbour reopens {n}", text=TEXT), by=by).article_id


def ids(app: App, article_id: int) -> dict[str, int]:
    """Each target's delivery id."""
    return {d.target: d.id for d in app.queue.get_article(article_id)[1]}


def noted(app: App, article_id: int) -> list[tuple[str, str, int | None, str | None]]:
    """The story's staff actions: actor, action, delivery, detail."""
    return [(a.actor, a.action, a.delivery_id, a.detail)
            for a in DeskStore(engine=app.engine).actions(article_id)]


def test_the_actor_names_the_door() -> None:
    """A bare name gets its door; a name that already says it stays; no name is the door."""
    assert staff_actor("erin", "web") == "web:erin"
    assert staff_actor("cli:sam", "cli") == "cli:sam"
    assert staff_actor("Ann (@ann, telegram:111)", "telegram") == "Ann (@ann, telegram:111)"
    assert staff_actor(" ", "api") == "api"


def test_each_decision_is_noted_once_with_its_door(app: App) -> None:
    """Approve, reject (with its reason), an approval with edited text and a given reason each
    note one action on the delivery they decided, naming the editor and the door; the delivery
    that did not wait gets nothing."""
    first, second, third = story(app, 1), story(app, 2), story(app, 3)
    app.review.approve(first, by="dana", via="api")
    app.review.reject(second, by="cli:sam", via="cli", reason="no second source")
    app.review.approve(third, by="Ann (@ann, telegram:1)", via="telegram", target="tg",
                       text="Harbour reopens. https://news.example.com/3")
    assert noted(app, first) == [("api:dana", "approved", ids(app, first)["tg"], None)]
    assert noted(app, second) == [("cli:sam", "rejected", ids(app, second)["tg"],
                                   "no second source")]
    assert noted(app, third) == [("Ann (@ann, telegram:1)", "approved with edited text",
                                  ids(app, third)["tg"], None)]
    app.review.give_reason(second, by="cli:sam", via="cli", targets=["tg"],
                           was="no second source", reason="libel risk")
    assert noted(app, second)[1:] == [("cli:sam", "gave the reason", ids(app, second)["tg"],
                                       "libel risk")]


def test_queue_and_correction_operations_note_who_asked(app: App) -> None:
    """Queueing, cancel, retry, edit, confirm and takedown note ``by`` / ``requested_by`` on
    each delivery they changed, with the detail (what changed, the post id, the reason)."""
    article_id = story(app, by="api")
    tg, xa = ids(app, article_id)["tg"], ids(app, article_id)["xa"]
    assert app.intake.cancel(article_id, by="telegram:7") == 2
    assert app.intake.retry(article_id, by="web:erin") == 2
    app.corrections.edit(article_id, StoryChange(title="Harbour reopens at nine",
                                                 requested_by="cli:sam"))
    app.queue.set_state(article_id, from_states=[S.PENDING], to=S.NEEDS_REVIEW,
                        now=app.clock.now(), targets=["xa"])
    app.corrections.confirm(article_id, "xa", post_id="55", requested_by="api")
    app.corrections.takedown(article_id, reason="legal", requested_by="telegram:7")
    assert noted(app, article_id) == [
        ("api", "queued", tg, None), ("api", "queued", xa, None),
        ("telegram:7", "cancelled", tg, None), ("telegram:7", "cancelled", xa, None),
        ("web:erin", "retried", tg, None), ("web:erin", "retried", xa, None),
        ("cli:sam", "edited story", tg, "changed title"),
        ("cli:sam", "edited story", xa, "changed title"),
        ("api", "confirmed posted", xa, "55"),
        ("telegram:7", "took down", tg, "legal"), ("telegram:7", "took down", xa, "legal")]


def test_what_no_person_did_is_not_noted(app: App) -> None:
    """A story queued without ``by`` (feeds, imports) and a feed's ``follow_edits`` edit are
    not staff actions."""
    article_id = story(app)
    app.corrections.edit(article_id, StoryChange(title="Harbour reopens (wire)",
                                                 requested_by="feed"), staff=False)
    assert noted(app, article_id) == []


def test_a_refused_operation_notes_nothing(app: App) -> None:
    """Every refusal (nothing waits, a decision already made, a bad target or reason, nothing to
    change, not needs_review, a bad permalink, nothing to cancel or retry, no such story, a
    reason already given) leaves the staff actions as they were."""
    article_id = story(app)
    app.review.approve(article_id, by="dana", via="api")
    before = noted(app, article_id)
    refusals: list[tuple[type[Exception], Any]] = [
        (ConflictError, lambda: app.review.approve(article_id, by="bob", via="web")),
        (ConflictError, lambda: app.review.reject(article_id, by="bob", via="web")),
        (InputError, lambda: app.review.reject(article_id, by="bob", via="web", target="zz")),
        (ConflictError, lambda: app.review.give_reason(article_id, by="bob", via="web",
                                                       targets=["tg"], was="x", reason="y")),
        (InputError, lambda: app.corrections.edit(article_id, StoryChange(requested_by="api"))),
        (InputError, lambda: app.corrections.confirm(article_id, "tg", requested_by="api")),
        (NotFoundError, lambda: app.corrections.takedown(99, reason=None, requested_by="api")),
        (NotFoundError, lambda: app.intake.cancel(99, by="api")),
    ]
    for kind, call in refusals:
        with pytest.raises(kind):
            call()
    waits = story(app, 2)
    with pytest.raises(InputError):
        app.review.reject(waits, by="bob", via="web", reason="x" * 1001)
    app.queue.set_state(article_id, from_states=[S.PENDING], to=S.NEEDS_REVIEW,
                        now=app.clock.now())
    with pytest.raises(InputError, match="permalink"):
        app.corrections.confirm(article_id, "tg", permalink="javascript:alert(1)",
                                requested_by="api")
    assert noted(app, article_id) == before and noted(app, waits) == []
    app.queue.set_state(article_id, from_states=[S.NEEDS_REVIEW], to=S.PUBLISHED,
                        now=app.clock.now())
    assert app.intake.cancel(article_id, by="api") == 0
    assert app.intake.retry(article_id, by="api") == 0
    assert noted(app, article_id) == before


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A dry-run CLI project whose X target needs approval, with a story body file."""
    p = make_project(tmp_path / "proj", CONFIG + "approval = true\n")
    (p.root / "body.txt").write_text(TEXT, encoding="utf-8")
    return p


def test_a_cli_decision_is_noted_once_and_shown(project: Project) -> None:
    """``queue approve`` notes one action naming ``cli:<login>``; a second approve is refused
    and notes nothing; ``queue show`` lists the actions (JSON: who, what, when, detail; text:
    with the reason)."""
    r = project.run("queue", "add", "https://city.example/a", "--title", "Budget",
                    "--body-file", "body.txt")
    assert r.code == 0, r.err
    assert project.run("queue", "approve", "1", extra_env=SAM).code == 0
    refused = project.run("queue", "approve", "1", extra_env=SAM)
    assert refused.code == 1 and "nothing waiting" in refused.err
    shown = project.run("queue", "show", "1", "--json").json()
    xa = shown["deliveries"][1]
    decided = [a for a in xa["staff_actions"] if a["action"] != "queued"]
    assert len(decided) == 1
    assert decided[0]["actor"] == "cli:sam" and decided[0]["action"] == "approved"
    assert decided[0]["at"] and decided[0]["detail"] is None
    assert [a["action"] for a in shown["deliveries"][0]["staff_actions"]] == ["queued"]

    r = project.run("queue", "add", "https://city.example/b", "--title", "Budget b",
                    "--body-file", "body.txt")
    assert r.code == 0, r.err
    assert project.run("queue", "reject", "2", "--reason", "no source",
                       extra_env=SAM).code == 0
    text = project.run("queue", "show", "2").out
    assert "rejected by cli:sam: no source" in text
