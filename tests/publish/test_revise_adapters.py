"""The adapters edit, reply to and delete published posts through the real clients and the fakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.domain.errors import EditRefusedError, PermanentError
from bot.domain.models import Platform, Post
from bot.domain.ports import ManualClock, ReviseRequest
from bot.publish.outbox import OutboxPublisher, read_outbox
from bot.publish.telegram import TelegramPublisher
from bot.publish.x import XPublisher
from tests.fakes.httpbase import FakeServer
from tests.publish.conftest import request_for

pytestmark = pytest.mark.anyio


def revise(platform: Platform, ids: tuple[str, ...], *parts: str, **fields: Any) -> ReviseRequest:
    """A revision request on ``ids`` with new ``parts`` (none for a delete)."""
    post = Post(platform, parts) if parts else None
    return ReviseRequest(revision_id=1, delivery_id=1, target="t", platform=platform,
                         chat="@news", post_ids=ids, post=post, **fields)


async def test_telegram_edits_every_message_and_caption(
    tg: TelegramPublisher, telegram_server: FakeServer
) -> None:
    """A photo's caption and its follow-up are both edited; an unchanged part is "done"."""
    sent = await tg.publish(request_for(Platform.TELEGRAM, "old caption", "<b>more</b>",
                                        image_url="https://e.org/p.jpg"))
    steps: list[int] = []

    async def step(index: int, post_id: str) -> None:
        steps.append(index)

    ids = await tg.edit(revise(Platform.TELEGRAM, sent.post_ids, "new caption", "<b>more</b>",
                               photo=True, on_step=step))
    assert ids == sent.post_ids and steps == [0, 1]
    messages = telegram_server.app.messages
    assert [m["text"] for m in messages] == ["new caption", "more"]
    assert messages[0].get("edit_count") == 1 and "edit_count" not in messages[1]


async def test_telegram_edit_of_a_deleted_message_is_permanent(tg: TelegramPublisher) -> None:
    """"message to edit not found" is a permanent error naming Telegram's words."""
    sent = await tg.publish(request_for(Platform.TELEGRAM, "text"))
    await tg.delete(revise(Platform.TELEGRAM, sent.post_ids))
    with pytest.raises(PermanentError, match=r"(?i)message to edit not found"):
        await tg.edit(revise(Platform.TELEGRAM, sent.post_ids, "other"))


async def test_telegram_delete_is_idempotent(tg: TelegramPublisher, telegram_server: FakeServer) -> None:
    """Deleting twice is fine (the second finds nothing); a reply answers the first message."""
    sent = await tg.publish(request_for(Platform.TELEGRAM, "one", "two"))
    reply_id = await tg.reply(revise(Platform.TELEGRAM, sent.post_ids, "Correction: x"))
    everything = (*sent.post_ids, reply_id)
    await tg.delete(revise(Platform.TELEGRAM, everything))
    await tg.delete(revise(Platform.TELEGRAM, everything))
    assert all(m.get("deleted") for m in telegram_server.app.messages)
    with pytest.raises(NotImplementedError):
        await tg.find_reply(revise(Platform.TELEGRAM, sent.post_ids, "Correction: x"))


async def test_telegram_undeletable_message_is_permanent(
    tg: TelegramPublisher, telegram_server: FakeServer
) -> None:
    """Past Telegram's 48 hours "message can't be deleted" is a permanent error."""
    sent = await tg.publish(request_for(Platform.TELEGRAM, "old"))
    telegram_server.app.delete_window_seconds = 0  # type: ignore[attr-defined]
    with pytest.raises(PermanentError, match=r"(?i)can.t be deleted"):
        await tg.delete(revise(Platform.TELEGRAM, sent.post_ids))


async def test_x_edits_a_thread_and_ids_change(xp: XPublisher, x_server: FakeServer) -> None:
    """Every part is edited into a new id; the timeline shows only the new versions."""
    sent = await xp.publish(request_for(Platform.X, "part one 1/2", "part two 2/2"))
    ids = await xp.edit(revise(Platform.X, sent.post_ids, "fixed one 1/2", "fixed two 2/2"))
    assert len(ids) == 2 and set(ids).isdisjoint(sent.post_ids)
    live = [t["text"] for t in x_server.app.tweets if not t.get("superseded_by")]
    assert live == ["fixed one 1/2", "fixed two 2/2"]


async def test_x_check_first_does_not_edit_twice(xp: XPublisher, x_server: FakeServer) -> None:
    """After an unknown outcome, a part already carrying the new text is not edited again."""
    sent = await xp.publish(request_for(Platform.X, "before"))
    first = await xp.edit(revise(Platform.X, sent.post_ids, "after"))
    again = await xp.edit(revise(Platform.X, sent.post_ids, "after", check_first=True))
    assert again == first and len(x_server.app.tweets) == 2


async def test_x_refused_edit(xp: XPublisher, x_server: FakeServer) -> None:
    """Past the edit window X refuses: ``EditRefusedError`` with X's words."""
    sent = await xp.publish(request_for(Platform.X, "too late"))
    x_server.app.edit_window_seconds = 0  # type: ignore[attr-defined]
    with pytest.raises(EditRefusedError, match="30 minutes"):
        await xp.edit(revise(Platform.X, sent.post_ids, "correction"))


async def test_x_reply_find_and_delete(xp: XPublisher, x_server: FakeServer) -> None:
    """A correction reply can be found again; deleting twice (or after a look) is fine."""
    sent = await xp.publish(request_for(Platform.X, "story"))
    correction = revise(Platform.X, sent.post_ids, "Correction: story https://e.org/s")
    reply_id = await xp.reply(correction)
    assert await xp.find_reply(correction) == reply_id
    everything = (*sent.post_ids, reply_id)
    await xp.delete(revise(Platform.X, everything))
    await xp.delete(revise(Platform.X, everything, check_first=True))
    await xp.delete(revise(Platform.X, everything))
    assert all(t["deleted"] for t in x_server.app.tweets)
    assert await xp.find_reply(correction) is None


async def test_outbox_records_revisions(tmp_path: Path) -> None:
    """The outbox logs edits, replies and deletes; a reply is found by its revision."""
    box = OutboxPublisher(directory=tmp_path, clock=ManualClock(), echo=False)
    request = revise(Platform.X, ("outbox-1-1",), "new text")
    assert await box.edit(request) == ("outbox-1-1",)
    assert await box.find_reply(request) is None
    reply_id = await box.reply(request)
    assert await box.find_reply(request) == reply_id
    await box.delete(revise(Platform.X, ("outbox-1-1", reply_id)))
    assert [r["action"] for r in read_outbox(tmp_path, "t")] == ["edit", "reply", "delete"]


async def test_telegram_edit_finds_a_caption_that_went_as_a_message(
    tg: TelegramPublisher, telegram_server: FakeServer
) -> None:
    """When a story's photo was refused and its caption went as a message, the edit still
    lands: "no caption in the message" turns it into a text edit."""
    sent = await tg.publish(request_for(Platform.TELEGRAM, "caption went alone"))
    await tg.edit(revise(Platform.TELEGRAM, sent.post_ids, "fixed caption", photo=True))
    assert telegram_server.app.messages[0]["text"] == "fixed caption"
