"""The staff conversation through the fake Bot API's getUpdates: links, forwards, commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.daemon.runtime import Runtime
from bot.domain.models import DeliveryState
from bot.reports.views import local
from bot.staff.chat import staff_service
from bot.staff.replies import HELP, REFUSAL
from bot.wiring import build_app
from tests.conftest import make_settings
from tests.staff.conftest import STAFF, STRANGER, Chat, Scenario

RunChat = Callable[[Scenario], Runtime]


def articles(app: Runtime) -> list[tuple[int, str, str]]:
    """(id, title, source) of every queued story."""
    return [(a.id, a.title, a.source) for a, _ in app.queue.list_articles()]


def test_staff_link_is_queued_and_answered_with_times_and_previews(
        run_chat: RunChat, pages: str) -> None:
    """A staff member's link is fetched and queued; the bot answers with the title, each
    target's planned time, then the Telegram preview (as HTML) and the X preview."""
    got: list[dict[str, object]] = []

    async def scenario(chat: Chat) -> None:
        got.extend(await chat.send(STAFF, f"please post {pages}/story/harbour", count=3))

    app = run_chat(scenario)
    assert articles(app) == [(1, "Harbour reopens: harbour", f"telegram:{STAFF}")]
    _, deliveries = app.queue.get_article(1)
    summary, telegram, x = (str(m["text"]) for m in got)
    assert summary.startswith("Queued #1: Harbour reopens: harbour")
    for d in deliveries:  # each target's planned time, in the configured timezone
        assert d.planned_at is not None
        assert f"• {d.target} (" in summary and local(d.planned_at, "Europe/Kyiv") in summary
    assert telegram.startswith("Telegram preview · tg")
    assert got[1]["html"].startswith("<b>Telegram preview")  # type: ignore[union-attr]
    assert "Harbour reopens: harbour" in telegram
    assert x.startswith("X preview · xa (") and "/280 weighted)" in x
    assert f"{pages}/story/harbour" in x


def test_stranger_is_refused_and_nothing_is_queued(run_chat: RunChat, pages: str) -> None:
    """Someone not in staff_user_ids gets a short refusal; no story is queued."""
    got: list[dict[str, object]] = []

    async def scenario(chat: Chat) -> None:
        got.extend(await chat.send(STRANGER, f"{pages}/story/stranger"))
        got.extend(await chat.send(STRANGER, "/queue"))

    app = run_chat(scenario)
    assert [m["text"] for m in got] == [REFUSAL, REFUSAL]
    assert articles(app) == []


def test_forwarded_message_with_a_link_is_queued(run_chat: RunChat, pages: str) -> None:
    """A forwarded channel post whose link is an entity is queued like a typed link."""
    got: list[dict[str, object]] = []

    async def scenario(chat: Chat) -> None:
        got.extend(await chat.forward(STAFF, f"New on the site: {pages}/story/forwarded more",
                                      count=3))

    app = run_chat(scenario)
    assert str(got[0]["text"]).startswith("Queued #1: Harbour reopens: forwarded")
    assert [t for _, t, _ in articles(app)] == ["Harbour reopens: forwarded"]


def test_message_without_a_link_gets_help(run_chat: RunChat) -> None:
    """Text with no link, /help and unknown commands are answered with the help text."""
    got: list[dict[str, object]] = []

    async def scenario(chat: Chat) -> None:
        for text in ("hello, what can you do?", "/help", "/start", "/frobnicate"):
            got.extend(await chat.send(STAFF, text))

    app = run_chat(scenario)
    assert [m["text"] for m in got] == [HELP] * 4
    assert articles(app) == []


def test_unreachable_link_is_answered_in_plain_words(run_chat: RunChat, pages: str) -> None:
    """A link that cannot be read gets a plain-words answer and queues nothing."""
    got: list[dict[str, object]] = []

    async def scenario(chat: Chat) -> None:
        got.extend(await chat.send(STAFF, f"{pages}/missing-page"))

    app = run_chat(scenario)
    text = str(got[0]["text"])
    assert text.startswith("I could not read that link: ") and "Nothing was queued." in text
    assert articles(app) == []


def test_known_link_is_not_queued_twice(run_chat: RunChat) -> None:
    """A link already in the queue (here from the CLI's intake) is reported, not fetched."""
    got: list[dict[str, object]] = []

    async def scenario(chat: Chat) -> None:
        from bot.domain.models import ArticleDraft

        chat.app.intake.add(ArticleDraft(url="https://news.example.com/known", title="Known",
                                         text="Already here. Queued by the CMS."))
        got.extend(await chat.send(STAFF, "https://news.example.com/known?utm_source=tg",
                                   count=3))

    app = run_chat(scenario)
    assert str(got[0]["text"]).startswith("Already in the queue #1: Known")
    assert len(articles(app)) == 1


def test_queue_cancel_and_status_commands(run_chat: RunChat) -> None:
    """/queue lists waiting stories, /cancel ID stops one, /status reports counts."""
    got: list[str] = []

    async def scenario(chat: Chat) -> None:
        from datetime import UTC, datetime, timedelta

        from bot.domain.models import ArticleDraft

        chat.app.intake.add(ArticleDraft(
            url="https://news.example.com/later", title="Later story", text="It waits. A day.",
            not_before=datetime.now(UTC) + timedelta(days=1)))
        for text in ("/queue", "/cancel 1", "/cancel 1", "/cancel 42", "/cancel", "/queue",
                     "/status"):
            got.extend(str(m["text"]) for m in await chat.send(STAFF, text))

    app = run_chat(scenario)
    assert got[0].startswith("Waiting:\n#1 Later story — tg ")
    assert got[1] == "Cancelled #1: Later story (2 posts will not go out)."
    assert got[2] == "Nothing of #1 was waiting; nothing was cancelled."
    assert got[3] == "There is no story #42."
    assert got[4].startswith("Usage: /cancel ID")
    assert got[5] == "Nothing is waiting."
    assert "\ntotals: cancelled 2\n" in got[6]
    _, deliveries = app.queue.get_article(1)
    assert {d.state for d in deliveries} == {DeliveryState.CANCELLED}


def test_no_staff_or_no_token_means_no_chat(tmp_path: Path) -> None:
    """Without staff ids, or without a bot token, the daemon runs no staff chat."""
    for telegram in ({"bot_token": "1:x"}, {"staff_user_ids": [1]}):
        app = build_app(make_settings(tmp_path, telegram=telegram))
        try:
            assert staff_service(app) is None
        finally:
            app.dispose()
