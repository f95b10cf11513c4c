"""A strict fake of the Telegram Bot API: refuses what Telegram refuses, records what it delivers.

Methods: getMe, getChat, sendMessage, sendPhoto, getUpdates, deleteWebhook, answerCallbackQuery,
editMessageText, editMessageReplyMarkup, and for channel posts (see ``telegram_revise``, with
faults and pacing) editMessageText, editMessageCaption, deleteMessage. HTML is checked by the
strict parser in ``tests.fakes.telegram_html``; text ≤ 4096 and captions ≤ 1024 UTF-16 units
after parsing; ``reply_markup`` must be a valid inline keyboard or ``ForceReply``
(``tests.fakes.telegram_keyboards``; a message records its ``force_reply``).
A message the bot sent (to a channel or a private chat) can be edited; an edit that changes
nothing is refused as Telegram refuses it. Run by hand:
``python -m tests.fakes.telegram_server --port 8081 --chat @news``.
Control: ``POST /_fake/incoming`` {"user_id", "text", "first_name"?, "username"?} queues a private
message for getUpdates; ``POST /_fake/press`` {"user_id", "chat_id", "message_id", "data"} presses
an inline button (a ``callback_query`` update); ``/_fake/state``, ``/_fake/config``,
``/_fake/reset`` as in httpbase.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import faults as F
from tests.fakes.httpbase import FakeApp, FakeServer, Reply, Request, serve_forever_cli
from tests.fakes.telegram_checks import (
    BotAPIError,
    ok,
    parse_text,
    photo_message,
    text_message,
    too_many,
)
from tests.fakes.telegram_html import utf16_len
from tests.fakes.telegram_keyboards import (
    CallbackQueries,
    callback_data_of,
    force_reply,
    inline_markup,
)
from tests.fakes.telegram_objects import BotUser, Chat, chat_json, message_json
from tests.fakes.telegram_revise import REVISE_METHODS, revise
from tests.fakes.telegram_updates import UpdateQueue

DEFAULT_TOKEN = "123456:TEST-TOKEN"
_SEND_METHODS = {"sendMessage", "sendPhoto"}


@dataclass
class TelegramConfig:
    """Bots (token → username), channels, and which channels refuse the bot."""

    tokens: dict[str, str] = field(default_factory=lambda: {DEFAULT_TOKEN: "crosspost_test_bot"})
    chats: tuple[str, ...] = ("@news",)
    kicked: tuple[str, ...] = ()
    not_admin: tuple[str, ...] = ()
    any_chat: bool = False
    max_poll_seconds: float = 1.0
    chat_per_minute: int | None = None  # Telegram's ~20/min per chat, enforced when set
    bot_per_second: int | None = None  # Telegram's ~30/s per bot, enforced when set


class TelegramFake(FakeApp):
    """The Bot API state machine; ``messages`` holds every delivered message."""

    name = "telegram-fake"

    def __init__(self, config: TelegramConfig | None = None, *, faults: F.FaultPlan | None = None):
        super().__init__(faults=faults)
        self.config = config or TelegramConfig()
        self.bots = {
            t: BotUser(int(t.split(":")[0]) if t.split(":")[0].isdigit() else 1, u)
            for t, u in self.config.tokens.items()
        }
        self.chats: dict[int, Chat] = {}
        self.by_username: dict[str, Chat] = {}
        self.messages: list[dict[str, Any]] = []
        self._sent: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, message id) → message
        self.callbacks = CallbackQueries()
        self.updates = UpdateQueue(self.stopping, max_poll_seconds=self.config.max_poll_seconds)
        self.pacing = [
            (F.SlidingWindow(limit, seconds), scope)
            for limit, seconds, scope in (
                (self.config.chat_per_minute, 60.0, "chat"),
                (self.config.bot_per_second, 1.0, "bot"),
            )
            if limit
        ]
        for ref in self.config.chats:
            self.add_chat(ref)
        for ref in self.config.kicked:
            self.add_chat(ref).kicked = True
        for ref in self.config.not_admin:
            self.add_chat(ref).not_admin = True

    def add_chat(self, ref: str | int) -> Chat:
        """Know a channel by ``@username`` or numeric id (created if new)."""
        with self.lock:
            found = self._find(str(ref))
            if found:
                return found
            text = str(ref)
            chat_id = int(text) if text.lstrip("-").isdigit() else -1001000000000 - len(self.chats) - 1
            username = text[1:] if text.startswith("@") else None
            chat = Chat(chat_id, username=username, title=(username or text).title())
            self.chats[chat.id] = chat
            if username:
                self.by_username[username.lower()] = chat
            return chat

    def _find(self, ref: str) -> Chat | None:
        if ref.startswith("@"):
            return self.by_username.get(ref[1:].lower())
        if ref.lstrip("-").isdigit():
            return self.chats.get(int(ref))
        return None

    def handle(self, request: Request) -> Reply:
        """Route ``/bot<token>/<method>``."""
        parts = request.path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return BotAPIError(404, "Not Found").reply
        token, method = parts[0][3:], parts[1]
        extra: dict[str, Any] = {"api": method}
        try:
            bot = self.bots.get(token)
            if bot is None:
                raise BotAPIError(401, "Unauthorized")
            reply = self._method(bot, method, request.params, request.files, extra)
        except BotAPIError as fail:
            reply = fail.reply
        self.log(request, reply, **extra)
        return reply

    def _method(
        self,
        bot: BotUser,
        method: str,
        p: dict[str, Any],
        files: dict[str, bytes],
        extra: dict[str, Any],
    ) -> Reply:
        if method == "getMe":
            me = {
                "id": bot.id,
                "is_bot": True,
                "first_name": bot.username,
                "username": bot.username,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
            return ok(me)
        if method == "deleteWebhook":
            return ok(True)
        if method == "getUpdates":
            return ok(self.updates.get(p))
        if method == "getChat":
            chat = self._chat(p)
            return ok(chat_json(chat, full=True))
        if method in _SEND_METHODS:
            return self._send(bot, method, p, files, extra)
        if method in REVISE_METHODS and (method != "editMessageText" or self._channel_post(p)):
            return revise(self, bot, method, p, extra)
        if method == "answerCallbackQuery":
            with self.lock:
                query = self.callbacks.answer(p)
            extra["callback_query"] = query.id
            return ok(True)
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return self._edit(bot, method, p, extra)
        raise BotAPIError(404, "Not Found")

    def _channel_post(self, p: dict[str, Any]) -> bool:
        """True when a call names a channel (its posts are edited by ``telegram_revise``)."""
        chat = self._find(str(p.get("chat_id", "")).strip())
        return chat is not None and chat.type == "channel" and not p.get("reply_markup")

    def _chat(self, p: dict[str, Any]) -> Chat:
        ref = str(p.get("chat_id", "")).strip()
        if not ref:
            raise BotAPIError(400, "Bad Request: chat_id is empty")
        chat = self._find(ref)
        if chat is None and self.config.any_chat and ref.startswith("@"):
            chat = self.add_chat(ref)
        if chat is None:
            raise BotAPIError(400, "Bad Request: chat not found")
        return chat

    def _send(
        self,
        bot: BotUser,
        method: str,
        p: dict[str, Any],
        files: dict[str, bytes],
        extra: dict[str, Any],
    ) -> Reply:
        chat = self._chat(p)
        extra["chat"] = chat.id
        key = f"chat:{chat.id}"
        until = self.limits.check(key, method)
        if until is not None:
            extra["violation"] = True
            return too_many(max(1, int(until - time.time() + 0.999)))
        for window, scope in self.pacing:
            wait = window.admit(key if scope == "chat" else f"bot:{bot.id}")
            if wait is not None:
                self.limits.block(key, time.time() + math.ceil(wait))
                extra["paced"] = True
                return too_many(math.ceil(wait))
        fault = self.faults.pick() if chat.type == "channel" else None
        extra["fault"] = fault
        if fault == F.RATE_LIMIT:
            self.limits.block(key, time.time() + self.faults.retry_after)
            return too_many(self.faults.retry_after)
        if fault == F.SERVER_ERROR:
            raise BotAPIError(502, "Bad Gateway")
        if fault == F.DROP_BEFORE:
            return Reply(0, drop=True)
        if chat.kicked:
            raise BotAPIError(403, "Forbidden: bot was kicked from the channel chat")
        if chat.not_admin:
            raise BotAPIError(400, "Bad Request: need administrator rights in the channel chat")
        record = text_message(p) if method == "sendMessage" else photo_message(p, files)
        markup = inline_markup(p.get("reply_markup"))
        if markup is not None:
            record["reply_markup"] = markup
        forced = force_reply(p.get("reply_markup"))
        with self.lock:
            message_id = chat.next_message_id
            chat.next_message_id += 1
            now = time.time()
            stored = {
                "chat": chat.id,
                "chat_username": chat.username,
                "message_id": message_id,
                "t": now,
                "method": method,
                "text": record.pop("plain"),
                "html": record.pop("source"),
                **{k: v for k, v in record.items() if k.startswith("x_")},
                "reply_markup": record.get("reply_markup"),
                "force_reply": forced,
                "x_record": {k: v for k, v in record.items() if not k.startswith("x_")},
            }
            self.messages.append(stored)
            self._sent[(chat.id, message_id)] = stored
        extra["message_id"] = message_id
        body = ok(message_json(chat, bot, message_id, int(now), record))
        if fault == F.SLOW:
            body.delay = self.faults.slow_seconds
        elif fault == F.DROP_AFTER:
            body.drop = True
        return body

    def _edit(self, bot: BotUser, method: str, p: dict[str, Any], extra: dict[str, Any]) -> Reply:
        """editMessageText / editMessageReplyMarkup of a message this bot sent (any chat)."""
        if p.get("inline_message_id"):
            raise BotAPIError(400, "Bad Request: message to edit not found")
        chat = self._chat(p)
        try:
            message_id = int(p.get("message_id") or 0)
        except (TypeError, ValueError):
            raise BotAPIError(400, "Bad Request: message identifier is not specified") from None
        if not message_id:
            raise BotAPIError(400, "Bad Request: message identifier is not specified")
        markup = inline_markup(p.get("reply_markup"))
        new_text: dict[str, Any] | None = None
        if method == "editMessageText":
            source = str(p.get("text", ""))
            plain, entities = parse_text(source, p.get("parse_mode"))
            if not plain.strip():
                raise BotAPIError(400, "Bad Request: message text is empty")
            if utf16_len(plain) > 4096:
                raise BotAPIError(400, "Bad Request: MESSAGE_TOO_LONG")
            new_text = {"plain": plain, "source": source, "entities": entities}
        extra.update(chat=chat.id, message_id=message_id)
        with self.lock:
            stored = self._sent.get((chat.id, message_id))
            if stored is None:
                if message_id < chat.next_message_id:
                    raise BotAPIError(400, "Bad Request: message can't be edited")
                raise BotAPIError(400, "Bad Request: message to edit not found")
            if new_text is not None and stored["method"] != "sendMessage":
                raise BotAPIError(400, "Bad Request: there is no text in the message to edit")
            record = stored["x_record"]
            old_markup = stored.get("reply_markup")
            new_markup = markup if markup and markup["inline_keyboard"] else None
            same_text = new_text is None or (
                new_text["plain"] == stored["text"]
                and new_text["entities"] == record.get("entities", []))
            if same_text and new_markup == old_markup:
                raise BotAPIError(400, "Bad Request: message is not modified: specified new "
                                       "message content and reply markup are exactly the same "
                                       "as a current content and reply markup of the message")
            stored.setdefault("edits", []).append(
                {"t": time.time(), "text": stored["text"], "html": stored["html"],
                 "reply_markup": old_markup})
            if new_text is not None:
                stored["text"], stored["html"] = new_text["plain"], new_text["source"]
                record["text"] = new_text["plain"]
                record.pop("entities", None)
                if new_text["entities"]:
                    record["entities"] = new_text["entities"]
            if method == "editMessageText" and markup is None:
                new_markup = None  # Telegram drops the keyboard unless the edit repeats it
            stored["reply_markup"] = new_markup
            record.pop("reply_markup", None)
            if new_markup is not None:
                record["reply_markup"] = new_markup
            stored["edit_date"] = int(time.time())
            body = message_json(chat, bot, message_id, int(stored["t"]), record)
            body["edit_date"] = stored["edit_date"]
        return ok(body)

    def press(self, user_id: int, chat_id: int, message_id: int, data: str, *,
              first_name: str = "Staff", username: str | None = None,
              stale: bool = False) -> dict[str, Any]:
        """A user presses an inline button of a bot message: queue a ``callback_query`` update.

        Only data that a button of the message carries can be pressed (Telegram sends nothing
        else); ``ValueError`` otherwise. With ``stale``, a button the message carried before an
        edit counts too: the user's app had not shown the edit yet when they pressed.
        """
        with self.lock:
            stored = self._sent.get((chat_id, message_id))
            if stored is None:
                raise ValueError(f"no bot message {chat_id}/{message_id}")
            offered = callback_data_of(stored.get("reply_markup"))
            if stale:
                for old in stored.get("edits", []):
                    offered |= callback_data_of(old["reply_markup"])
            if data not in offered:
                raise ValueError(f"message {chat_id}/{message_id} has no button {data!r}")
            chat = self.chats[chat_id]
            bot = next(iter(self.bots.values()))
            message = message_json(chat, bot, message_id, int(stored["t"]), stored["x_record"])
            if "edit_date" in stored:
                message["edit_date"] = stored["edit_date"]
            query = self.callbacks.new(user_id, chat_id, message_id, data)
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        return self.updates.add_update("callback_query", {
            "id": query.id, "from": user, "message": message,
            "chat_instance": str(abs(chat_id) * 7919 % 10**12), "data": data})

    def incoming(
        self, user_id: int, text: str, *, first_name: str = "Staff", username: str | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """Queue a private message from a user to the bot, as getUpdates will return it; with
        ``reply_to``, a reply to that message of the bot in the chat (``ValueError`` when the
        bot sent no such message there)."""
        with self.lock:
            chat = self.chats.get(user_id)
            if chat is None:
                chat = Chat(user_id, type="private", username=username, first_name=first_name)
                self.chats[user_id] = chat
            replied: dict[str, Any] | None = None
            if reply_to is not None:
                stored = self._sent.get((chat.id, reply_to))
                if stored is None:
                    raise ValueError(f"no bot message {chat.id}/{reply_to}")
                bot = next(iter(self.bots.values()))
                replied = message_json(chat, bot, reply_to, int(stored["t"]), stored["x_record"])
            message_id = chat.next_message_id
            chat.next_message_id += 1
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat_json(chat),
            "from": user,
            "text": text,
        }
        if replied is not None:
            message["reply_to_message"] = replied
        return self.updates.add(message)

    def control(self, name: str, request: Request) -> Reply:
        """``POST /_fake/incoming``: a user writes to the bot."""
        if name == "incoming" and request.method == "POST":
            p = request.params
            update = self.incoming(
                int(p["user_id"]),
                str(p["text"]),
                first_name=str(p.get("first_name", "Staff")),
                username=p.get("username"),
            )
            return Reply(200, update)
        if name == "press" and request.method == "POST":
            p = request.params
            try:
                update = self.press(int(p["user_id"]), int(p["chat_id"]), int(p["message_id"]),
                                    str(p["data"]))
            except ValueError as exc:
                return Reply(400, {"error": str(exc)})
            return Reply(200, update)
        return super().control(name, request)

    def configure(self, values: dict[str, Any]) -> None:
        """Also: ``kicked``/``not_admin``/``chats`` lists of chat refs, ``any_chat`` flag."""
        super().configure(values)
        for ref in values.get("chats", []):
            self.add_chat(ref)
        for ref in values.get("kicked", []):
            self.add_chat(ref).kicked = True
        for ref in values.get("not_admin", []):
            self.add_chat(ref).not_admin = True
        for ref in values.get("restore", []):
            chat = self.add_chat(ref)
            chat.kicked = chat.not_admin = False
        if "any_chat" in values:
            self.config.any_chat = bool(values["any_chat"])

    def state(self) -> dict[str, Any]:
        """Requests, violations, faults, plus ``messages`` and ``chats``."""
        data = super().state()
        with self.lock:
            data["messages"] = [{k: v for k, v in m.items() if k != "x_record"}
                                for m in self.messages]
            data["callback_answers"] = [
                {"id": q.id, "user_id": q.user_id, "data": q.data, "answer": q.answer}
                for q in self.callbacks.queries.values()]
            data["chats"] = [
                chat_json(c) | {"kicked": c.kicked, "not_admin": c.not_admin} for c in self.chats.values()
            ]
        return data

    def reset(self) -> None:
        """Forget requests, messages, updates and limits (chats stay)."""
        super().reset()
        with self.lock:
            self.messages.clear()
            self._sent.clear()
            self.callbacks.clear()
            self.updates.clear()


def main(argv: list[str] | None = None) -> None:
    """Command line: serve a fake Bot API until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.telegram_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", action="append", help="bot token (repeatable)")
    parser.add_argument("--chat", action="append", help="channel @username or -100 id")
    parser.add_argument("--kicked", action="append", default=[], help="chat the bot was kicked from")
    parser.add_argument("--not-admin", action="append", default=[], help="chat without admin rights")
    parser.add_argument("--any-chat", action="store_true", help="accept every @username chat")
    parser.add_argument("--chat-per-minute", type=int, help="enforce N messages/min per chat")
    parser.add_argument("--bot-per-second", type=int, help="enforce N messages/s per bot")
    F.add_fault_arguments(parser)
    args = parser.parse_args(argv)
    tokens = {t: f"crosspost_test_bot{i or ''}" for i, t in enumerate(args.token or [DEFAULT_TOKEN])}
    config = TelegramConfig(
        tokens=tokens,
        chats=tuple(args.chat or ["@news"]),
        kicked=tuple(args.kicked),
        not_admin=tuple(args.not_admin),
        any_chat=args.any_chat,
        chat_per_minute=args.chat_per_minute,
        bot_per_second=args.bot_per_second,
    )
    app = TelegramFake(config, faults=F.plan_from_arguments(args))
    server = FakeServer(app, host=args.host, port=args.port)
    serve_forever_cli(server, f"telegram fake: tokens {list(tokens)}, chats {list(config.chats)}")


if __name__ == "__main__":
    main()
