"""Per-target state (paused, rate-limited) and small runtime facts the daemon reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from bot.store.listen import notify
from bot.store.tables import runtime, target_state


@dataclass(frozen=True)
class TargetState:
    """Why a target is not sending right now, if it isn't."""

    target: str
    paused_reason: str | None = None
    paused_at: datetime | None = None
    blocked_until: datetime | None = None
    blocked_reason: str | None = None


class StateStore:
    """Target pauses and rate-limit blocks, and runtime key/values, in SQL."""

    def __init__(self, *, engine: Engine) -> None:
        self.engine = engine

    def targets(self) -> dict[str, TargetState]:
        """Every target with recorded state."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(target_state)).mappings().all()
        return {
            r["target"]: TargetState(
                target=r["target"],
                paused_reason=r["paused_reason"],
                paused_at=r["paused_at"],
                blocked_until=r["blocked_until"],
                blocked_reason=r["blocked_reason"],
            )
            for r in rows
        }

    def _upsert(self, target: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            n = conn.execute(
                update(target_state).where(target_state.c.target == target).values(**values)
            ).rowcount
            if not n:
                conn.execute(insert(target_state).values(target=target, **values))

    def pause(self, target: str, reason: str, now: datetime) -> None:
        """Stop sending to ``target`` until an operator resumes it (auth problems)."""
        self._upsert(target, paused_reason=reason, paused_at=now)

    def resume(self, target: str) -> None:
        """Let a paused target send again (a running daemon is told on PostgreSQL)."""
        self._upsert(target, paused_reason=None, paused_at=None)
        with self.engine.begin() as conn:
            notify(conn)

    def block(self, target: str, until: datetime, reason: str) -> None:
        """Send nothing to ``target`` before ``until`` (platform rate limit)."""
        self._upsert(target, blocked_until=until, blocked_reason=reason)

    def get(self, key: str) -> Any:
        """A runtime value (``None`` if unset)."""
        with self.engine.connect() as conn:
            return conn.execute(select(runtime.c.value).where(runtime.c.key == key)).scalar()

    def put(self, key: str, value: Any, now: datetime) -> None:
        """Set a runtime value."""
        with self.engine.begin() as conn:
            conn.execute(delete(runtime).where(runtime.c.key == key))
            conn.execute(insert(runtime).values(key=key, value=value, updated_at=now))
