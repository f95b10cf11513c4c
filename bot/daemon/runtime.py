"""What a running crosspost holds: settings, clock, store, intake, planner, publishers, dispatcher.

Built by ``bot.wiring``; the daemon swaps its settings, publishers and dispatcher on a config
reload, so the doors (API, staff chat) that share it always see the running config.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from bot.config.settings import Settings
from bot.daemon.dispatch import Dispatcher
from bot.daemon.images import ImageStep
from bot.daemon.planning import Planner
from bot.daemon.workers import Crew
from bot.domain.ports import Clock, Publisher
from bot.intake.corrections import Corrections
from bot.intake.queueing import Intake
from bot.intake.review import Review
from bot.store.queue import QueueStore
from bot.store.revisions import RevisionStore
from bot.store.state import StateStore


@dataclass
class Runtime:
    """Everything a command needs, built once from settings."""

    settings: Settings
    clock: Clock
    engine: Engine
    queue: QueueStore
    state: StateStore
    intake: Intake
    planner: Planner
    review: Review
    revisions: RevisionStore
    corrections: Corrections
    publishers: list[Publisher] = field(default_factory=list)
    dispatcher: Dispatcher | None = None
    images: ImageStep | None = None
    crew: Crew | None = None
    """This worker's share of the targets (a daemon on PostgreSQL)."""

    async def aclose(self) -> None:
        """Close publishers' connections and the image fetcher."""
        for publisher in self.publishers:
            await publisher.aclose()
        self.publishers.clear()
        if self.images is not None:  # a reload keeps the step: it opens its pool again when used
            self.images.close()

    def dispose(self) -> None:
        """Release the database engine (and the connections held for sending)."""
        self.queue.close()
        self.engine.dispose()
