"""The fake Bot API's inline keyboards, button presses, callback answers and message edits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.httpbase import FakeServer
from tests.fakes.telegram_server import DEFAULT_TOKEN, TelegramFake

USER = 42


@pytest.fixture
def api(telegram_server: FakeServer) -> Iterator[httpx.Client]:
    """A raw HTTP client on the fake."""
    with httpx.Client(base_url=telegram_server.url, timeout=5) as client:
        yield client


def call(client: httpx.Client, method: str, **params: Any) -> tuple[int, Any]:
    """POST a form-encoded Bot API call (as python-telegram-bot does)."""
    response = client.post(f"/bot{DEFAULT_TOKEN}/{method}", data=params)
    return response.status_code, response.json()


def keyboard(*rows: list[dict[str, Any]]) -> str:
    """A ``reply_markup`` form value."""
    return json.dumps({"inline_keyboard": list(rows)})


def private_message(api: httpx.Client, text: str = "Approve?", **extra: Any) -> dict[str, Any]:
    """A private chat with USER, and a bot message in it with one button."""
    api.post("/_fake/incoming", json={"user_id": USER, "text": "/start"})
    markup = keyboard([{"text": "Approve", "callback_data": "ap:1:*"}])
    status, body = call(api, "sendMessage", chat_id=USER, text=text,
                        reply_markup=extra.pop("reply_markup", markup), **extra)
    assert status == 200, body
    result: dict[str, Any] = body["result"]
    return result


@pytest.mark.parametrize(("button", "error"), [
    ({"text": "Only text"}, "Text buttons are unallowed in the inline keyboard"),
    ({"text": "Long", "callback_data": "x" * 65}, "BUTTON_DATA_INVALID"),
    ({"text": "Empty", "callback_data": ""}, "BUTTON_DATA_INVALID"),
    ({"text": "", "callback_data": "a"}, 'Field "text" must be of type String'),
    ({"text": "Two", "callback_data": "a", "url": "https://e.org"}, "BUTTON_TYPE_INVALID"),
    ({"text": "Link", "url": "ftp://e.org"}, "BUTTON_URL_INVALID"),
])
def test_bad_inline_buttons_are_refused(api: httpx.Client, button: dict[str, Any],
                                        error: str) -> None:
    """Buttons Telegram refuses (no action, data over 64 bytes, two actions…) get 400."""
    status, body = call(api, "sendMessage", chat_id="@news", text="x", reply_markup=keyboard([button]))
    assert status == 400
    assert error in body["description"]


def test_markup_must_be_a_keyboard_object(api: httpx.Client) -> None:
    """A reply_markup that is not JSON, or not a keyboard, is refused; 64-byte data passes."""
    for raw in ("{not json", "[1]", json.dumps({"inline_keyboard": [{"text": "a"}]})):
        assert call(api, "sendMessage", chat_id="@news", text="x", reply_markup=raw)[0] == 400
    ok = keyboard([{"text": "Ж", "callback_data": "ж" * 32}])  # 64 bytes in UTF-8
    status, body = call(api, "sendMessage", chat_id="@news", text="x", reply_markup=ok)
    assert status == 200
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ж" * 32


def test_press_arrives_through_get_updates_and_is_answered_once(
        api: httpx.Client, telegram_server: FakeServer) -> None:
    """A press becomes a callback_query update carrying the message; its id answers once."""
    fake = telegram_server.app
    assert isinstance(fake, TelegramFake)
    sent = private_message(api)
    _, first = call(api, "getUpdates", timeout=0)
    offset = first["result"][-1]["update_id"] + 1
    api.post("/_fake/press", json={"user_id": USER, "chat_id": USER,
                                   "message_id": sent["message_id"], "data": "ap:1:*"})
    _, body = call(api, "getUpdates", offset=offset, timeout=0)
    [update] = body["result"]
    query = update["callback_query"]
    assert query["data"] == "ap:1:*" and query["from"]["id"] == USER
    assert query["message"]["message_id"] == sent["message_id"]
    assert query["message"]["reply_markup"] == sent["reply_markup"]
    status, answered = call(api, "answerCallbackQuery", callback_query_id=query["id"],
                            text="Approved", show_alert="false")
    assert (status, answered["result"]) == (200, True)
    again = call(api, "answerCallbackQuery", callback_query_id=query["id"])
    assert again[0] == 400 and "query is too old" in again[1]["description"]
    assert call(api, "answerCallbackQuery", callback_query_id="123")[0] == 400
    [record] = fake.state()["callback_answers"]
    assert record["answer"]["text"] == "Approved" and record["answer"]["show_alert"] is False


def test_answer_text_is_at_most_200_characters(api: httpx.Client,
                                               telegram_server: FakeServer) -> None:
    """answerCallbackQuery refuses a notification longer than 200 characters."""
    fake = telegram_server.app
    assert isinstance(fake, TelegramFake)
    sent = private_message(api)
    update = fake.press(USER, USER, sent["message_id"], "ap:1:*")
    query_id = update["callback_query"]["id"]
    status, body = call(api, "answerCallbackQuery", callback_query_id=query_id, text="x" * 201)
    assert (status, body["description"]) == (400, "Bad Request: MESSAGE_TOO_LONG")
    assert call(api, "answerCallbackQuery", callback_query_id=query_id, text="x" * 200)[0] == 200


def test_only_a_button_on_the_message_can_be_pressed(api: httpx.Client,
                                                     telegram_server: FakeServer) -> None:
    """Data no button carries, or a message without buttons, cannot be pressed."""
    fake = telegram_server.app
    assert isinstance(fake, TelegramFake)
    sent = private_message(api)
    with pytest.raises(ValueError, match="no button"):
        fake.press(USER, USER, sent["message_id"], "rj:1")
    response = api.post("/_fake/press", json={"user_id": USER, "chat_id": USER,
                                               "message_id": 999, "data": "ap:1:*"})
    assert response.status_code == 400


def test_edit_text_and_remove_buttons(api: httpx.Client, telegram_server: FakeServer) -> None:
    """editMessageText changes the text (checked as HTML) and, without reply_markup, drops the
    buttons; the old version is kept in ``edits``; pressing a removed button is impossible."""
    fake = telegram_server.app
    assert isinstance(fake, TelegramFake)
    sent = private_message(api)
    status, body = call(api, "editMessageText", chat_id=USER, message_id=sent["message_id"],
                        text="<b>Approved</b> by Ann", parse_mode="HTML")
    assert status == 200, body
    assert body["result"]["text"] == "Approved by Ann" and "edit_date" in body["result"]
    assert "reply_markup" not in body["result"]
    [message] = [m for m in fake.state()["messages"] if m["chat"] == USER]
    assert message["text"] == "Approved by Ann" and message["reply_markup"] is None
    assert message["edits"][0]["text"] == "Approve?"
    with pytest.raises(ValueError):
        fake.press(USER, USER, sent["message_id"], "ap:1:*")
    bad = call(api, "editMessageText", chat_id=USER, message_id=sent["message_id"],
               text="<p>x</p>", parse_mode="HTML")
    assert bad[0] == 400 and "can't parse entities" in bad[1]["description"]


def test_edit_reply_markup_only(api: httpx.Client) -> None:
    """editMessageReplyMarkup swaps the keyboard; an empty keyboard removes it."""
    sent = private_message(api)
    new = keyboard([{"text": "Approve tg", "callback_data": "ap:1:5"}])
    status, body = call(api, "editMessageReplyMarkup", chat_id=USER,
                        message_id=sent["message_id"], reply_markup=new)
    assert status == 200, body
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Approve tg"
    assert body["result"]["text"] == "Approve?"
    status, body = call(api, "editMessageReplyMarkup", chat_id=USER,
                        message_id=sent["message_id"], reply_markup=keyboard())
    assert status == 200 and "reply_markup" not in body["result"]


def test_unchanged_edit_and_unknown_messages_are_refused(api: httpx.Client) -> None:
    """An edit that changes nothing, a message that does not exist, and a user's own message
    are refused with Telegram's words."""
    sent = private_message(api)
    same = call(api, "editMessageText", chat_id=USER, message_id=sent["message_id"],
                text="Approve?", reply_markup=sent_markup(sent))
    assert same[0] == 400 and same[1]["description"].startswith("Bad Request: message is not modified")
    missing = call(api, "editMessageText", chat_id=USER, message_id=500, text="x")
    assert missing[1]["description"] == "Bad Request: message to edit not found"
    users = call(api, "editMessageText", chat_id=USER, message_id=1, text="x")  # the /start
    assert users[1]["description"] == "Bad Request: message can't be edited"


