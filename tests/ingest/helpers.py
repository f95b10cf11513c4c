"""An app on a SQLite file with feeds served by the local page server, and a poller for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config.settings import FeedConfig
from bot.daemon.feeds import make_poller
from bot.daemon.runtime import Runtime
from bot.domain.ports import ManualClock
from bot.ingest.fetch import Fetcher
from bot.intake.feeds import FeedPoller, PollResult
from bot.store.feeds import FeedStore
from bot.wiring import build_app
from tests.conftest import make_settings
from tests.ingest.server import PageServer

T0 = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)
RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}


@dataclass
class Env:
    """The app, its clock, feed store, a poller and the server the feeds live on."""

    app: Runtime
    clock: ManualClock
    store: FeedStore
    poller: FeedPoller
    fetcher: Fetcher
    server: PageServer

    def feed(self, name: str = "top") -> FeedConfig:
        """The configured feed called ``name``."""
        return next(f for f in self.app.settings.feeds if f.name == name)

    def poll(self, name: str = "top") -> PollResult:
        """Poll one feed once."""
        return self.poller.poll(self.feed(name))

    def titles(self) -> list[str]:
        """Titles of every queued story, oldest first."""
        return [a.title for a, _ in reversed(self.app.queue.list_articles(limit=10000))]

    def close(self) -> None:
        """Close the fetcher and the database."""
        self.fetcher.close()
        self.app.dispose()


def make_env(tmp_path: Path, server: PageServer, feeds: list[dict[str, Any]],
             **fetch: Any) -> Env:
    """An app whose feeds are ``feeds`` (paths on ``server``) with 127.0.0.1 allowed."""
    fetch = {"timeout": 3.0, "allow_hosts": ["127.0.0.1"], **fetch}
    configs = [{**f, "url": server.url(f["url"]) if f["url"].startswith("/") else f["url"]}
               for f in feeds]
    settings = make_settings(tmp_path, fetch=fetch, feeds=configs)
    clock = ManualClock(T0)
    app = build_app(settings, clock=clock)
    fetcher = Fetcher(settings=settings.fetch)
    store = FeedStore(engine=app.engine)
    return Env(app, clock, store, make_poller(app, fetcher, store), fetcher, server)
