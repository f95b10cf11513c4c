"""A staff chat talking to the fake Bot API, with helpers to write to it and read its answers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.daemon.runtime import Runtime
from bot.staff.approvals import ApprovalDesk
from bot.staff.chat import staff_service
from bot.wiring import build_app
from tests.api.pages import story_pages
from tests.conftest import make_settings
from tests.fakes.fixtures import start_fake
from tests.fakes.httpbase import FakeServer
from tests.fakes.telegram_server import DEFAULT_TOKEN, TelegramFake

STAFF = 111
STRANGER = 999


class Chat:
    """One test conversation: write as a user, wait for the bot's answers in that chat."""

    def __init__(self, fake: TelegramFake, app: Runtime, desk: ApprovalDesk) -> None:
        self.fake = fake
        self.app = app
        self.desk = desk

    def answers(self, user_id: int) -> list[dict[str, Any]]:
        """Every message the bot sent to ``user_id`` so far."""
        with self.fake.lock:
            return [m for m in self.fake.messages if m["chat"] == user_id]

    async def send(self, user_id: int, text: str, *, count: int = 1,
                   timeout: float = 15.0) -> list[dict[str, Any]]:
        """Write ``text`` as ``user_id``; return the bot's next ``count`` answers."""

        def put() -> None:
            # Telegram marks a leading /command with a bot_command entity; the fake's
            # /_fake/incoming does not, so add it under the fake's lock.
            with self.fake.lock:
                update = self.fake.incoming(user_id, text)
                if text.startswith("/"):
                    length = len(text.split()[0])
                    update["message"]["entities"] = [
                        {"type": "bot_command", "offset": 0, "length": length}]

        return await self.deliver(user_id, put, count=count, timeout=timeout)

    async def reply(self, user_id: int, text: str, to: int, *,
                    count: int = 1) -> list[dict[str, Any]]:
        """Write ``text`` as ``user_id`` in reply to the bot's message ``to``; return the bot's
        next ``count`` answers."""
        return await self.deliver(
            user_id, lambda: self.fake.incoming(user_id, text, reply_to=to), count=count)

    async def card(self, user_id: int, article_id: int, timeout: float = 15.0) -> dict[str, Any]:
        """The review card ``user_id`` got about a story, as it looks now (waits for it)."""
        deadline = time.monotonic() + timeout
        while True:
            for m in self.answers(user_id):
                if m["text"].split(" ·")[0] in (f"Review #{article_id}",
                                                f"Reviewed #{article_id}"):
                    return m
            assert time.monotonic() < deadline, f"no card: {self.answers(user_id)}"
            await asyncio.sleep(0.05)

    async def press(self, user_id: int, card: dict[str, Any], data: str, *, count: int = 0,
                    stale: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Press a button of ``card`` as ``user_id``: the callback's answer and the bot's next
        ``count`` messages to ``user_id``."""
        pressed: list[str] = []

        def put() -> None:
            update = self.fake.press(user_id, card["chat"], card["message_id"], data, stale=stale)
            pressed.append(update["callback_query"]["id"])

        said = await self.deliver(user_id, put, count=count)
        deadline = time.monotonic() + 15.0
        while True:
            with self.fake.lock:
                answer = self.fake.callbacks.queries[pressed[0]].answer
            if answer is not None:
                return answer, said
            assert time.monotonic() < deadline, f"press {data} never answered"
            await asyncio.sleep(0.05)

    async def forward(self, user_id: int, text: str, *, count: int = 1) -> list[dict[str, Any]]:
        """Forward a message (from a channel, with its link entity) as ``user_id``."""

        def put() -> None:
            # The fake's /_fake/incoming takes plain text only; add the fields a forward has
            # while holding its lock, so getUpdates never sees the message half-made.
            with self.fake.lock:
                update = self.fake.incoming(user_id, text)
                message = update["message"]
                message["forward_origin"] = {
                    "type": "channel", "date": message["date"] - 60, "message_id": 77,
                    "chat": {"id": -1001234, "type": "channel", "title": "Harbour Gazette"}}
                start = text.index("http")
                end = text.find(" ", start)
                length = (len(text) if end < 0 else end) - start
                message["entities"] = [{"type": "url", "offset": start, "length": length}]

        return await self.deliver(user_id, put, count=count)

    async def deliver(self, user_id: int, put: Callable[[], object], *, count: int,
                      timeout: float = 15.0) -> list[dict[str, Any]]:
        """Run ``put`` and wait until the bot has answered ``count`` times."""
        before = len(self.answers(user_id))
        put()
        deadline = time.monotonic() + timeout
        while len(self.answers(user_id)) < before + count:
            assert time.monotonic() < deadline, f"no answer to {user_id}: {self.answers(user_id)}"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # nothing more should follow; caught by the callers' counts
        return self.answers(user_id)[before:]


Scenario = Callable[[Chat], Awaitable[None]]


@pytest.fixture
def pages() -> Iterator[str]:
    """Base URL of local story pages (``/story/<slug>``)."""
    with story_pages() as base:
        yield base


@pytest.fixture
def telegram_server() -> Iterator[FakeServer]:
    """A fake Bot API (token ``DEFAULT_TOKEN``) on a free port."""
    server = start_fake(TelegramFake())
    yield server
    server.stop()


@pytest.fixture
def chat_settings() -> dict[str, Any]:
    """Settings a test module adds to the staff chat's (say, targets that need approval)."""
    return {}


@pytest.fixture
def run_chat(tmp_path: Path, telegram_server: FakeServer,
             chat_settings: dict[str, Any]) -> Iterator[Callable[[Scenario], Runtime]]:
    """Run a scenario against a started staff service; returns the app to inspect after."""
    settings = make_settings(
        tmp_path, timezone="Europe/Kyiv",
        telegram={"bot_token": DEFAULT_TOKEN, "api_base_url": telegram_server.url,
                  "staff_user_ids": [STAFF], "timeout": 5},
        fetch={"allow_private_networks": True, "timeout": 5},
        **chat_settings,
    )
    app = build_app(settings)
    fake = telegram_server.app
    assert isinstance(fake, TelegramFake)

    def run(scenario: Scenario) -> Runtime:
        async def main() -> None:
            service = staff_service(app)
            assert service is not None
            await service.start()
            try:
                await scenario(Chat(fake, app, service.desk))
            finally:
                await service.stop()

        asyncio.run(main())
        return app

    yield run
    app.dispose()