def sent_markup(message: dict[str, Any]) -> str:
    """The keyboard a sent message carries, as a form value."""
    return json.dumps(message["reply_markup"])


def test_channel_posts_can_be_edited_too(api: httpx.Client, telegram_server: FakeServer) -> None:
    """The same editMessageText works on a channel post the bot made."""
    status, body = call(api, "sendMessage", chat_id="@news", text="Frist post")
    assert status == 200
    status, edited = call(api, "editMessageText", chat_id="@news",
                          message_id=body["result"]["message_id"], text="First post")
    assert status == 200 and edited["result"]["text"] == "First post"
    assert telegram_server.app.state()["messages"][0]["text"] == "First post"  # type: ignore[attr-defined]


def test_updates_the_bot_did_not_ask_for_are_not_delivered(
        api: httpx.Client, telegram_server: FakeServer) -> None:
    """With allowed_updates=["message"], a button press never reaches getUpdates."""
    fake = telegram_server.app
    assert isinstance(fake, TelegramFake)
    sent = private_message(api)
    _, first = call(api, "getUpdates", timeout=0, allowed_updates='["message"]')
    offset = first["result"][-1]["update_id"] + 1
    fake.press(USER, USER, sent["message_id"], "ap:1:*")
    assert call(api, "getUpdates", offset=offset, timeout=0)[1]["result"] == []
    fake.press(USER, USER, sent["message_id"], "ap:1:*")
    _, body = call(api, "getUpdates", offset=offset, timeout=0,
                   allowed_updates='["message", "callback_query"]')
    assert [list(u)[1] for u in body["result"]] == ["callback_query"]
