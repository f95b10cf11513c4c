"""Reporting queries over the queue: counts, last publish, what needs attention."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Engine

from bot.domain.models import Delivery, DeliveryState
from bot.store.revision import read_revision
from bot.store.rows import delivery_from_row
from bot.store.tables import UTCDateTime, deliveries

S = DeliveryState


class QueueReports:
    """Read-only views of the queue for status, metrics and the daemon's watch."""

    engine: Engine

    # -- reporting ------------------------------------------------------------------------
    def counts(self) -> dict[tuple[str, str], int]:
        """Deliveries per (target, state)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.target, deliveries.c.state, func.count())
                .group_by(deliveries.c.target, deliveries.c.state)
            ).all()
        return {(r[0], r[1]): int(r[2]) for r in rows}

    def last_published(self) -> dict[str, datetime]:
        """The last publish time per target."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.target, func.max(deliveries.c.published_at))
                .where(deliveries.c.state == S.PUBLISHED.value)
                .group_by(deliveries.c.target)
            ).all()
        conv = UTCDateTime().process_result_value
        out: dict[str, datetime] = {}
        for r in rows:
            when = conv(r[1], self.engine.dialect)
            if when is not None:
                out[r[0]] = when
        return out

    def revision(self) -> int:
        """A counter bumped by every queue change made outside the daemon's send path."""
        with self.engine.connect() as conn:
            return read_revision(conn)

    def attention(self, limit: int = 20) -> list[Delivery]:
        """Deliveries staff must look at: failed or needing review, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries)
                .where(or_(deliveries.c.state == S.NEEDS_REVIEW.value,
                           deliveries.c.state == S.FAILED.value))
                .order_by(deliveries.c.updated_at.desc()).limit(limit)
            ).mappings().all()
        return [delivery_from_row(r) for r in rows]


