"""Logging set-up: readable lines by default, JSON lines with ``--log-format json``."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class TextFormatter(logging.Formatter):
    """``2026-01-05 09:00:00 INFO published article=3 target=tg-main``."""

    def format(self, record: logging.LogRecord) -> str:
        """One readable line with the record's fields as key=value."""
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%d %H:%M:%S")
        fields = " ".join(f"{k}={_short(v)}" for k, v in _fields(record).items())
        line = f"{stamp} {record.levelname:<7} {record.getMessage()}"
        if fields:
            line += " " + fields
        if _with_stack(record):
            line += "\n" + self.formatException(record.exc_info)  # type: ignore[arg-type]
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, event, and the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        data.update(_fields(record))
        if _with_stack(record):
            data["exception"] = self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(data, default=str, ensure_ascii=False)


def _with_stack(record: logging.LogRecord) -> bool:
    """An unexpected error (logged at ERROR or above with its exception) always carries its
    stack, so a production log can be debugged; lesser records only with ``-v``."""
    if not record.exc_info:
        return False
    return record.levelno >= logging.ERROR or logging.getLogger().isEnabledFor(logging.DEBUG)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _RESERVED and not k.startswith("_")}


def _short(value: Any) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text


def setup_logging(fmt: str = "text", *, verbose: bool = False, daemon: bool = True) -> None:
    """Send the project's logs to stderr in the chosen format: the daemon logs what it does
    (INFO); other commands only warnings and errors, unless ``verbose`` (DEBUG)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO if daemon else logging.WARNING)
    for noisy in ("httpx", "httpcore", "apscheduler", "telegram", "tweepy", "urllib3",
                  "alembic", "requests_oauthlib", "oauthlib", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
