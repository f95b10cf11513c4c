"""Incoming updates of the fake Bot API: private messages and button presses injected by tests,
read by getUpdates (``allowed_updates`` filters them as Telegram does)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue:
    """Updates waiting for ``getUpdates``; confirmed (dropped) by a later ``offset``."""

    def __init__(self, stopping: threading.Event, *, max_poll_seconds: float = 1.0) -> None:
        self.updates: list[dict[str, Any]] = []
        self._next_id = 1
        self._changed = threading.Condition()
        self._stopping = stopping
        self.max_poll_seconds = max_poll_seconds
        self.allowed: frozenset[str] | None = None  # None: Telegram's default set

    def add(self, message: dict[str, Any]) -> dict[str, Any]:
        """Queue one ``message`` update; returns it with its ``update_id``."""
        return self.add_update("message", message)

    def add_update(self, kind: str, value: dict[str, Any]) -> dict[str, Any]:
        """Queue one update of ``kind`` (``message``, ``callback_query``); returns it."""
        with self._changed:
            update = {"update_id": self._next_id, kind: value}
            self._next_id += 1
            self.updates.append(update)
            self._changed.notify_all()
            return update

    def get(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        """getUpdates: confirm below ``offset``, wait up to ``timeout`` (capped), return ≤ limit."""
        offset = int(p.get("offset") or 0)
        limit = int(p.get("limit") or 100)
        wait = min(float(p.get("timeout") or 0), self.max_poll_seconds)
        deadline = time.monotonic() + wait
        raw = p.get("allowed_updates")
        with self._changed:
            if raw not in (None, ""):  # remembered until the next call that sets it
                kinds = json.loads(raw) if isinstance(raw, str) else raw
                self.allowed = frozenset(kinds) if kinds else None
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while True:
                # updates of kinds the bot did not ask for are never delivered
                self.updates = [u for u in self.updates if self._wanted(u)]
                left = deadline - time.monotonic()
                if self.updates or self._stopping.is_set() or left <= 0:
                    return self.updates[:limit]
                self._changed.wait(min(left, 0.1))

    def _wanted(self, update: dict[str, Any]) -> bool:
        kind = next(k for k in update if k != "update_id")
        return kind in self.allowed if self.allowed is not None else kind not in _NOT_BY_DEFAULT

    def clear(self) -> None:
        """Drop every pending update."""
        with self._changed:
            self.updates.clear()
