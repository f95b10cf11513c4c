"""Telegram publisher on python-telegram-bot: HTML messages, photos with captions, permalinks."""

from __future__ import annotations

from typing import Any

from telegram import Bot, LinkPreviewOptions, Message, ReplyParameters
from telegram.error import BadRequest, TelegramError
from telegram.request import HTTPXRequest, RequestData

from bot.compose import plain_text
from bot.domain.errors import EntityParseError, PermanentError
from bot.domain.models import PublishReceipt
from bot.domain.ports import PublishRequest, ReviseRequest
from bot.publish.telegram_errors import FloodWait, translate

_PREVIEWS = {
    "off": LinkPreviewOptions(is_disabled=True),
    "small": LinkPreviewOptions(prefer_small_media=True),
    "large": LinkPreviewOptions(prefer_large_media=True),
    "above": LinkPreviewOptions(prefer_large_media=True, show_above_text=True),
}


class _Request(HTTPXRequest):
    """ptb's httpx transport, answering 429 with ``FloodWait`` (no deprecated RetryAfter)."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        write_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: Any = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; a 429 becomes ``FloodWait`` carrying ``retry_after``."""
        code, payload = await super().do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if code == 429:
            raise FloodWait(payload)
        return code, payload


def permalink(chat: str, message_id: str) -> str | None:
    """``https://t.me/<username>/<id>``, or ``https://t.me/c/<id>/<msg>`` for -100 chat ids."""
    if chat.startswith("@"):
        return f"https://t.me/{chat[1:]}/{message_id}"
    if chat.startswith("-100") and chat[4:].isdigit():
        return f"https://t.me/c/{chat[4:]}/{message_id}"
    return None


def link_preview(option: str) -> LinkPreviewOptions:
    """The ptb options for ``off``, ``small``, ``large`` or ``above``."""
    try:
        return _PREVIEWS[option]
    except KeyError:
        raise ValueError(f"unknown link preview option {option!r}") from None


