"""Bot API JSON objects the fake Telegram server answers with (shapes as the Bot API documents)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Chat:
    """A chat the fake knows: a channel (negative id) or a user who wrote to the bot."""

    id: int
    type: str = "channel"
    username: str | None = None
    title: str | None = None
    first_name: str | None = None
    kicked: bool = False
    not_admin: bool = False
    next_message_id: int = 1


@dataclass
class BotUser:
    """The bot itself, as getMe describes it."""

    id: int
    username: str


_GIFTS = {
    "unlimited_gifts": False,
    "limited_gifts": False,
    "unique_gifts": False,
    "premium_subscription": False,
    "gifts_from_channels": False,
}


def chat_json(chat: Chat, *, full: bool = False) -> dict[str, Any]:
    """A ``Chat`` (or with ``full``, a ``ChatFullInfo``) object."""
    data: dict[str, Any] = {"id": chat.id, "type": chat.type}
    if chat.title:
        data["title"] = chat.title
    if chat.username:
        data["username"] = chat.username
    if chat.first_name:
        data["first_name"] = chat.first_name
    if full:
        data.update(accent_color_id=0, max_reaction_count=11, accepted_gift_types=dict(_GIFTS))
    return data


def entities_json(entities: Iterable[Any]) -> list[dict[str, Any]]:
    """``MessageEntity`` objects from the parser's entities (``None`` fields left out)."""
    return [{k: v for k, v in asdict(e).items() if v is not None} for e in entities]


def message_json(
    chat: Chat, bot: BotUser, message_id: int, date: int, record: dict[str, Any]
) -> dict[str, Any]:
    """A ``Message`` as sent by the bot: a channel post, or a reply in a private chat."""
    data: dict[str, Any] = {"message_id": message_id, "date": date, "chat": chat_json(chat)}
    if chat.type == "channel":
        data["sender_chat"] = chat_json(chat)
    else:
        data["from"] = {
            "id": bot.id,
            "is_bot": True,
            "first_name": bot.username,
            "username": bot.username,
        }
    for key in ("text", "entities", "link_preview_options", "photo", "caption", "caption_entities",
                "reply_markup"):
        if key in record:
            data[key] = record[key]
    return data


def photo_sizes() -> list[dict[str, Any]]:
    """The ``PhotoSize`` list Telegram returns for a sent photo."""
    return [
        {
            "file_id": "AgACAgQAAx0Cfake-s",
            "file_unique_id": "AQADs",
            "width": 90,
            "height": 60,
            "file_size": 1200,
        },
        {
            "file_id": "AgACAgQAAx0Cfake-m",
            "file_unique_id": "AQADm",
            "width": 800,
            "height": 533,
            "file_size": 48000,
        },
    ]
