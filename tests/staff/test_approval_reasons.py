"""Why a story was rejected: after *Reject* the bot asks with a reply prompt, against the fake
Bot API; the answer becomes the reason, "-" or no answer keeps the default, and only once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.daemon.runtime import Runtime
from bot.domain.models import ArticleDraft, DeliveryState
from bot.staff.approvals import DEFAULT_REASON, REASON_PLACEHOLDER
from bot.staff.replies import HELP
from bot.store.desk import DeskStore
from tests.staff.conftest import STAFF, Chat, Scenario

RunChat = Callable[[Scenario], Runtime]
WHO = f"Staff (telegram:{STAFF})"
PROMPT = f'Why was #1 rejected on tg? Reply with the reason, or - to keep "{DEFAULT_REASON}".'


@pytest.fixture
def chat_settings() -> dict[str, Any]:
    """The Telegram target needs approval; the X one does not."""
    return {"targets": [{"name": "tg", "platform": "telegram", "chat": "@news", "approval": True},
                        {"name": "xa", "platform": "x"}]}


def add(app: Runtime) -> int:
    """Queue a story that waits for approval on tg."""
    return app.intake.add(ArticleDraft(url="https://news.example/s", title="Ferry resumes",
                                       text="The ferry resumed today. Tickets are cheaper.")
                          ).article_id


def tg(app: Runtime) -> Any:
    """Story 1's delivery to tg."""
    return app.queue.get_article(1)[1][0]


def actions(app: Runtime) -> list[tuple[str, str, str | None]]:
    """The staff actions on story 1: who, what, detail."""
    return [(a.actor, a.action, a.detail) for a in DeskStore(engine=app.engine).actions(1)]


async def reject(chat: Chat) -> dict[str, Any]:
    """Press Reject on story 1's card; the bot's prompt for a reason."""
    await chat.send(STAFF, "/start")  # a bot writes only to those who opened a chat with it
    add(chat.app)
    card = await chat.card(STAFF, 1)
    answer, said = await chat.press(STAFF, card, "r:1:*", count=1)
    assert answer["text"] == "Rejected #1 on tg."
    [prompt] = said
    return prompt


async def shown(chat: Chat, words: str, timeout: float = 15.0) -> str:
    """Story 1's card once it shows ``words`` (or as it is when the time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        text = str((await chat.card(STAFF, 1))["text"])
        if words in text or time.monotonic() > deadline:
            return text
        await asyncio.sleep(0.05)


def test_the_reply_becomes_the_reason_once(run_chat: RunChat) -> None:
    """Reject rejects at once and asks why with a ForceReply prompt; the reply replaces the
    default reason (on the delivery, the card and the staff actions); a second reply and a
    second press change nothing and say so."""
    got: dict[str, Any] = {}

    async def scenario(chat: Chat) -> None:
        prompt = await reject(chat)
        got["prompt"] = prompt
        got["rejected"] = tg(chat.app)
        reason = "Not confirmed by  a second\nsource"
        got["noted"] = await chat.reply(STAFF, reason, to=prompt["message_id"])
        got["again"] = await chat.reply(STAFF, "Actually, libel", to=prompt["message_id"])
        card = await chat.card(STAFF, 1)
        got["press"] = await chat.press(STAFF, card, "r:1:*", stale=True)
        got["card"] = await shown(chat, reason.split()[-1])

    app = run_chat(scenario)
    prompt = got["prompt"]
    assert prompt["text"] == PROMPT
    assert prompt["force_reply"] == {"force_reply": True,
                                     "input_field_placeholder": REASON_PLACEHOLDER}
    rejected = got["rejected"]
    assert rejected.state is DeliveryState.REJECTED
    assert rejected.approval.note == DEFAULT_REASON
    reason = "Not confirmed by a second source"
    assert [m["text"] for m in got["noted"]] == [f"Reason noted: #1 on tg rejected: {reason}"]
    assert [m["text"] for m in got["again"]] == [
        f"That question is closed; nothing changed. #1 stays tg: rejected by {WHO} via "
        f"telegram: {reason}"]
    answer, said = got["press"]
    assert answer["show_alert"] is True and answer["text"].startswith(
        "Already decided, nothing changed: story 1 has nothing waiting for approval")
    assert said == []
    assert f"rejected by {WHO} via telegram: {reason}" in got["card"]
    now = tg(app)
    assert now.state is DeliveryState.REJECTED
    assert (now.approval.note, now.last_error) == (reason, f"rejected by {WHO}: {reason}")
    assert actions(app) == [(WHO, "rejected", DEFAULT_REASON), (WHO, "gave the reason", reason)]


def test_a_dash_keeps_the_default_reason(run_chat: RunChat) -> None:
    """"-" (a plain message while the reason is asked) keeps the default reason; a reply to
    the prompt after that changes nothing and says so."""
    got: dict[str, Any] = {}

    async def scenario(chat: Chat) -> None:
        prompt = await reject(chat)
        got["kept"] = await chat.send(STAFF, "-")
        got["late"] = await chat.reply(STAFF, "Not confirmed", to=prompt["message_id"])

    app = run_chat(scenario)
    assert [m["text"] for m in got["kept"]] == [f'#1 keeps the reason "{DEFAULT_REASON}".']
    assert got["late"][0]["text"].startswith("That question is closed; nothing changed.")
    assert len(got["late"]) == 1
    now = tg(app)
    assert now.state is DeliveryState.REJECTED and now.approval.note == DEFAULT_REASON
    assert actions(app) == [(WHO, "rejected", DEFAULT_REASON)]


def test_an_answer_after_the_time_is_up_changes_nothing(run_chat: RunChat) -> None:
    """Once the time for a reason is up, a reply to the prompt changes nothing and says so,
    and a plain message is an ordinary message again."""
    got: dict[str, Any] = {}

    async def scenario(chat: Chat) -> None:
        chat.desk.reason_seconds = 0
        prompt = await reject(chat)
        got["late"] = await chat.reply(STAFF, "Not confirmed", to=prompt["message_id"])
        got["plain"] = await chat.send(STAFF, "Not confirmed")

    app = run_chat(scenario)
    assert [m["text"] for m in got["late"]] == [
        f"That question is closed; nothing changed. #1 stays tg: rejected by {WHO} via "
        f"telegram: {DEFAULT_REASON}"]
    assert [m["text"] for m in got["plain"]] == [HELP]
    assert tg(app).approval.note == DEFAULT_REASON
    assert actions(app) == [(WHO, "rejected", DEFAULT_REASON)]
