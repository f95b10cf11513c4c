"""What staff do through the HTTP API is noted in the story's staff actions (in-process, on
SQLite), and ``GET /api/articles/{id}`` lists them."""

from __future__ import annotations

from pathlib import Path

from bot.domain.models import ArticleDraft
from bot.domain.ports import ManualClock
from bot.wiring import build_app
from tests.api.test_api_corrections import call
from tests.conftest import make_settings

APPROVAL = [{"name": "tg", "platform": "telegram", "chat": "@news", "approval": True},
            {"name": "xa", "platform": "x"}]


def test_an_api_decision_is_noted_once_and_listed(tmp_path: Path) -> None:
    """An approval through the API notes one action naming ``api:<by>`` on the delivery it
    decided, listed by ``GET /api/articles/{id}``; a second approval is 409 and notes nothing;
    a cancel notes ``api`` on each delivery it moved."""
    app = build_app(make_settings(tmp_path, targets=APPROVAL, api={"token": "t"}),
                    clock=ManualClock())
    try:
        article_id = app.intake.add(ArticleDraft(
            url="https://news.example/h", title="Harbour reopens",
            text="The harbour reopened today. Ships are back.")).article_id
        done = call(app, "POST", f"/api/articles/{article_id}/approve", {"by": "dana"})
        assert done.status_code == 200, done.text
        again = call(app, "POST", f"/api/articles/{article_id}/approve", {"by": "dana"})
        assert again.status_code == 409
        story = call(app, "GET", f"/api/articles/{article_id}").json()
        tg, xa = story["deliveries"]
        assert [(a["actor"], a["action"], a["detail"]) for a in tg["staff_actions"]] == [
            ("api:dana", "approved", None)]
        assert tg["staff_actions"][0]["at"]
        assert xa["staff_actions"] == [] and story["staff_actions"] == []

        assert call(app, "POST", f"/api/articles/{article_id}/cancel").json()["moved"] == 2
        story = call(app, "GET", f"/api/articles/{article_id}").json()
        assert [[(a["actor"], a["action"]) for a in d["staff_actions"]]
                for d in story["deliveries"]] == [
            [("api:dana", "approved"), ("api", "cancelled")], [("api", "cancelled")]]
    finally:
        app.dispose()


def test_api_corrections_are_noted(tmp_path: Path) -> None:
    """A PATCH and a takedown through the API each note one action per delivery they touched,
    naming ``api``; a refused PATCH (nothing to change) notes nothing."""
    app = build_app(make_settings(tmp_path, api={"token": "t"}), clock=ManualClock())
    try:
        article_id = app.intake.add(ArticleDraft(
            url="https://news.example/h", title="Harbour reopens",
            text="The harbour reopened today. Ships are back.")).article_id
        assert call(app, "PATCH", f"/api/articles/{article_id}", {}).status_code == 422
        assert call(app, "PATCH", f"/api/articles/{article_id}",
                    {"title": "Harbour reopens at 9"}).status_code == 200
        assert call(app, "POST", f"/api/articles/{article_id}/takedown",
                    {"reason": "legal"}).status_code == 200
        story = call(app, "GET", f"/api/articles/{article_id}").json()
        for d in story["deliveries"]:
            assert [(a["actor"], a["action"], a["detail"]) for a in d["staff_actions"]] == [
                ("api", "edited story", "changed title"), ("api", "took down", "legal")]
    finally:
        app.dispose()
