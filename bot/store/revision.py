"""The queue revision: a counter every queue change moves, watched by a running daemon.

One atomic ``UPDATE counters SET value = value + 1``: concurrent writers (CLI, API, feeds, chat)
never lose an increment, and no writer inserts the row (the migration made it), so two first
changes cannot collide.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from bot.store.tables import counters

QUEUE_REVISION = "queue_revision"


def bump_revision(conn: Connection) -> None:
    """Move the queue revision by one, inside the caller's transaction."""
    conn.execute(update(counters).where(counters.c.name == QUEUE_REVISION)
                 .values(value=counters.c.value + 1))


def read_revision(conn: Connection) -> int:
    """The queue revision now (0 before the first change)."""
    value = conn.execute(select(counters.c.value).where(counters.c.name == QUEUE_REVISION)).scalar()
    return int(value or 0)
