"""Translation of python-telegram-bot errors into the project's exception tree.

A timeout or a dropped connection is told apart by the httpx error ptb chained as ``__cause__``:
a connect or pool timeout, or a refused connection, means the request never left (transient); a
read/write timeout or a connection closed mid-answer means Telegram may have the message
(uncertain). Flood waits never reach ptb's ``RetryAfter`` (see ``telegram.FloodWait``).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    TelegramError,
    TimedOut,
)

from bot.domain.errors import (
    AuthError,
    EntityParseError,
    PermanentError,
    PublishError,
    RateLimitedError,
    TransientError,
    UncertainError,
    unreachable,
)

_NO_RIGHTS = (
    "need administrator rights",
    "not enough rights",
    "have no rights",
    "bot is not a member",
    "bot was kicked",
)
_NEVER_LEFT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class FloodWait(TelegramError):
    """A 429 answer, parsed by our request class before ptb builds its deprecated RetryAfter."""

    def __init__(self, payload: bytes) -> None:
        data: dict[str, Any] = {}
        try:
            loaded = json.loads(payload)
            data = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            pass
        parameters = data.get("parameters") or {}
        self.retry_after = float(parameters.get("retry_after") or 1)
        self.description = str(data.get("description") or "Too Many Requests")
        super().__init__(self.description)


def translate(exc: TelegramError, *, where: str = "api.telegram.org") -> PublishError:
    """The project error for a ptb error (the caller raises it ``from exc``); a transport
    failure reads as one line naming ``where`` (host) and why."""
    text = exc.message
    lower = text.lower()
    if isinstance(exc, FloodWait):
        return RateLimitedError(
            f"Telegram flood wait: retry after {exc.retry_after:g}s",
            retry_after=exc.retry_after,
            platform_message=exc.description,
        )
    if isinstance(exc, InvalidToken):
        return AuthError(f"Telegram rejected the bot token: {text}", platform_message=text)
    if isinstance(exc, Forbidden):
        return AuthError(f"Telegram refused the bot: {text}", platform_message=text)
    if isinstance(exc, BadRequest):
        if "can't parse entities" in lower:
            return EntityParseError(
                f"Telegram could not parse the HTML: {text}", platform_message=text
            )
        if any(phrase in lower for phrase in _NO_RIGHTS):
            return AuthError(f"Telegram refused the bot: {text}", platform_message=text)
        return PermanentError(f"Telegram refused the message: {text}", platform_message=text)
    if isinstance(exc, ChatMigrated):
        message = f"the chat moved to id {exc.new_chat_id}"
        return PermanentError(f"Telegram: {message}", platform_message=message)
    if isinstance(exc, TimedOut):
        if isinstance(exc.__cause__, _NEVER_LEFT):
            return TransientError(unreachable("Telegram not reached", where, exc))
        return UncertainError(unreachable("Telegram did not answer in time", where, exc))
    if isinstance(exc, NetworkError):
        cause = exc.__cause__
        if cause is None or isinstance(cause, TelegramError):  # Telegram answered with a 5xx status
            return TransientError(f"Telegram unavailable: {text}", platform_message=text)
        if isinstance(cause, _NEVER_LEFT):
            return TransientError(unreachable("Telegram not reached", where, exc))
        return UncertainError(unreachable("Telegram connection lost", where, exc))
    return PermanentError(f"Telegram error: {text}", platform_message=text)
