"""Sliding-window pacing: at most ``limit`` sends per ``period`` seconds. Pure."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class SlidingWindow:
    """Remembers recent send times and says how long to wait before the next one."""

    limit: int
    period: float
    _times: deque[float] = field(default_factory=deque)

    def wait_time(self, now: float) -> float:
        """Seconds until one more send fits (0 when it fits now)."""
        while self._times and self._times[0] <= now - self.period:
            self._times.popleft()
        if len(self._times) < self.limit:
            return 0.0
        return self._times[0] + self.period - now

    def record(self, now: float) -> None:
        """Count a send made at ``now``."""
        self._times.append(now)
