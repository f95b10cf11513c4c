"""The Telegram adapter through the real python-telegram-bot client to the strict fake Bot API."""

from __future__ import annotations

import socket

import pytest

from bot.domain.errors import (
    AuthError,
    EntityParseError,
    PermanentError,
    RateLimitedError,
    TransientError,
    UncertainError,
)
from bot.domain.models import Platform
from bot.publish.telegram import TelegramPublisher
from tests.fakes.faults import FaultPlan
from tests.fakes.fixtures import MakeTelegram
from tests.fakes.httpbase import FakeServer
from tests.fakes.telegram_server import TelegramConfig
from tests.publish.conftest import request_for, tg_publisher

pytestmark = pytest.mark.anyio
TG = Platform.TELEGRAM


async def test_html_message_is_delivered_with_permalink(
    tg: TelegramPublisher, telegram_server: FakeServer
) -> None:
    """One HTML part becomes one message; the receipt has its id and the t.me permalink."""
    receipt = await tg.publish(request_for(TG, "<b>Flood</b> warning &amp; more"))
    assert receipt.post_ids == ("1",)
    assert receipt.permalink == "https://t.me/news/1"
    [message] = telegram_server.app.messages
    assert message["text"] == "Flood warning & more"
    assert message["x_link_preview"] == {"prefer_small_media": True}


async def test_photo_then_follow_up_messages(
    tg: TelegramPublisher, telegram_server: FakeServer
) -> None:
    """An image post is a sendPhoto with the first part as caption, then one message per part."""
    seen: list[tuple[int, str]] = []

    async def on_part_sent(index: int, post_id: str) -> None:
        seen.append((index, post_id))

    request = request_for(
        TG,
        "<i>Caption</i>",
        "More text",
        image_url="https://e.org/a.jpg",
        on_part_sent=on_part_sent,
    )
    receipt = await tg.publish(request)
    assert receipt.post_ids == ("1", "2")
    assert seen == [(0, "1"), (1, "2")]
    photo, follow_up = telegram_server.app.messages
    assert (photo["method"], photo["text"], photo["x_photo"]) == (
        "sendPhoto",
        "Caption",
        "https://e.org/a.jpg",
    )
    assert (follow_up["method"], follow_up["text"]) == ("sendMessage", "More text")


@pytest.mark.parametrize(("photo", "said"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(40), "IMAGE_PROCESS_FAILED"),
    (None, "failed to get HTTP URL content"),
])
async def test_refused_photo_sends_the_caption_as_a_message(
    tg: TelegramPublisher, telegram_server: FakeServer, photo: bytes | None, said: str
) -> None:
    """A photo Telegram refuses (broken bytes, an unreachable URL) leaves the text to go as a
    message; the receipt says why the photo did not go."""
    request = request_for(TG, "Caption", image_url="https://e.org/404.jpg", photo=photo)
    receipt = await tg.publish(request)
    assert said.lower() in (receipt.image_error or "").lower()
    (message,) = telegram_server.app.messages
    assert (message["method"], message["text"]) == ("sendMessage", "Caption")


async def test_resume_sends_only_parts_not_already_sent(
    tg: TelegramPublisher, telegram_server: FakeServer
) -> None:
    """Parts listed in ``already_sent`` are not sent again; the receipt keeps their ids."""
    receipt = await tg.publish(request_for(TG, "one", "two", "three", already_sent=("41",)))
    assert receipt.post_ids == ("41", "1", "2")
    assert [m["text"] for m in telegram_server.app.messages] == ["two", "three"]
    assert receipt.permalink == "https://t.me/news/41"


async def test_numeric_channel_id_gets_private_link(make_telegram_server: MakeTelegram) -> None:
    """A -100… chat id yields a ``t.me/c/<id>/<msg>`` permalink."""
    server = make_telegram_server(TelegramConfig(chats=("-1001234567890",)))
    publisher = tg_publisher(server)
    try:
        receipt = await publisher.publish(request_for(TG, "hi", chat="-1001234567890"))
    finally:
        await publisher.aclose()
    assert receipt.permalink == "https://t.me/c/1234567890/1"


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("off", {"is_disabled": True}),
        ("large", {"prefer_large_media": True}),
        ("above", {"prefer_large_media": True, "show_above_text": True}),
    ],
)
async def test_link_preview_options_reach_telegram(
    tg: TelegramPublisher, telegram_server: FakeServer, option: str, expected: dict[str, bool]
) -> None:
    """The target's link preview choice is sent as Bot API link_preview_options."""
    await tg.publish(request_for(TG, "see https://e.org", link_preview=option))
    assert telegram_server.app.messages[0]["x_link_preview"] == expected


