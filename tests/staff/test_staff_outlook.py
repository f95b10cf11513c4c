"""The staff chat's answer to a queued story says when each target posts, or why it will not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.models import ArticleDraft
from bot.staff.replies import story_reply
from bot.wiring import build_app
from tests.conftest import make_settings


def test_reply_says_a_target_will_not_post_and_why(tmp_path: Path) -> None:
    """A story that expires at once on X (its only slot is past max_age) is answered with
    "will not post: expired (…)" for X and the planned time for Telegram."""
    slot = (datetime.now(UTC) + timedelta(hours=6)).strftime("%H:%M")
    settings = make_settings(
        tmp_path,
        schedules={"rare": {"timezone": "UTC", "slots": [slot], "max_age": "1h"}},
        targets=[{"name": "tg", "platform": "telegram", "chat": "@news"},
                 {"name": "xa", "platform": "x", "schedule": "rare"}],
    )
    app = build_app(settings)
    try:
        added = app.intake.add(ArticleDraft(url="https://a.example/night", title="Night story",
                                            text="The bridge reopened on Monday. Traffic is back."))
        article, deliveries = app.queue.get_article(added.article_id)
        reply = story_reply(article, deliveries, created=True, tz="UTC")
    finally:
        app.dispose()
    xa = next(line for line in reply.splitlines() if line.startswith("• xa"))
    tg = next(line for line in reply.splitlines() if line.startswith("• tg"))
    assert "will not post: expired (" in xa and "max_age" in xa
    assert ": posts " in tg