class TelegramPublisher:
    """Sends posts to Telegram channels through the Bot API (``Publisher`` port).

    ptb itself never retries; every failure is raised as a ``PublishError`` kind.
    """

    reconciles = False  # the Bot API cannot list a channel's history
    sends_photo_bytes = True  # a photo goes as the bytes fetched once, not as a URL to fetch

    def __init__(
        self,
        *,
        token: str,
        api_base_url: str = "https://api.telegram.org",
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        write_timeout: float = 10.0,
        pool_timeout: float = 5.0,
        pool_size: int = 16,
    ) -> None:
        self._request = _Request(
            connection_pool_size=pool_size,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            pool_timeout=pool_timeout,
            media_write_timeout=write_timeout,
        )
        base = api_base_url.rstrip("/")
        self._bot = Bot(
            token,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            request=self._request,
            get_updates_request=self._request,
        )

    async def publish(self, request: PublishRequest) -> PublishReceipt:
        """Send every part not in ``request.already_sent``; a photo carries the first part."""
        ids = list(request.already_sent)
        post = request.post
        photo: str | bytes | None = None if request.drop_image else (request.photo or post.image_url)
        image_error = None
        parse_mode = None if request.plain_text else (post.parse_mode or "HTML")
        preview = link_preview(request.link_preview)
        for index, part in enumerate(post.parts):
            if index < len(ids):
                continue
            if request.plain_text:  # after "can't parse entities": the words, no markup
                part = plain_text(part)
            try:
                message = await self._send(
                    request.chat, index, part, photo, parse_mode, preview
                )
            except TelegramError as exc:
                error = translate(exc)
                if index or not photo or not _photo_refused(error):
                    raise error from exc
                # a 400 made no message: the caption goes as a message, without the photo
                image_error = f"Telegram refused the photo: {error.platform_message}"
                photo = None
                try:
                    message = await self._send(request.chat, index, part, None, parse_mode, preview)
                except TelegramError as again:
                    raise translate(again) from again
            ids.append(str(message.message_id))
            if request.on_part_sent is not None:
                await request.on_part_sent(index, ids[-1])
        return PublishReceipt(tuple(ids), permalink(request.chat, ids[0]) if ids else None,
                              image_error=image_error)

    async def _send(
        self,
        chat: str,
        index: int,
        text: str,
        photo: str | bytes | None,
        parse_mode: str | None,
        preview: LinkPreviewOptions,
    ) -> Message:
        if index == 0 and photo:
            return await self._bot.send_photo(chat, photo, caption=text, parse_mode=parse_mode)
        return await self._bot.send_message(
            chat, text, parse_mode=parse_mode, link_preview_options=preview
        )

    async def find_published(self, request: PublishRequest) -> PublishReceipt | None:
        """Not possible: the Bot API cannot list a channel's history."""
        raise NotImplementedError("the Telegram Bot API cannot list a channel's messages")

    async def edit(self, request: ReviseRequest) -> tuple[str, ...]:
        """editMessageText on every message (editMessageCaption on a photo); message ids stay.

        "message is not modified" means the text is there already: done. A first message that
        turns out not to be what ``request.photo`` says (the photo was refused and the caption
        went as a message) is edited the other way. When the new text has fewer parts than
        there are messages, the extra messages keep their text.
        """
        assert request.post is not None
        for index, post_id in enumerate(request.post_ids):
            if index < len(request.done) or index >= len(request.post.parts):
                continue
            caption = index == 0 and request.photo
            try:
                try:
                    await self._edit_one(request, index, int(post_id), caption=caption)
                except BadRequest as exc:
                    lower = exc.message.lower()
                    if index == 0 and ("no caption in the message" in lower
                                       or "no text in the message" in lower):
                        await self._edit_one(request, index, int(post_id), caption=not caption)
                    else:
                        raise
            except BadRequest as exc:
                if "message is not modified" not in exc.message.lower():
                    raise translate(exc) from exc
            except TelegramError as exc:
                raise translate(exc) from exc
            if request.on_step is not None:
                await request.on_step(index, post_id)
        return request.post_ids

    async def _edit_one(self, request: ReviseRequest, index: int, message_id: int, *,
                        caption: bool) -> None:
        assert request.post is not None
        text = request.post.parts[index]
        parse_mode = request.post.parse_mode or "HTML"
        if caption:
            await self._bot.edit_message_caption(chat_id=request.chat, message_id=message_id,
                                                 caption=text, parse_mode=parse_mode)
        else:
            await self._bot.edit_message_text(text, chat_id=request.chat, message_id=message_id,
                                              parse_mode=parse_mode,
                                              link_preview_options=link_preview(
                                                  request.link_preview))

    async def reply(self, request: ReviseRequest) -> str:
        """Send the correction as a reply to the first message."""
        assert request.post is not None
        try:
            message = await self._bot.send_message(
                request.chat, request.post.text, parse_mode=request.post.parse_mode or "HTML",
                reply_parameters=ReplyParameters(int(request.post_ids[0])),
                link_preview_options=link_preview("off"))
        except TelegramError as exc:
            raise translate(exc) from exc
        return str(message.message_id)

    async def find_reply(self, request: ReviseRequest) -> str | None:
        """Not possible: the Bot API cannot list a channel's history."""
        raise NotImplementedError("the Telegram Bot API cannot list a channel's messages")

    async def delete(self, request: ReviseRequest) -> None:
        """deleteMessage for every message; "message to delete not found" means gone already."""
        for index, post_id in enumerate(request.post_ids):
            if post_id in request.done:
                continue
            try:
                await self._bot.delete_message(request.chat, int(post_id))
            except BadRequest as exc:
                if "message to delete not found" not in exc.message.lower():
                    raise translate(exc) from exc
            except TelegramError as exc:
                raise translate(exc) from exc
            if request.on_step is not None:
                await request.on_step(index, post_id)

    async def check(self, chat: str) -> str:
        """Verify the token and the chat (getMe, getChat); returns the chat's title."""
        try:
            await self._bot.get_me()
            found = await self._bot.get_chat(chat)
        except TelegramError as exc:
            raise translate(exc) from exc
        return found.title or found.username or str(found.id)

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._request.shutdown()


def _photo_refused(error: Exception) -> bool:
    """True when Telegram refused the photo itself (a 400 about the image, not the caption)."""
    if not isinstance(error, PermanentError) or isinstance(error, EntityParseError):
        return False
    said = error.platform_message.lower()
    return any(word in said for word in ("photo", "image", "http url content", "file identifier"))
