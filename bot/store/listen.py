"""Queue change notifications on PostgreSQL: ``NOTIFY`` when a story is queued or changed, and
a listener on its own connection that wakes the daemon (no polling)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

CHANNEL = "crosspost_queue"
WORKERS_CHANNEL = "crosspost_workers"
log = logging.getLogger("crosspost.listen")


def notify(conn: Connection) -> None:
    """Tell listeners the queue changed (sent when ``conn``'s transaction commits)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"NOTIFY {CHANNEL}"))


class QueueListener:
    """``LISTEN`` on a dedicated psycopg connection, outside the engine's pool."""

    def __init__(self, *, engine: Engine, retry_seconds: float = 5.0) -> None:
        self.engine = engine
        self.retry_seconds = retry_seconds

    @property
    def available(self) -> bool:
        """True on PostgreSQL (SQLite has no notifications)."""
        return self.engine.dialect.name == "postgresql"

    async def run(self, on_change: Callable[[], None],
                  on_workers: Callable[[], None] | None = None) -> None:
        """Call ``on_change`` for every queue notification (``on_workers`` when a worker
        joins or leaves) until cancelled; reconnects after a lost connection and calls both
        once then (notifications may have been missed)."""
        import psycopg

        conninfo = self.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    if on_workers is not None:
                        await conn.execute(f"LISTEN {WORKERS_CHANNEL}")
                        on_workers()
                    on_change()
                    async for note in conn.notifies():
                        if note.channel == WORKERS_CHANNEL and on_workers is not None:
                            on_workers()
                        else:
                            on_change()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("queue listener lost its connection; listening again soon",
                            extra={"error": f"{type(exc).__name__}: {exc}"})
                await asyncio.sleep(self.retry_seconds)
