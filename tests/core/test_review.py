"""Review in process: where approval applies, decisions, edited text, conflicts and timeouts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.daemon.runtime import Runtime as App
from bot.domain.approval import Decision
from bot.domain.errors import ConflictError, InputError
from bot.domain.models import ArticleDraft, DeliveryState
from bot.domain.ports import ManualClock
from bot.wiring import build_app
from tests.conftest import make_settings

S = DeliveryState
TEXT = "The harbour reopened on Monday after the storm. Ferries run again from Tuesday."


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Any]:
    """Build an app on a manual clock with extra settings; disposed after the test."""
    built: list[App] = []

    def make(**overrides: Any) -> App:
        settings = make_settings(tmp_path / str(len(built)), **overrides)
        app = build_app(settings, clock=ManualClock())
        built.append(app)
        return app

    yield make
    for app in built:
        app.dispose()


def story(n: int = 1, **extra: Any) -> ArticleDraft:
    """A story with a body (no fetching)."""
    return ArticleDraft(url=f"https://news.example.com/{n}", title=f"Harbour reopens {n}",
                        text=TEXT, **extra)


def states(app: App, article_id: int) -> dict[str, S]:
    """Each target's delivery state."""
    _, found = app.queue.get_article(article_id)
    return {d.target: d.state for d in found}


def test_where_approval_applies(make_app: Any) -> None:
    """Target flag, story flag, source kind and feed flag each make deliveries wait; the
    reason is stored; waiting deliveries are not planned."""
    app = make_app(
        targets=[{"name": "tg", "platform": "telegram", "chat": "@news", "approval": True},
                 {"name": "xa", "platform": "x"}],
        approval={"sources": ["api"]},
        feeds=[{"name": "wire", "url": "https://wire.example/feed.xml", "approval": True},
               {"name": "site", "url": "https://news.example.com/feed.xml"}],
    )
    plain = app.intake.add(story(1)).article_id
    asked = app.intake.add(story(2, needs_approval=True)).article_id
    api = app.intake.add(story(3, source="api")).article_id
    wire = app.intake.add(story(4, source="wire")).article_id
    site = app.intake.add(story(5, source="site")).article_id
    waiting, pending = S.AWAITING_APPROVAL, S.PENDING
    assert states(app, plain) == {"tg": waiting, "xa": pending}
    assert states(app, asked) == states(app, api) == states(app, wire) == {"tg": waiting,
                                                                           "xa": waiting}
    assert states(app, site) == {"tg": waiting, "xa": pending}
    _, (tg, xa) = app.queue.get_article(wire)
    assert tg.approval is not None and xa.approval is not None
    assert tg.approval.waits_for == "feed wire needs approval; target tg needs approval"
    assert xa.approval.waits_for == "feed wire needs approval"
    assert tg.planned_at is None
    _, (_, plain_xa) = app.queue.get_article(plain)
    assert plain_xa.planned_at is not None and plain_xa.approval is None


def test_approve_plans_from_that_moment(make_app: Any) -> None:
    """An approved delivery becomes pending and is planned at once by its schedule."""
    app = make_app(approval={"sources": ["cli"]})
    article_id = app.intake.add(story()).article_id
    app.clock.advance(3600)
    decided = app.review.approve(article_id, by="cli:ann", via="cli", target="xa")
    assert (decided.decision, decided.targets) == (Decision.APPROVED, ["xa"])
    _, (tg, xa) = app.queue.get_article(article_id)
    assert tg.state is S.AWAITING_APPROVAL
    assert xa.state is S.PENDING and xa.planned_at == app.clock.now()
    assert xa.approval is not None and (xa.approval.by, xa.approval.via) == ("cli:ann", "cli")
    app.review.approve(article_id, by="api client", via="api")
    assert states(app, article_id) == {"tg": S.PENDING, "xa": S.PENDING}


def test_a_second_decision_is_refused_with_who_was_first(make_app: Any) -> None:
    """Deciding what was already decided raises ConflictError naming the first decision."""
    app = make_app(approval={"sources": ["cli"]})
    article_id = app.intake.add(story()).article_id
    app.review.reject(article_id, by="cli:ann", via="cli", reason="  not  ours ")
    with pytest.raises(ConflictError, match=r"tg: rejected by cli:ann via cli: not ours"):
        app.review.approve(article_id, by="cli:bob", via="cli")
    with pytest.raises(InputError, match=r"no delivery to target 'nope' \(its targets: tg, xa\)"):
        app.review.approve(article_id, by="cli:bob", via="cli", target="nope")
    _, found = app.queue.get_article(article_id)
    assert {d.last_error for d in found} == {"rejected by cli:ann: not ours"}


