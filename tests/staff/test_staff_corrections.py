"""/edit, /takedown and /confirm in the staff chat, through the fake Bot API."""

from __future__ import annotations

from collections.abc import Callable

from bot.daemon.runtime import Runtime
from bot.domain.models import ArticleDraft, DeliveryState
from bot.staff.corrections import parse_correction
from tests.staff.conftest import STAFF, STRANGER, Chat, Scenario

RunChat = Callable[[Scenario], Runtime]
S = DeliveryState


def add(app: Runtime) -> int:
    """Queue a story directly."""
    return app.intake.add(ArticleDraft(url="https://news.example/s", title="Ferry resumes",
                                       text="The ferry resumed today. Tickets are cheaper.")
                          ).article_id


def test_edit_asks_for_the_text_then_corrects(run_chat: RunChat) -> None:
    """/edit ID asks for the text; the next message corrects the headline and the text."""
    got: list[str] = []

    async def scenario(chat: Chat) -> None:
        article_id = add(chat.app)
        got.extend(m["text"] for m in await chat.send(STAFF, f"/edit {article_id}"))
        got.extend(m["text"] for m in await chat.send(
            STAFF, "Title: Ferry resumes at noon\nThe ferry resumed at noon today."))

    app = run_chat(scenario)
    assert got[0].startswith("Send the corrected text of #1: Ferry resumes")
    assert got[1].startswith("Corrected #1; 0 post(s) to correct")
    article, _ = app.queue.get_article(1)
    assert article.title == "Ferry resumes at noon" and "at noon today" in article.text
    revisions = app.revisions.for_articles([1])
    assert all(r.requested_by == f"telegram:{STAFF}" for rs in revisions.values() for r in rs)
    assert len(app.queue.list_articles()) == 1, "the corrected text was not queued as a story"


def test_takedown_and_confirm(run_chat: RunChat) -> None:
    """/takedown withdraws with the reason; /confirm needs a needs_review delivery; strangers
    are refused."""
    got: list[str] = []

    async def scenario(chat: Chat) -> None:
        article_id = add(chat.app)
        got.extend(m["text"] for m in await chat.send(STAFF, f"/confirm {article_id} tg 5"))
        got.extend(m["text"] for m in await chat.send(STAFF, f"/takedown {article_id} legal"))
        got.extend(m["text"] for m in await chat.send(STRANGER, f"/takedown {article_id}"))
        got.extend(m["text"] for m in await chat.send(STAFF, "/takedown"))

    app = run_chat(scenario)
    assert "not needs_review" in got[0]
    assert got[1].startswith("Taking down #1: 0 deliveries to delete")
    assert got[2].startswith("Sorry") and got[3].startswith("Usage: /takedown ID")
    _, deliveries = app.queue.get_article(1)
    assert {d.state for d in deliveries} == {S.WITHDRAWN}
    reasons = {r.reason for rs in app.revisions.for_articles([1]).values() for r in rs}
    assert reasons == {"legal"}


def test_parse_correction() -> None:
    """A 'Title:' first line is the headline; otherwise the whole message is the text."""
    assert parse_correction("Title: New\nBody here") == ("New", "Body here")
    assert parse_correction("Just the text") == (None, "Just the text")
    assert parse_correction("title: Only headline") == ("Only headline", None)
