"""Fault injection and announced-limit bookkeeping shared by the fake platform servers.

A ``FaultPlan`` decides, per write request, whether to misbehave: answer 429, answer 5xx, deliver
and then answer too slowly, or drop the connection (before or after delivering). Decisions come
from a seeded RNG at ``rate``, after any faults queued explicitly with ``queue``. A ``Limits``
ledger remembers every retry_after / reset the fake announced and records a violation when a
client comes back too early.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

RATE_LIMIT = "429"
SERVER_ERROR = "5xx"
SLOW = "slow"
DROP_BEFORE = "drop_before"
DROP_AFTER = "drop_after"
ALL_FAULTS = (RATE_LIMIT, SERVER_ERROR, SLOW, DROP_BEFORE, DROP_AFTER)
NO_FAULT = "none"


@dataclass
class FaultPlan:
    """When and how a fake misbehaves; thread-safe, deterministic for one request order."""

    rate: float = 0.0
    seed: int | None = None
    kinds: tuple[str, ...] = ALL_FAULTS
    slow_seconds: float = 2.0
    retry_after: int = 1
    _rng: random.Random = field(init=False, repr=False)
    _queued: deque[str] = field(init=False, repr=False, default_factory=deque)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for kind in self.kinds:
            _check_kind(kind)
        self._rng = random.Random(self.seed)

    def queue(self, kinds: Iterable[str | None]) -> None:
        """Make the next requests take these faults in order (``None``/"none" = behave)."""
        with self._lock:
            for kind in kinds:
                kind = kind or NO_FAULT
                if kind != NO_FAULT:
                    _check_kind(kind)
                self._queued.append(kind)

    def pick(self) -> str | None:
        """The fault for the next write request, or ``None`` to behave."""
        with self._lock:
            if self._queued:
                kind = self._queued.popleft()
                return None if kind == NO_FAULT else kind
            if self.rate <= 0 or not self.kinds:
                return None
            if self._rng.random() >= self.rate:
                return None
            return self._rng.choice(self.kinds)

    def configure(self, values: dict[str, Any]) -> None:
        """Change settings at run time: rate, seed, kinds, slow_seconds, retry_after, next."""
        with self._lock:
            if "rate" in values:
                self.rate = float(values["rate"])
            if "kinds" in values:
                kinds = values["kinds"]
                kinds = kinds.split(",") if isinstance(kinds, str) else kinds
                for kind in kinds:
                    _check_kind(kind)
                self.kinds = tuple(kinds)
            if "slow_seconds" in values:
                self.slow_seconds = float(values["slow_seconds"])
            if "retry_after" in values:
                self.retry_after = int(values["retry_after"])
            if "seed" in values:
                self.seed = values["seed"]
                self._rng = random.Random(self.seed)
        if "next" in values:
            self.queue(values["next"])

    def describe(self) -> dict[str, Any]:
        """Current settings as JSON-ready data."""
        with self._lock:
            return {
                "rate": self.rate,
                "seed": self.seed,
                "kinds": list(self.kinds),
                "slow_seconds": self.slow_seconds,
                "retry_after": self.retry_after,
                "queued": list(self._queued),
            }


def _check_kind(kind: str) -> None:
    if kind not in ALL_FAULTS:
        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(ALL_FAULTS)}")


class Limits:
    """Announced "not before" times per key, and the violations of them."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self.violations: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def block(self, key: str, until: float) -> None:
        """Announce that ``key`` may not be used before the epoch time ``until``."""
        with self._lock:
            self._until[key] = max(until, self._until.get(key, 0.0))

    def check(self, key: str, path: str, now: float | None = None) -> float | None:
        """The announced end if ``key`` is still blocked (recording a violation), else ``None``."""
        now = time.time() if now is None else now
        with self._lock:
            until = self._until.get(key)
            if until is None:
                return None
            if now >= until:
                del self._until[key]
                return None
            self.violations.append(
                {
                    "t": now,
                    "key": key,
                    "path": path,
                    "blocked_until": until,
                    "early_by": until - now,
                }
            )
            return until

    def blocked(self) -> dict[str, float]:
        """Keys blocked now and until when."""
        now = time.time()
        with self._lock:
            return {k: v for k, v in self._until.items() if v > now}

    def clear(self) -> None:
        """Forget every announced limit and violation."""
        with self._lock:
            self._until.clear()
            self.violations.clear()


def add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    """The fault options every fake's command line takes."""
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of faulty writes")
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault RNG")
    parser.add_argument("--faults", default=",".join(ALL_FAULTS), help="comma-separated kinds")
    parser.add_argument("--slow-seconds", type=float, default=2.0, help="delay of a slow answer")
    parser.add_argument("--retry-after", type=int, default=1, help="seconds announced with 429")


def plan_from_arguments(args: argparse.Namespace) -> FaultPlan:
    """Build the fault plan from ``add_fault_arguments`` options."""
    kinds = tuple(k for k in args.faults.split(",") if k)
    return FaultPlan(
        rate=args.fault_rate,
        seed=args.seed,
        kinds=kinds,
        slow_seconds=args.slow_seconds,
        retry_after=args.retry_after,
    )


class SlidingWindow:
    """At most ``limit`` events per ``seconds`` per key: how a platform's own pacing behaves."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, key: str, now: float | None = None) -> float | None:
        """Record an event and return ``None``, or return seconds until one would be allowed."""
        now = time.time() if now is None else now
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.seconds:
                events.popleft()
            if len(events) >= self.limit:
                return events[0] + self.seconds - now
            events.append(now)
            return None