def test_edited_text_is_checked_and_replaces_one_target(make_app: Any) -> None:
    """Edited text needs one target, is checked for that platform, and replaces its post."""
    app = make_app(approval={"sources": ["cli"]})
    article_id = app.intake.add(story()).article_id
    with pytest.raises(InputError, match="edited text needs a target: story 1 waits on tg, xa"):
        app.review.approve(article_id, by="cli:ann", via="cli", text="Short")
    with pytest.raises(InputError, match="text for xa: the text is 300 weighted"):
        app.review.approve(article_id, by="cli:ann", via="cli", target="xa", text="x" * 300)
    with pytest.raises(InputError, match="text for tg: the text is not valid Telegram HTML"):
        app.review.approve(article_id, by="cli:ann", via="cli", target="tg", text="<p>Hi</p>")
    done = app.review.approve(article_id, by="cli:ann", via="cli", target="tg",
                              text="<b>Harbour</b> open again https://news.example.com/1")
    assert done.decision is Decision.EDITED
    _, (tg, xa) = app.queue.get_article(article_id)
    assert tg.parts == ("<b>Harbour</b> open again https://news.example.com/1",)
    assert tg.state is S.PENDING and xa.state is S.AWAITING_APPROVAL


def test_timeout_expires_or_approves(make_app: Any) -> None:
    """After ``[approval] timeout`` a waiting delivery expires (default) or is approved."""
    for on_timeout, expected in (("expire", S.EXPIRED), ("approve", S.PENDING)):
        app = make_app(approval={"sources": ["cli"], "timeout": "6h", "on_timeout": on_timeout})
        article_id = app.intake.add(story()).article_id
        app.clock.advance(6 * 3600 - 1)
        assert app.review.settle_timeouts() == []
        app.clock.advance(1)
        assert app.review.settle_timeouts() == [article_id]
        _, found = app.queue.get_article(article_id)
        assert {d.state for d in found} == {expected}
        assert found[0].approval is not None and found[0].approval.by == "timeout"


def test_cancel_stops_a_waiting_story(make_app: Any) -> None:
    """``queue cancel`` also cancels deliveries that wait for approval."""
    app = make_app(approval={"sources": ["cli"]})
    article_id = app.intake.add(story()).article_id
    assert app.intake.cancel(article_id) == 2
    with pytest.raises(ConflictError):
        app.review.approve(article_id, by="cli:ann", via="cli")


def test_approval_settings_are_checked(tmp_path: Path) -> None:
    """Bad [approval] values are refused naming the key; approvers default to the staff."""
    from pydantic import ValidationError

    for bad, key in (({"timeout": "0s"}, "timeout"), ({"timeout": "soon"}, "timeout"),
                     ({"sources": ["rss"]}, "sources"), ({"on_timeout": "ignore"}, "on_timeout")):
        with pytest.raises(ValidationError, match=key):
            make_settings(tmp_path, approval=bad)
    staff = make_settings(tmp_path, telegram={"staff_user_ids": [1, 2]})
    assert staff.telegram.approvers() == [1, 2]
    chosen = make_settings(tmp_path, telegram={"staff_user_ids": [1, 2], "approver_user_ids": [3]})
    assert chosen.telegram.approvers() == [3]


def test_a_reason_replaces_the_default_once(make_app: Any) -> None:
    """A rejection's placeholder reason is replaced by the editor who rejected, once: another
    editor, a second reason, or one for a target not rejected that way changes nothing; an
    empty or too long reason is refused and leaves it."""
    app = make_app(targets=[{"name": "tg", "platform": "telegram", "chat": "@news",
                             "approval": True},
                            {"name": "xa", "platform": "x", "approval": True}])
    article_id = app.intake.add(story()).article_id
    app.review.reject(article_id, by="ann", via="telegram", target="tg", reason="later")
    review = app.review
    with pytest.raises(InputError, match="the reason is empty"):
        review.give_reason(article_id, by="ann", via="telegram", targets=["tg"], was="later", reason="  ")
    with pytest.raises(InputError, match="longer than 1000"):
        review.give_reason(article_id, by="ann", via="telegram", targets=["tg"], was="later",
                           reason="x" * 1001)
    with pytest.raises(ConflictError, match="no longer rejected by bob"):
        review.give_reason(article_id, by="bob", via="telegram", targets=["tg"], was="later", reason="mine")
    with pytest.raises(ConflictError):  # xa still waits: nothing to give a reason to
        review.give_reason(article_id, by="ann", via="telegram", targets=["xa"], was="later", reason="mine")
    assert review.give_reason(article_id, by="ann", via="telegram", targets=["tg", "xa"], was="later",
                              reason=" Not\n confirmed ") == (["tg"], "Not confirmed")
    with pytest.raises(ConflictError):
        review.give_reason(article_id, by="ann", via="telegram", targets=["tg"], was="later", reason="again")
    _, (tg, xa) = app.queue.get_article(article_id)
    assert tg.approval is not None and tg.approval.note == "Not confirmed"
    assert tg.last_error == "rejected by ann: Not confirmed"
    assert xa.state is S.AWAITING_APPROVAL
