"""Workers and target leases on PostgreSQL: who is alive (heartbeats) and which worker may
publish to which target (a lease with an expiry, renewed with every heartbeat).

Every time here is the database server's clock (UTC), so workers on several machines with
drifting clocks agree on who is alive and when a lease ends.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.store.listen import WORKERS_CHANNEL
from bot.store.tables import UTCDateTime

_NOW = "timezone('utc', now())"
TTL_SHARE = 0.75
"""A lease (and a heartbeat) lasts three quarters of the lease time and is renewed every
quarter: two missed beats are tolerated, and a dead worker's targets are taken over by the
first beat after that, within one lease time."""
_LEASE = "make_interval(secs => :lease)"


@dataclass(frozen=True)
class WorkerRow:
    """A live worker as ``status`` shows it."""

    id: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_age: float
    targets: list[str] = field(default_factory=list)


class LeaseStore:
    """One worker's view of the ``workers`` and ``leases`` tables (PostgreSQL only)."""

    def __init__(self, *, engine: Engine, worker: str, host: str, pid: int,
                 lease_seconds: float) -> None:
        self.engine = engine
        self.worker = worker
        self.host = host
        self.pid = pid
        self.lease_seconds = lease_seconds

    def _args(self, **more: object) -> dict[str, object]:
        return {"me": self.worker, "lease": self.lease_seconds * TTL_SHARE, **more}

    def beat(self) -> list[str]:
        """Record this worker's heartbeat, forget workers silent for a lease time, and return
        the live workers' ids."""
        with self.engine.begin() as conn:
            conn.execute(text(
                f"INSERT INTO workers (id, host, pid, started_at, heartbeat_at) "
                f"VALUES (:me, :host, :pid, {_NOW}, {_NOW}) "
                f"ON CONFLICT (id) DO UPDATE SET heartbeat_at = {_NOW}"),
                self._args(host=self.host, pid=self.pid))
            conn.execute(text(f"DELETE FROM workers WHERE heartbeat_at < {_NOW} - {_LEASE}"),
                         self._args())
            rows = conn.execute(text("SELECT id FROM workers ORDER BY id")).all()
        return [r[0] for r in rows]

    def renew(self, targets: Collection[str]) -> set[str]:
        """Extend this worker's unexpired leases on ``targets``; returns those still held."""
        if not targets:
            return set()
        with self.engine.begin() as conn:
            rows = conn.execute(text(
                f"UPDATE leases SET expires_at = {_NOW} + {_LEASE} "
                f"WHERE worker = :me AND target = ANY(:targets) AND expires_at > {_NOW} "
                f"RETURNING target"), self._args(targets=sorted(targets))).all()
        return {r[0] for r in rows}

    def acquire(self, target: str) -> bool:
        """Take the lease on ``target`` if it is free or expired (or already ours)."""
        with self.engine.begin() as conn:
            row = conn.execute(text(
                f"INSERT INTO leases (target, worker, acquired_at, expires_at) "
                f"VALUES (:target, :me, {_NOW}, {_NOW} + {_LEASE}) "
                f"ON CONFLICT (target) DO UPDATE SET worker = excluded.worker, "
                f"acquired_at = excluded.acquired_at, expires_at = excluded.expires_at "
                f"WHERE leases.expires_at <= {_NOW} OR leases.worker = excluded.worker "
                f"RETURNING target"), self._args(target=target)).first()
        return row is not None

    def release(self, targets: Collection[str]) -> None:
        """Give up ``targets`` now and tell the other workers."""
        if not targets:
            return
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM leases WHERE worker = :me AND target = ANY(:targets)"),
                         self._args(targets=sorted(targets)))
            conn.execute(text(f"NOTIFY {WORKERS_CHANNEL}"))

    def join(self) -> None:
        """Announce this worker (the others re-share the targets at once)."""
        self.beat()
        with self.engine.begin() as conn:
            conn.execute(text(f"NOTIFY {WORKERS_CHANNEL}"))

    def leave(self) -> None:
        """Give up every lease and leave the crew (a clean stop hands over at once)."""
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM leases WHERE worker = :me"), self._args())
            conn.execute(text("DELETE FROM workers WHERE id = :me"), self._args())
            conn.execute(text(f"NOTIFY {WORKERS_CHANNEL}"))


def live_workers(engine: Engine, lease_seconds: float) -> list[WorkerRow]:
    """The workers that beat within a lease time, each with the targets it holds."""
    if engine.dialect.name != "postgresql":
        return []
    conv = UTCDateTime().process_result_value
    with engine.connect() as conn:
        rows = conn.execute(text(
            f"SELECT id, host, pid, started_at, "
            f"EXTRACT(EPOCH FROM ({_NOW} - heartbeat_at)) AS age FROM workers "
            f"WHERE heartbeat_at >= {_NOW} - {_LEASE} ORDER BY id"),
            {"lease": lease_seconds * TTL_SHARE}).all()
        held = conn.execute(text(
            f"SELECT worker, target FROM leases WHERE expires_at > {_NOW} ORDER BY target"
        )).all()
    by_worker: dict[str, list[str]] = {}
    for worker, target in held:
        by_worker.setdefault(worker, []).append(target)
    out = []
    for r in rows:
        started = conv(r[3], engine.dialect)
        assert started is not None
        out.append(WorkerRow(id=r[0], host=r[1], pid=int(r[2]), started_at=started,
                             heartbeat_age=round(float(r[4]), 1),
                             targets=by_worker.get(r[0], [])))
    return out
