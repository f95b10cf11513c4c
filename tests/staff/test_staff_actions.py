"""What staff do in the Telegram chat (buttons, /edit, /cancel, /takedown) is noted in the
story's staff actions once, naming the staff member on Telegram (against the fake Bot API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.daemon.runtime import Runtime
from bot.domain.models import ArticleDraft
from bot.store.desk import DeskStore
from tests.staff.conftest import STAFF, Chat, Scenario

RunChat = Callable[[Scenario], Runtime]
WHO = f"Staff (telegram:{STAFF})"


@pytest.fixture
def chat_settings() -> dict[str, Any]:
    """The Telegram target needs approval; the X one does not."""
    return {"targets": [{"name": "tg", "platform": "telegram", "chat": "@news", "approval": True},
                        {"name": "xa", "platform": "x"}]}


def add(app: Runtime, n: int) -> int:
    """Queue a story that waits for approval on tg."""
    return app.intake.add(ArticleDraft(url=f"https://news.example/{n}", title=f"Ferry {n}",
                                       text="The ferry resumed today. Tickets are cheaper.")
                          ).article_id


def noted(app: Runtime, article_id: int) -> list[tuple[str, str, str | None, str | None]]:
    """The story's staff actions: actor, action, target (None: the story), detail."""
    targets = {d.id: d.target for d in app.queue.get_article(article_id)[1]}
    return [(a.actor, a.action, targets.get(a.delivery_id or 0), a.detail)
            for a in DeskStore(engine=app.engine).actions(article_id)]


def test_chat_decisions_and_commands_are_noted_once(run_chat: RunChat) -> None:
    """Approve by button notes one action naming the approver; a second press is refused and
    notes nothing; /edit, /cancel and /takedown each note one action per delivery they changed,
    naming ``telegram:<id>``; /cancel with nothing left to cancel notes nothing."""
    got: dict[str, Any] = {}

    async def scenario(chat: Chat) -> None:
        await chat.send(STAFF, "/start")  # a bot writes only to those who opened a chat with it
        first = add(chat.app, 1)
        card = await chat.card(STAFF, first)
        got["approved"] = await chat.press(STAFF, card, f"a:{first}:*")
        card = await chat.card(STAFF, first)
        got["again"] = await chat.press(STAFF, card, f"a:{first}:*", stale=True)
        second = add(chat.app, 2)
        await chat.send(STAFF, f"/edit {second} Title: Ferry resumes at noon")
        await chat.send(STAFF, f"/cancel {second}")
        await chat.send(STAFF, f"/cancel {second}")
        await chat.send(STAFF, f"/takedown {second} wrong ferry")

    app = run_chat(scenario)
    assert got["approved"][0]["text"] == "Approved #1 on tg."
    assert got["again"][0]["text"].startswith("Already decided, nothing changed")
    assert noted(app, 1) == [(WHO, "approved", "tg", None)]
    me = f"telegram:{STAFF}"
    assert noted(app, 2) == [
        (me, "edited story", "tg", "changed title"), (me, "edited story", "xa", "changed title"),
        (me, "cancelled", "tg", None), (me, "cancelled", "xa", None),
        (me, "took down", "tg", "wrong ferry"), (me, "took down", "xa", "wrong ferry")]
