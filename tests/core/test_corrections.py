"""Editing, taking down and confirming stored stories, as every door does it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.daemon.runtime import Runtime as App
from bot.domain.errors import InputError, NotFoundError
from bot.domain.models import ArticleDraft, DeliveryState, PublishReceipt
from bot.domain.ports import ManualClock
from bot.domain.revisions import RevisionKind, RevisionState, StoryChange
from bot.intake.corrections import Corrections
from bot.store.revisions import RevisionStore
from bot.wiring import build_app
from tests.conftest import make_settings

S = DeliveryState
K = RevisionKind


@pytest.fixture
def app(tmp_path: Path) -> App:
    """A dry-run app: Telegram target replies to edits, X edits."""
    settings = make_settings(tmp_path, targets=[
        {"name": "tg", "platform": "telegram", "chat": "@news", "on_edit": "reply",
         "correction_template": "Fixed: {title}"},
        {"name": "xa", "platform": "x"},
    ])
    return build_app(settings, clock=ManualClock())


def corrections(app: App) -> Corrections:
    """The corrections of ``app``."""
    return Corrections(intake=app.intake, revisions=RevisionStore(engine=app.engine),
                       clock=app.clock)


def add(app: App) -> int:
    """Queue one story."""
    draft = ArticleDraft(url="https://news.example/a", title="Bridge opens",
                         text="The bridge opened today. Traffic is light.")
    return app.intake.add(draft).article_id


def test_edit_of_a_story_never_sent_changes_only_its_text(app: App) -> None:
    """The new text is composed into every delivery; state, plan and attempts stay."""
    article_id = add(app)
    app.planner.replan()
    _, before = app.queue.get_article(article_id)
    made = corrections(app).edit(article_id, StoryChange(text="The bridge opened at noon today."))
    assert {(r.kind, r.state) for r in made} == {(K.RECORD, RevisionState.DONE)}
    _, after = app.queue.get_article(article_id)
    for old, new in zip(before, after, strict=True):
        assert "noon" in new.parts[0] and "noon" not in old.parts[0]
        assert (new.state, new.planned_at, new.attempts) == (old.state, old.planned_at, old.attempts)


def test_edit_of_published_posts_makes_corrections(app: App) -> None:
    """Published: Telegram gets a correction reply from its template; X, whose post shows no
    title, reads the same and is only recorded; a new text is an X edit."""
    article_id = add(app)
    _, found = app.queue.get_article(article_id)
    now = app.clock.now()
    app.queue.set_plans([(d.id, now, "now") for d in found])
    for d in found:
        assert app.queue.claim(d.id, "a", now)
        app.queue.finish(d.id, "a", state=S.PUBLISHED, now=now, outcome="published",
                         receipt=PublishReceipt(("1",)))
    made = corrections(app).edit(article_id, StoryChange(title="Bridge opens at noon"))
    assert [(r.target, r.kind, r.parts[0][:27]) for r in made] == [
        ("tg", K.REPLY, "Fixed: Bridge opens at noon"), ("xa", K.RECORD, made[1].parts[0][:27])]
    assert made[1].outcome == "recorded: the post reads the same"
    made = corrections(app).edit(article_id, StoryChange(text="It opened at noon."))
    assert [(r.target, r.kind) for r in made] == [("tg", K.REPLY), ("xa", K.EDIT)]
    assert "noon" in made[1].parts[0]


def test_bad_edits_are_refused(app: App) -> None:
    """No change, an empty title or a bad image URL are refused; an unknown story is not found;
    a confirmation is refused a post id with "not posted", a link that is not http(s), and a
    post id that is not the post's number (a link pasted there is pointed to the permalink)."""
    article_id = add(app)
    fix = corrections(app)
    with pytest.raises(InputError, match="nothing to change"):
        fix.edit(article_id, StoryChange())
    with pytest.raises(InputError, match="title is empty"):
        fix.edit(article_id, StoryChange(title="  "))
    with pytest.raises(InputError, match="image_url"):
        fix.edit(article_id, StoryChange(image_url="ftp://x"))
    with pytest.raises(NotFoundError):
        fix.edit(999, StoryChange(title="x"))
    with pytest.raises(InputError, match="not-posted"):
        fix.confirm(article_id, "tg", post_id="1", not_posted=True, requested_by="ed")
    with pytest.raises(InputError, match="permalink: not an http"):
        fix.confirm(article_id, "tg", permalink="javascript:alert(1)", requested_by="ed")
    with pytest.raises(InputError, match=r"post id: 'https://t\.me/news/5' is a link"):
        fix.confirm(article_id, "tg", post_id="https://t.me/news/5", requested_by="ed")
    for bad in ("5a", "x" * 300, "-5", "1" * 21, "٥"):
        with pytest.raises(InputError, match="post id: the post's number on the platform"):
            fix.confirm(article_id, "tg", post_id=bad, requested_by="ed")
