"""Several workers on one PostgreSQL database: this worker's share of the targets.

Each worker beats (a heartbeat row) every quarter of a lease time, renews the leases it holds,
and computes the fair split of the enabled targets over the live workers
(``bot.domain.shares``). It hands over what is no longer its share (after the send in hand)
and takes what is: a lease that is free or has expired. A worker killed with SIGKILL stops
renewing; its leases expire within a lease time and the others take its targets, first
settling the sends it left ``sending`` exactly as a restart does.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.domain.shares import fair_shares
from bot.store.leases import TTL_SHARE, LeaseStore

SAFETY = 0.8
"""Share of a lease time after a renewal during which this worker still starts sends (the
rest is margin for clocks and a claim in flight)."""


@dataclass(frozen=True)
class Step:
    """What one heartbeat found: leases lost, targets to hand over, targets to take."""

    lost: set[str]
    release: set[str]
    acquire: set[str]


class Crew:
    """This worker's membership: its id, the targets it owns and how long it may trust that."""

    def __init__(self, *, leases: LeaseStore) -> None:
        self.leases = leases
        self.owned: set[str] = set()
        self.live: list[str] = []
        self._valid_until = 0.0

    @classmethod
    def on(cls, engine: Engine, lease_seconds: float) -> Crew:
        """A crew member with a fresh id (host, pid and a random suffix)."""
        host = socket.gethostname()
        pid = os.getpid()
        worker = f"{host}:{pid}:{uuid.uuid4().hex[:6]}"
        return cls(leases=LeaseStore(engine=engine, worker=worker, host=host, pid=pid,
                                     lease_seconds=lease_seconds))

    @property
    def worker(self) -> str:
        """This worker's id."""
        return self.leases.worker

    @property
    def beat_seconds(self) -> float:
        """How often the worker beats: a quarter of a lease time."""
        return self.leases.lease_seconds / 4

    def owns(self, target: str) -> bool:
        """True while this worker holds ``target``'s lease with time to spare."""
        return target in self.owned and time.monotonic() < self._valid_until

    def step(self, targets: Collection[str]) -> Step:
        """Beat, renew, and work out the hand-overs (runs in a worker thread)."""
        started = time.monotonic()
        self.live = self.leases.beat()
        held = self.leases.renew(self.owned)
        lost = self.owned - held
        self.owned = held
        self._valid_until = started + self.leases.lease_seconds * TTL_SHARE * SAFETY
        share = fair_shares(targets, self.live)
        mine = {t for t, w in share.items() if w == self.worker}
        return Step(lost=lost, release=held - mine, acquire=mine - held)

    def took(self, targets: Collection[str]) -> None:
        """Count ``targets`` (just acquired and settled) as owned."""
        self.owned |= set(targets)

    def let_go(self, targets: Collection[str]) -> None:
        """Stop owning ``targets`` (their lanes stop before the next send)."""
        self.owned -= set(targets)

    def status(self) -> dict[str, object]:
        """This worker for ``/healthz``."""
        host, pid, _ = self.worker.rsplit(":", 2)
        return {"id": self.worker, "host": host, "pid": int(pid),
                "targets": sorted(t for t in self.owned if self.owns(t))}
