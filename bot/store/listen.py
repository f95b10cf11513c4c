"""Queue change notifications on PostgreSQL: ``NOTIFY`` when a story is queued or changed, and
a listener on its own connection that wakes the daemon (no polling)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

CHANNEL = "crosspost_queue"
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

    async def run(self, on_change: Callable[[], None]) -> None:
        """Call ``on_change`` for every notification until cancelled; reconnects after a
        lost connection and calls ``on_change`` once then (changes may have been missed)."""
        import psycopg

        conninfo = self.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    on_change()
                    async for _ in conn.notifies():
                        on_change()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("queue listener lost its connection; listening again soon",
                            extra={"error": f"{type(exc).__name__}: {exc}"})
                await asyncio.sleep(self.retry_seconds)
