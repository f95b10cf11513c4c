"""Changing what the fake Bot API has delivered: editMessageText, editMessageCaption, deleteMessage.

Telegram's own refusals: an unknown or deleted message is "message to edit not found" /
"message to delete not found"; the same text and markup again is "message is not modified";
a text edit of a photo (or a caption edit of a text) names what is missing; a message older
than the delete window (48 hours; ``fake.delete_window_seconds`` in tests) "can't be deleted".
Edits and deletes pass the same announced limits, pacing and fault plan as sends; a delivered
change followed by a dropped answer is a change that happened.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from tests.fakes import faults as F
from tests.fakes.httpbase import Reply
from tests.fakes.telegram_checks import BotAPIError, ok, parse_text, text_message, too_many
from tests.fakes.telegram_html import utf16_len
from tests.fakes.telegram_objects import BotUser, Chat, message_json, photo_sizes

if TYPE_CHECKING:
    from tests.fakes.telegram_server import TelegramFake

REVISE_METHODS = frozenset({"editMessageText", "editMessageCaption", "deleteMessage"})
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
CANT_DELETE = "Bad Request: message can't be deleted"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
NO_TEXT = "Bad Request: there is no text in the message to edit"
NO_CAPTION = "Bad Request: there is no caption in the message to edit"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
DELETE_WINDOW_SECONDS = 48 * 3600


def revise(fake: TelegramFake, bot: BotUser, method: str, p: dict[str, Any],
           extra: dict[str, Any]) -> Reply:
    """Answer one edit or delete call (after the limits, pacing and fault plan)."""
    chat = fake._chat(p)
    extra["chat"] = chat.id
    gate = _gate(fake, bot, chat, method, extra)
    if gate is not None:
        return gate
    fault = extra.get("fault")
    if chat.kicked:
        raise BotAPIError(403, "Forbidden: bot was kicked from the channel chat")
    if chat.not_admin:
        raise BotAPIError(400, "Bad Request: need administrator rights in the channel chat")
    message_id = _message_id(p)
    extra["message_id"] = message_id
    with fake.lock:
        record = _find(fake, chat, message_id)
        if method == "deleteMessage":
            body = _delete(fake, record)
        else:
            body = _edit(fake, bot, chat, method, record, p)
    if fault == F.SLOW:
        body.delay = fake.faults.slow_seconds
    elif fault == F.DROP_AFTER:
        body.drop = True
    return body


def _gate(fake: TelegramFake, bot: BotUser, chat: Chat, method: str,
          extra: dict[str, Any]) -> Reply | None:
    """Announced limits, pacing windows and the fault plan, as for a send."""
    key = f"chat:{chat.id}"
    until = fake.limits.check(key, method)
    if until is not None:
        extra["violation"] = True
        return too_many(max(1, int(until - time.time() + 0.999)))
    for window, scope in fake.pacing:
        wait = window.admit(key if scope == "chat" else f"bot:{bot.id}")
        if wait is not None:
            fake.limits.block(key, time.time() + math.ceil(wait))
            extra["paced"] = True
            return too_many(math.ceil(wait))
    fault = fake.faults.pick() if chat.type == "channel" else None
    extra["fault"] = fault
    if fault == F.RATE_LIMIT:
        fake.limits.block(key, time.time() + fake.faults.retry_after)
        return too_many(fake.faults.retry_after)
    if fault == F.SERVER_ERROR:
        raise BotAPIError(502, "Bad Gateway")
    if fault == F.DROP_BEFORE:
        return Reply(0, drop=True)
    return None


def _message_id(p: dict[str, Any]) -> int:
    raw = str(p.get("message_id", "")).strip()
    if not raw:
        raise BotAPIError(400, "Bad Request: message_id is empty")
    if not raw.isdigit():
        raise BotAPIError(400, "Bad Request: message identifier is not specified")
    return int(raw)


def _find(fake: TelegramFake, chat: Chat, message_id: int) -> dict[str, Any] | None:
    for record in fake.messages:
        if record["chat"] == chat.id and record["message_id"] == message_id:
            return None if record.get("deleted") else record
    return None


def _delete(fake: TelegramFake, record: dict[str, Any] | None) -> Reply:
    if record is None:
        raise BotAPIError(400, DELETE_NOT_FOUND)
    window = getattr(fake, "delete_window_seconds", DELETE_WINDOW_SECONDS)
    if time.time() - record["t"] > window:
        raise BotAPIError(400, CANT_DELETE)
    record["deleted"] = True
    record["deleted_t"] = time.time()
    return ok(True)


def _edit(fake: TelegramFake, bot: BotUser, chat: Chat, method: str,
          record: dict[str, Any] | None, p: dict[str, Any]) -> Reply:
    if record is None:
        raise BotAPIError(400, EDIT_NOT_FOUND)
    photo = record["method"] == "sendPhoto"
    shown: dict[str, Any]
    if method == "editMessageText":
        if photo:
            raise BotAPIError(400, NO_TEXT)
        new = text_message(p)
        plain, source = new.pop("plain"), new.pop("source")
        shown = {k: v for k, v in new.items() if not k.startswith("x_")}
    else:
        if not photo:
            raise BotAPIError(400, NO_CAPTION)
        source = str(p.get("caption", ""))
        plain, entities = parse_text(source, p.get("parse_mode"))
        if utf16_len(plain) > 1024:
            raise BotAPIError(400, CAPTION_TOO_LONG)
        shown = {"photo": photo_sizes(), "caption": plain}
        if entities:
            shown["caption_entities"] = entities
    if plain == record["text"] and source == record["html"]:
        raise BotAPIError(400, NOT_MODIFIED)
    record.update(text=plain, html=source, edit_count=record.get("edit_count", 0) + 1,
                  edited_t=time.time())
    data = message_json(chat, bot, record["message_id"], int(record["t"]), shown)
    data["edit_date"] = int(time.time())
    return ok(data)
