"""Incoming updates of the fake Bot API: private messages injected by tests, read by getUpdates."""

from __future__ import annotations

import threading
import time
from typing import Any


class UpdateQueue:
    """Updates waiting for ``getUpdates``; confirmed (dropped) by a later ``offset``."""

    def __init__(self, stopping: threading.Event, *, max_poll_seconds: float = 1.0) -> None:
        self.updates: list[dict[str, Any]] = []
        self._next_id = 1
        self._changed = threading.Condition()
        self._stopping = stopping
        self.max_poll_seconds = max_poll_seconds

    def add(self, message: dict[str, Any]) -> dict[str, Any]:
        """Queue one ``message`` update; returns it with its ``update_id``."""
        with self._changed:
            update = {"update_id": self._next_id, "message": message}
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
        with self._changed:
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and not self._stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(min(left, 0.1))
            return self.updates[:limit]

    def clear(self) -> None:
        """Drop every pending update."""
        with self._changed:
            self.updates.clear()