async def test_plain_text_is_sent_without_parse_mode(
    tg: TelegramPublisher, telegram_server: FakeServer
) -> None:
    """``plain_text`` (the retry after "can't parse entities") sends the words without markup:
    tags dropped, entities unescaped, a link's address kept after its label."""
    html = '<b>Title</b> &amp; more <a href="https://e.org/s">Read more</a>'
    await tg.publish(request_for(TG, html, plain_text=True))
    assert telegram_server.app.messages[0]["text"] == "Title & more Read more (https://e.org/s)"


async def test_bad_token_is_auth_error(telegram_server: FakeServer) -> None:
    """An unknown token (401 Unauthorized) is an AuthError."""
    publisher = tg_publisher(telegram_server, token="999:WRONG")
    try:
        with pytest.raises(AuthError):
            await publisher.publish(request_for(TG, "hi"))
    finally:
        await publisher.aclose()


async def test_unknown_chat_is_permanent_with_platform_message(tg: TelegramPublisher) -> None:
    """ "chat not found" is permanent and keeps Telegram's words."""
    with pytest.raises(PermanentError) as info:
        await tg.publish(request_for(TG, "hi", chat="@nowhere"))
    assert "chat not found" in info.value.platform_message.lower()
    assert type(info.value) is PermanentError


@pytest.mark.parametrize("config_key", ["kicked", "not_admin"])
async def test_bot_removed_or_not_admin_is_auth_error(
    make_telegram_server: MakeTelegram, config_key: str
) -> None:
    """A kicked bot (403) or one without admin rights (400) pauses the target: AuthError."""
    server = make_telegram_server(TelegramConfig(**{config_key: ("@news",)}))
    publisher = tg_publisher(server)
    try:
        with pytest.raises(AuthError):
            await publisher.publish(request_for(TG, "hi"))
    finally:
        await publisher.aclose()


async def test_unparsable_html_is_entity_parse_error(tg: TelegramPublisher) -> None:
    """Telegram's "can't parse entities" becomes EntityParseError (retried as plain text)."""
    with pytest.raises(EntityParseError) as info:
        await tg.publish(request_for(TG, "x < y <p>para</p>"))
    assert "parse entities" in info.value.platform_message


@pytest.mark.parametrize(
    ("parts", "image", "words"),
    [
        (("a" * 4097,), None, "message is too long"),
        (("a" * 1025,), "https://e.org/a.jpg", "caption is too long"),
    ],
)
async def test_too_long_is_permanent(
    tg: TelegramPublisher, parts: tuple[str, ...], image: str | None, words: str
) -> None:
    """Text over 4096 or a caption over 1024 is refused for good."""
    with pytest.raises(PermanentError) as info:
        await tg.publish(request_for(TG, *parts, image_url=image))
    assert words in info.value.platform_message.lower()


async def test_flood_wait_gives_retry_after(make_telegram_server: MakeTelegram) -> None:
    """A 429 becomes RateLimitedError with Telegram's retry_after seconds."""
    server = make_telegram_server(faults=FaultPlan(retry_after=7))
    server.app.faults.queue(["429"])
    publisher = tg_publisher(server)
    try:
        with pytest.raises(RateLimitedError) as info:
            await publisher.publish(request_for(TG, "hi"))
    finally:
        await publisher.aclose()
    assert info.value.retry_after == 7
    assert server.app.messages == []


@pytest.mark.parametrize(
    ("fault", "kind", "delivered"),
    [
        ("5xx", TransientError, False),
        ("slow", UncertainError, True),
        ("drop_after", UncertainError, True),
        ("drop_before", UncertainError, False),
    ],
)
async def test_faults_map_to_kinds_without_resending(
    make_telegram_server: MakeTelegram, fault: str, kind: type[Exception], delivered: bool
) -> None:
    """5xx is transient; a timeout or a dropped answer is uncertain; ptb never resends."""
    server = make_telegram_server(faults=FaultPlan(slow_seconds=2.0))
    server.app.faults.queue([fault])
    publisher = tg_publisher(server, read_timeout=0.3)
    try:
        with pytest.raises(kind):
            await publisher.publish(request_for(TG, "hi"))
    finally:
        await publisher.aclose()
    sends = [r for r in server.app.requests if r.get("api") == "sendMessage"]
    assert len(sends) == 1
    assert len(server.app.messages) == (1 if delivered else 0)


async def test_connection_refused_is_transient(anyio_backend: str) -> None:
    """Nobody listening: the request never left, so it is safe to retry."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    publisher = tg_publisher(f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(TransientError):
            await publisher.publish(request_for(TG, "hi"))
    finally:
        await publisher.aclose()


async def test_find_published_is_not_possible(tg: TelegramPublisher) -> None:
    """The Bot API cannot list channel history: reconciliation says so."""
    with pytest.raises(NotImplementedError):
        await tg.find_published(request_for(TG, "hi"))


async def test_check_verifies_token_and_chat(tg: TelegramPublisher) -> None:
    """``check`` reads getMe and getChat, and names the channel."""
    assert await tg.check("@news") == "News"
    with pytest.raises(PermanentError):
        await tg.check("@nowhere")
