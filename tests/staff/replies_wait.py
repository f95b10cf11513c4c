"""Waiting, from a plain thread, for the bot's answers recorded by the fake Bot API."""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.telegram_server import TelegramFake


def wait_answers(fake: TelegramFake, chat_id: int, count: int, *,
                 deadline: float) -> list[dict[str, Any]]:
    """The first ``count`` messages the bot sent to ``chat_id`` (fails at ``deadline``)."""
    while True:
        with fake.lock:
            found = [m for m in fake.messages if m["chat"] == chat_id]
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"only {found} for chat {chat_id}"
        time.sleep(0.05)
