"""The approvers' desk against the fake Bot API, in process: who gets cards, what an idle sync
costs, and how a decision made elsewhere reaches every card."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot

from bot.daemon.runtime import Runtime
from bot.domain.models import ArticleDraft
from bot.staff.approvals import ApprovalDesk
from bot.wiring import build_app
from tests.conftest import make_settings
from tests.fakes.fixtures import start_fake
from tests.fakes.httpbase import FakeServer
from tests.fakes.telegram_server import DEFAULT_TOKEN, TelegramFake

ANN, BOB, NEVER = 111, 222, 333


@pytest.fixture
def fake_api() -> Iterator[FakeServer]:
    """A fake Bot API where ANN and BOB opened a chat with the bot (NEVER did not)."""
    server = start_fake(TelegramFake())
    fake = server.app
    assert isinstance(fake, TelegramFake)
    for user in (ANN, BOB):
        fake.incoming(user, "/start")
    yield server
    server.stop()


@pytest.fixture
def runtime(tmp_path: Path, fake_api: FakeServer) -> Iterator[Runtime]:
    """Staff ANN and BOB; approvers ANN, BOB and NEVER; the X target needs approval."""
    settings = make_settings(
        tmp_path,
        telegram={"bot_token": DEFAULT_TOKEN, "api_base_url": fake_api.url,
                  "staff_user_ids": [ANN, BOB], "approver_user_ids": [ANN, BOB, NEVER]},
        targets=[{"name": "tg", "platform": "telegram", "chat": "@news"},
                 {"name": "xa", "platform": "x", "approval": True}])
    app = build_app(settings)
    yield app
    app.dispose()


def sent(fake: TelegramFake, method: str) -> list[dict[str, Any]]:
    """Requests of one Bot API method so far."""
    with fake.lock:
        return [r for r in fake.requests if r.get("api") == method]


def test_cards_reach_approvers_once_and_follow_decisions(runtime: Runtime,
                                                         fake_api: FakeServer) -> None:
    """Each approver who can be reached gets one card; one who cannot is recorded, not retried;
    an idle sync sends nothing; a decision from the CLI edits every card once."""
    fake = fake_api.app
    assert isinstance(fake, TelegramFake)
    story = runtime.intake.add(ArticleDraft(url="https://news.example/1", title="Harbour",
                                            text="The harbour reopened. Ferries run.")).article_id

    async def scenario() -> None:
        async with Bot(DEFAULT_TOKEN, base_url=f"{fake_api.url}/bot") as bot:
            desk = ApprovalDesk(runtime)
            await desk.sync(bot)
            assert len(sent(fake, "sendMessage")) == 3
            calls = len(fake.requests)
            for _ in range(3):
                await desk.sync(bot)
            assert len(fake.requests) == calls  # nothing changed: not one call
            runtime.review.approve(story, by="cli:ann", via="cli")
            await desk.sync(bot)
            await desk.sync(bot)
            assert len(sent(fake, "editMessageText")) == 2

    asyncio.run(scenario())
    notices = runtime.review.approvals.notices(story)
    assert [(n.chat_id, n.open, n.message_id is not None) for n in notices] == [
        (ANN, False, True), (BOB, False, True), (NEVER, False, False)]
    assert notices[2].error is not None and "chat not found" in notices[2].error.lower()
    with fake.lock:
        cards = [m for m in fake.messages if m["chat"] in (ANN, BOB)]
    assert all(m["reply_markup"] is None and "approved by cli:ann via cli" in m["text"]
               for m in cards)
