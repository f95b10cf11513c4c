"""Inline keyboards and callback queries of the fake Bot API, checked as Telegram checks them.

``inline_markup`` validates a ``reply_markup`` parameter (JSON text or object): an
``InlineKeyboardMarkup`` whose buttons each have non-empty ``text`` and exactly one action field,
``callback_data`` 1–64 bytes; a ``ForceReply`` (``force_reply``) is checked too, and kept
apart from the inline keyboard. ``CallbackQueries`` hands out ``callback_query`` ids for button
presses and accepts each ``answerCallbackQuery`` once, within Telegram's answer window.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram_checks import BotAPIError

MAX_CALLBACK_DATA = 64
MAX_ANSWER_TEXT = 200
MAX_PLACEHOLDER = 64
ANSWER_WINDOW_SECONDS = 15.0
"""Telegram drops a query not answered within about 15 seconds ("query is too old")."""

_ACTIONS = {"url", "callback_data", "web_app", "login_url", "switch_inline_query",
            "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
            "copy_text", "callback_game", "pay"}
_MARKUP_ERROR = "Bad Request: can't parse reply keyboard markup JSON object"


def _decoded(raw: Any) -> Any:
    """A ``reply_markup`` parameter decoded from JSON (``None`` when absent); what the Bot API
    cannot parse is refused as it refuses it."""
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise BotAPIError(400, _MARKUP_ERROR) from None


def inline_markup(raw: Any) -> dict[str, Any] | None:
    """The validated ``InlineKeyboardMarkup`` of ``raw`` (``None`` when absent); an empty
    keyboard (``{"inline_keyboard": []}``) is kept: it removes the buttons of an edited message."""
    value = _decoded(raw)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BotAPIError(400, _MARKUP_ERROR)
    if "inline_keyboard" not in value:
        if "force_reply" in value:
            force_reply(value)
            return None
        if {"keyboard", "remove_keyboard"} & set(value):
            return None  # reply keyboards are not inline; the fake does not model them
        raise BotAPIError(400, _MARKUP_ERROR)
    rows = value["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise BotAPIError(400, "Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup "
                               "should be an Array of Arrays")
    return {"inline_keyboard": [[_button(b) for b in row] for row in rows]}


def force_reply(raw: Any) -> dict[str, Any] | None:
    """The validated ``ForceReply`` of a ``reply_markup`` (``None`` when it is not one):
    ``force_reply`` must be true, ``input_field_placeholder`` 1–64 characters."""
    value = _decoded(raw)
    if not isinstance(value, dict) or "force_reply" not in value:
        return None
    if value["force_reply"] is not True:
        raise BotAPIError(400, _MARKUP_ERROR)
    placeholder = value.get("input_field_placeholder")
    if placeholder is not None and (not isinstance(placeholder, str)
                                    or not 1 <= len(placeholder) <= MAX_PLACEHOLDER):
        raise BotAPIError(400, "Bad Request: REPLY_MARKUP_INVALID")
    return {k: value[k] for k in ("force_reply", "input_field_placeholder", "selective")
            if k in value}


def _button(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BotAPIError(400, "Bad Request: can't parse inline keyboard button: "
                               "InlineKeyboardButton must be an Object")
    text = raw.get("text")
    if not isinstance(text, str) or not text:
        raise BotAPIError(400, "Bad Request: can't parse inline keyboard button: "
                               "Field \"text\" must be of type String")
    actions = [k for k in raw if k in _ACTIONS]
    if not actions:
        raise BotAPIError(400, "Bad Request: can't parse inline keyboard button: "
                               "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise BotAPIError(400, "Bad Request: BUTTON_TYPE_INVALID")
    data = raw.get("callback_data")
    if "callback_data" in raw and (
            not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA):
        raise BotAPIError(400, "Bad Request: BUTTON_DATA_INVALID")
    if "url" in raw and not str(raw["url"]).startswith(("http://", "https://", "tg://")):
        raise BotAPIError(400, "Bad Request: BUTTON_URL_INVALID")
    return {k: v for k, v in raw.items() if k == "text" or k in _ACTIONS}


def callback_data_of(markup: dict[str, Any] | None) -> set[str]:
    """Every ``callback_data`` of a keyboard (what a press may carry)."""
    if not markup:
        return set()
    return {b["callback_data"] for row in markup["inline_keyboard"] for b in row
            if "callback_data" in b}


@dataclass
class Query:
    """One button press waiting for (or given) its ``answerCallbackQuery``."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    at: float
    answer: dict[str, Any] | None = None


@dataclass
class CallbackQueries:
    """Queries by id; each may be answered once, within ``window`` seconds."""

    window: float = ANSWER_WINDOW_SECONDS
    queries: dict[str, Query] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(4_000_000_001))

    def new(self, user_id: int, chat_id: int, message_id: int, data: str) -> Query:
        """Record a press; returns the query with its fresh id."""
        query = Query(str(next(self._ids)), user_id, chat_id, message_id, data, time.time())
        self.queries[query.id] = query
        return query

    def answer(self, p: dict[str, Any]) -> Query:
        """answerCallbackQuery: a known, unanswered, recent query; text ≤ 200 characters."""
        query = self.queries.get(str(p.get("callback_query_id", "")))
        if query is None or query.answer is not None or time.time() - query.at > self.window:
            raise BotAPIError(400, "Bad Request: query is too old and response timeout expired "
                                   "or query ID is invalid")
        text = str(p.get("text") or "")
        if len(text) > MAX_ANSWER_TEXT:
            raise BotAPIError(400, "Bad Request: MESSAGE_TOO_LONG")
        alert = p.get("show_alert")
        query.answer = {"text": text, "show_alert": alert in (True, "true", "True", "1"),
                        "t": time.time()}
        return query

    def clear(self) -> None:
        """Forget every query."""
        self.queries.clear()
