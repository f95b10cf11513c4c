"""What the fake Bot API checks in a message before delivering it, and its error answers."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.httpbase import Reply
from tests.fakes.telegram_html import TelegramHTMLError, parse_telegram_html, utf16_len
from tests.fakes.telegram_objects import entities_json, photo_sizes

MAX_TEXT = 4096
MAX_CAPTION = 1024
_PREVIEW_KEYS = {
    "is_disabled",
    "url",
    "prefer_small_media",
    "prefer_large_media",
    "show_above_text",
}


class BotAPIError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code", "description"}``."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.reply = Reply(status, {"ok": False, "error_code": status, "description": description})


def text_message(p: dict[str, Any]) -> dict[str, Any]:
    """A sendMessage: parsed text within 4096 UTF-16 units, link preview options."""
    source = str(p.get("text", ""))
    plain, entities = parse_text(source, p.get("parse_mode"))
    if not plain.strip():
        raise BotAPIError(400, "Bad Request: message text is empty")
    if utf16_len(plain) > MAX_TEXT:
        raise BotAPIError(400, "Bad Request: message is too long")
    record: dict[str, Any] = {"plain": plain, "source": source, "text": plain}
    if entities:
        record["entities"] = entities
    preview = p.get("link_preview_options")
    if preview is not None:
        record["link_preview_options"] = record["x_link_preview"] = preview_options(preview)
    return record


def _check_photo_upload(data: bytes) -> None:
    """An uploaded photo must be an image Telegram can process, within its dimensions."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            width, height = image.size
    except Exception:
        raise BotAPIError(400, "Bad Request: IMAGE_PROCESS_FAILED") from None
    if width + height > 10_000 or max(width, height) > 20 * min(width, height):
        raise BotAPIError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")


def photo_message(p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
    """A sendPhoto: a photo URL or upload, caption within 1024 UTF-16 units."""
    photo = p.get("photo")
    if "photo" in files:
        _check_photo_upload(files["photo"])
        photo = f"upload:{len(files['photo'])}"
    elif not photo:
        raise BotAPIError(400, "Bad Request: there is no photo in the request")
    elif not str(photo).startswith(("http://", "https://")):
        raise BotAPIError(400, "Bad Request: wrong remote file identifier specified")
    elif "/404" in str(photo):
        raise BotAPIError(400, "Bad Request: failed to get HTTP URL content")
    source = str(p.get("caption", ""))
    plain, entities = parse_text(source, p.get("parse_mode"))
    if utf16_len(plain) > MAX_CAPTION:
        raise BotAPIError(400, "Bad Request: message caption is too long")
    record: dict[str, Any] = {
        "plain": plain,
        "source": source,
        "photo": photo_sizes(),
        "x_photo": str(photo),
    }
    if plain:
        record["caption"] = plain
    if entities:
        record["caption_entities"] = entities
    return record


def parse_text(source: str, parse_mode: Any) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of ``source`` in ``parse_mode`` (HTML or none)."""
    if parse_mode in (None, ""):
        return source, []
    if str(parse_mode).upper() != "HTML":
        raise BotAPIError(400, "Bad Request: unsupported parse_mode")
    try:
        plain, entities = parse_telegram_html(source)
    except TelegramHTMLError as exc:
        message = exc.message
        raise BotAPIError(400, "Bad Request: " + message[:1].lower() + message[1:]) from exc
    return plain, entities_json(entities)


def ok(result: Any) -> Reply:
    """A successful Bot API answer."""
    return Reply(200, {"ok": True, "result": result})


def too_many(seconds: int) -> Reply:
    """A 429 flood-wait answer with ``parameters.retry_after``."""
    return Reply(
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {seconds}",
            "parameters": {"retry_after": seconds},
        },
    )


def preview_options(raw: Any) -> dict[str, Any]:
    """Validated ``link_preview_options`` (a JSON object of known keys)."""
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        value = None
    if not isinstance(value, dict) or not set(value) <= _PREVIEW_KEYS:
        raise BotAPIError(400, "Bad Request: can't parse link preview options JSON object")
    return value
