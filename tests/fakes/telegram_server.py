"""A strict fake of the Telegram Bot API: refuses what Telegram refuses, records what it delivers.

Methods: getMe, getChat, sendMessage, sendPhoto, getUpdates, deleteWebhook. HTML is checked by
the strict parser in ``tests.fakes.telegram_html``; text ≤ 4096 and captions ≤ 1024 UTF-16 units
after parsing. Run by hand: ``python -m tests.fakes.telegram_server --port 8081 --chat @news``.
Control: ``POST /_fake/incoming`` {"user_id", "text", "first_name"?, "username"?} queues a private
message for getUpdates; ``/_fake/state``, ``/_fake/config``, ``/_fake/reset`` as in httpbase.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import faults as F
from tests.fakes.httpbase import FakeApp, FakeServer, Reply, Request, serve_forever_cli
from tests.fakes.telegram_html import TelegramHTMLError, parse_telegram_html, utf16_len
from tests.fakes.telegram_objects import chat_json, entities_json, message_json, photo_sizes

DEFAULT_TOKEN = "123456:TEST-TOKEN"
MAX_TEXT = 4096
MAX_CAPTION = 1024
_SEND_METHODS = {"sendMessage", "sendPhoto"}
_PREVIEW_KEYS = {"is_disabled", "url", "prefer_small_media", "prefer_large_media", "show_above_text"}


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
class _Bot:
    id: int
    username: str


@dataclass
class TelegramConfig:
    """Bots (token → username), channels, and which channels refuse the bot."""

    tokens: dict[str, str] = field(default_factory=lambda: {DEFAULT_TOKEN: "crosspost_test_bot"})
    chats: tuple[str, ...] = ("@news",)
    kicked: tuple[str, ...] = ()
    not_admin: tuple[str, ...] = ()
    any_chat: bool = False
    max_poll_seconds: float = 1.0


class _Fail(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.reply = Reply(status, {"ok": False, "error_code": status, "description": description})


class TelegramFake(FakeApp):
    """The Bot API state machine; ``messages`` holds every delivered message."""

    name = "telegram-fake"

    def __init__(self, config: TelegramConfig | None = None, *, faults: F.FaultPlan | None = None):
        super().__init__(faults=faults)
        self.config = config or TelegramConfig()
        self.bots = {t: _Bot(int(t.split(":")[0]) if t.split(":")[0].isdigit() else 1, u)
                     for t, u in self.config.tokens.items()}
        self.chats: dict[int, Chat] = {}
        self.by_username: dict[str, Chat] = {}
        self.messages: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self._next_update = 1
        self._updates_changed = threading.Condition(self.lock)
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
            return _Fail(404, "Not Found").reply
        token, method = parts[0][3:], parts[1]
        extra: dict[str, Any] = {"api": method}
        try:
            bot = self.bots.get(token)
            if bot is None:
                raise _Fail(401, "Unauthorized")
            reply = self._method(bot, method, request.params, request.files, extra)
        except _Fail as fail:
            reply = fail.reply
        self.log(request, reply, **extra)
        return reply

    def _method(self, bot: _Bot, method: str, p: dict[str, Any], files: dict[str, bytes],
                extra: dict[str, Any]) -> Reply:
        if method == "getMe":
            me = {"id": bot.id, "is_bot": True, "first_name": bot.username, "username": bot.username,
                  "can_join_groups": True, "can_read_all_group_messages": False,
                  "supports_inline_queries": False}
            return _ok(me)
        if method == "deleteWebhook":
            return _ok(True)
        if method == "getUpdates":
            return _ok(self._get_updates(p))
        if method == "getChat":
            chat = self._chat(p)
            return _ok(chat_json(chat, full=True))
        if method in _SEND_METHODS:
            return self._send(bot, method, p, files, extra)
        raise _Fail(404, "Not Found")

    def _chat(self, p: dict[str, Any]) -> Chat:
        ref = str(p.get("chat_id", "")).strip()
        if not ref:
            raise _Fail(400, "Bad Request: chat_id is empty")
        chat = self._find(ref)
        if chat is None and self.config.any_chat and ref.startswith("@"):
            chat = self.add_chat(ref)
        if chat is None:
            raise _Fail(400, "Bad Request: chat not found")
        return chat

    def _send(self, bot: _Bot, method: str, p: dict[str, Any], files: dict[str, bytes],
              extra: dict[str, Any]) -> Reply:
        chat = self._chat(p)
        extra["chat"] = chat.id
        key = f"chat:{chat.id}"
        until = self.limits.check(key, method)
        if until is not None:
            extra["violation"] = True
            return _too_many(max(1, int(until - time.time() + 0.999)))
        fault = self.faults.pick() if chat.type == "channel" else None
        extra["fault"] = fault
        if fault == F.RATE_LIMIT:
            self.limits.block(key, time.time() + self.faults.retry_after)
            return _too_many(self.faults.retry_after)
        if fault == F.SERVER_ERROR:
            raise _Fail(502, "Bad Gateway")
        if fault == F.DROP_BEFORE:
            return Reply(0, drop=True)
        if chat.kicked:
            raise _Fail(403, "Forbidden: bot was kicked from the channel chat")
        if chat.not_admin:
            raise _Fail(400, "Bad Request: need administrator rights in the channel chat")
        if method == "sendMessage":
            record = self._text_message(p)
        else:
            record = self._photo_message(p, files)
        with self.lock:
            message_id = chat.next_message_id
            chat.next_message_id += 1
            now = time.time()
            self.messages.append({"chat": chat.id, "chat_username": chat.username,
                                  "message_id": message_id, "t": now, "method": method,
                                  "text": record.pop("plain"), "html": record.pop("source"),
                                  **{k: v for k, v in record.items() if k.startswith("x_")}})
        extra["message_id"] = message_id
        body = _ok(message_json(chat, bot, message_id, int(now), record))
        if fault == F.SLOW:
            body.delay = self.faults.slow_seconds
        elif fault == F.DROP_AFTER:
            body.drop = True
        return body

    def _text_message(self, p: dict[str, Any]) -> dict[str, Any]:
        source = str(p.get("text", ""))
        plain, entities = self._parse(source, p.get("parse_mode"))
        if not plain.strip():
            raise _Fail(400, "Bad Request: message text is empty")
        if utf16_len(plain) > MAX_TEXT:
            raise _Fail(400, "Bad Request: message is too long")
        record: dict[str, Any] = {"plain": plain, "source": source, "text": plain}
        if entities:
            record["entities"] = entities
        preview = p.get("link_preview_options")
        if preview is not None:
            record["link_preview_options"] = record["x_link_preview"] = _preview(preview)
        return record

    def _photo_message(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        photo = p.get("photo")
        if "photo" in files:
            photo = f"upload:{len(files['photo'])}"
        elif not photo:
            raise _Fail(400, "Bad Request: there is no photo in the request")
        elif not str(photo).startswith(("http://", "https://")):
            raise _Fail(400, "Bad Request: wrong remote file identifier specified")
        elif "/404" in str(photo):
            raise _Fail(400, "Bad Request: failed to get HTTP URL content")
        source = str(p.get("caption", ""))
        plain, entities = self._parse(source, p.get("parse_mode"))
        if utf16_len(plain) > MAX_CAPTION:
            raise _Fail(400, "Bad Request: message caption is too long")
        record: dict[str, Any] = {"plain": plain, "source": source, "photo": photo_sizes(),
                                  "x_photo": str(photo)}
        if plain:
            record["caption"] = plain
        if entities:
            record["caption_entities"] = entities
        return record

    @staticmethod
    def _parse(source: str, parse_mode: Any) -> tuple[str, list[dict[str, Any]]]:
        if parse_mode in (None, ""):
            return source, []
        if str(parse_mode).upper() != "HTML":
            raise _Fail(400, "Bad Request: unsupported parse_mode")
        try:
            plain, entities = parse_telegram_html(source)
        except TelegramHTMLError as exc:
            message = exc.message
            raise _Fail(400, "Bad Request: " + message[:1].lower() + message[1:]) from exc
        return plain, entities_json(entities)

    def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(p.get("offset") or 0)
        limit = int(p.get("limit") or 100)
        wait = min(float(p.get("timeout") or 0), self.config.max_poll_seconds)
        deadline = time.monotonic() + wait
        with self._updates_changed:
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and not self.stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._updates_changed.wait(min(left, 0.1))
            return self.updates[:limit]

    def incoming(self, user_id: int, text: str, *, first_name: str = "Staff",
                 username: str | None = None) -> dict[str, Any]:
        """Queue a private message from a user to the bot, as getUpdates will return it."""
        with self._updates_changed:
            chat = self.chats.get(user_id)
            if chat is None:
                chat = Chat(user_id, type="private", username=username, first_name=first_name)
                self.chats[user_id] = chat
            message_id = chat.next_message_id
            chat.next_message_id += 1
            user = {"id": user_id, "is_bot": False, "first_name": first_name}
            if username:
                user["username"] = username
            update = {"update_id": self._next_update,
                      "message": {"message_id": message_id, "date": int(time.time()),
                                  "chat": chat_json(chat), "from": user, "text": text}}
            self._next_update += 1
            self.updates.append(update)
            self._updates_changed.notify_all()
            return update

    def control(self, name: str, request: Request) -> Reply:
        """``POST /_fake/incoming``: a user writes to the bot."""
        if name == "incoming" and request.method == "POST":
            p = request.params
            update = self.incoming(int(p["user_id"]), str(p["text"]),
                                   first_name=str(p.get("first_name", "Staff")),
                                   username=p.get("username"))
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
            data["messages"] = list(self.messages)
            data["chats"] = [chat_json(c) | {"kicked": c.kicked, "not_admin": c.not_admin}
                             for c in self.chats.values()]
        return data

    def reset(self) -> None:
        """Forget requests, messages, updates and limits (chats stay)."""
        super().reset()
        with self.lock:
            self.messages.clear()
            self.updates.clear()


def _ok(result: Any) -> Reply:
    return Reply(200, {"ok": True, "result": result})


def _too_many(seconds: int) -> Reply:
    return Reply(429, {"ok": False, "error_code": 429,
                       "description": f"Too Many Requests: retry after {seconds}",
                       "parameters": {"retry_after": seconds}})


def _preview(raw: Any) -> dict[str, Any]:
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        value = None
    if not isinstance(value, dict) or not set(value) <= _PREVIEW_KEYS:
        raise _Fail(400, "Bad Request: can't parse link preview options JSON object")
    return value


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
    F.add_fault_arguments(parser)
    args = parser.parse_args(argv)
    tokens = {t: f"crosspost_test_bot{i or ''}" for i, t in enumerate(args.token or [DEFAULT_TOKEN])}
    config = TelegramConfig(tokens=tokens, chats=tuple(args.chat or ["@news"]),
                            kicked=tuple(args.kicked), not_admin=tuple(args.not_admin),
                            any_chat=args.any_chat)
    app = TelegramFake(config, faults=F.plan_from_arguments(args))
    server = FakeServer(app, host=args.host, port=args.port)
    serve_forever_cli(server, f"telegram fake: tokens {list(tokens)}, chats {list(config.chats)}")


if __name__ == "__main__":
    main()
