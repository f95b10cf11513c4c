"""Feed polling inside the daemon: one APScheduler interval job per feed, each on its own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.config.settings import FeedConfig
from bot.domain.errors import ConfigError
from bot.domain.revisions import StoryChange
from bot.domain.shares import fair_shares
from bot.ingest.fetch import Fetcher
from bot.intake.feeds import FeedPoller, PollResult, backoff, feed_interval
from bot.store.feeds import FeedStore

if TYPE_CHECKING:
    from bot.daemon.runtime import Runtime

log = logging.getLogger("crosspost.feeds")
MAX_THREADS = 16


def check_feeds(feeds: list[FeedConfig]) -> None:
    """``ConfigError`` for a repeated feed name or an interval that is not a duration."""
    names: set[str] = set()
    for index, feed in enumerate(feeds):
        if feed.name in names:
            raise ConfigError(f"feed name {feed.name!r} is used twice", key=f"feeds[{index}].name")
        names.add(feed.name)
        feed_interval(feed, index)


def make_poller(app: Runtime, fetcher: Fetcher, store: FeedStore | None = None) -> FeedPoller:
    """A poller queueing through the app's intake, fetching with ``fetcher``; a feed with
    ``follow_edits`` edits its stories through the app's corrections."""

    def edit_story(article_id: int, title: str, text: str) -> None:
        app.corrections.edit(article_id, StoryChange(title=title, text=text,
                                                     requested_by="feed"), staff=False)

    return FeedPoller(intake=app.intake, store=store or FeedStore(engine=app.engine),
                      fetcher=fetcher, clock=app.clock, find_story=app.queue.find_by_canonical,
                      edit_story=edit_story)


class FeedRunner:
    """Runs one feed's poll: the network part in a worker thread, the queueing in the loop."""

    def __init__(self, *, app: Runtime, store: FeedStore, threads: int = MAX_THREADS,
                 fetcher_factory: Callable[[], Fetcher] | None = None) -> None:
        self.app = app
        self.store = store
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="feed")
        self.fetcher_factory = fetcher_factory or (lambda: Fetcher(settings=self.app.settings.fetch))

    def close(self) -> None:
        """Stop the worker threads (after the polls in flight)."""
        self.pool.shutdown(wait=False, cancel_futures=True)

    async def run(self, name: str) -> PollResult | None:
        """Poll feed ``name`` unless it is backing off; never raises (errors are recorded)."""
        feed = next((f for f in self.app.settings.feeds if f.name == name), None)
        if feed is None:
            return None
        crew = self.app.crew
        if crew is not None:  # several workers: each feed is polled by one of them
            names = [f.name for f in self.app.settings.feeds]
            if fair_shares(names, crew.live).get(name) != crew.worker:
                return None
        state = await asyncio.to_thread(self.store.get, name)
        now = self.app.clock.now()
        if state and state.failures and state.next_poll_at and state.next_poll_at > now:
            return None
        fetcher = self.fetcher_factory()
        poller = make_poller(self.app, fetcher, self.store)
        try:
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(self.pool, poller.collect, feed)
            result = await asyncio.to_thread(poller.commit, found)
        except Exception as exc:  # a broken feed must not stop the scheduler or other feeds
            log.exception("feed poll crashed", extra={"feed": name})
            failures = state.failures + 1 if state else 1
            await asyncio.to_thread(
                self.store.record_failure, name, now=now, error=f"{type(exc).__name__}: {exc}",
                next_poll_at=now + backoff(feed_interval(feed), failures))
            return None
        finally:
            fetcher.close()
        if result.queued:
            log.info("feed queued stories", extra={"feed": name, "count": len(result.queued)})
        return result


class FeedJobs:
    """Adds one interval job per feed to a scheduler; ``close`` lets go of the runner's
    threads when the jobs are replaced (a config reload) or the daemon stops."""

    def __init__(self, feeds: list[FeedConfig], runner: FeedRunner) -> None:
        self.feeds = feeds
        self.runner = runner

    def __call__(self, scheduler: Any) -> None:
        """Add (or replace) the feeds' jobs."""
        from apscheduler.triggers.interval import IntervalTrigger

        start = datetime.now(UTC)
        for index, feed in enumerate(self.feeds):
            every = feed_interval(feed, index)
            first = start + min(timedelta(seconds=2 + 3 * index), every)
            scheduler.add_job(self.runner.run, IntervalTrigger(seconds=every.total_seconds()),
                              args=[feed.name], id=f"feed:{feed.name}", name=f"feed {feed.name}",
                              max_instances=1, coalesce=True, next_run_time=first,
                              misfire_grace_time=int(every.total_seconds()), replace_existing=True)

    def close(self) -> None:
        """Stop the runner's worker threads."""
        self.runner.close()


def feed_jobs(app: Runtime) -> FeedJobs | None:
    """The feed polling jobs for the daemon's scheduler (None: no feeds)."""
    feeds = list(app.settings.feeds)
    if not feeds:
        return None
    check_feeds(feeds)
    store = FeedStore(engine=app.engine)
    now = app.clock.now()
    for feed in feeds:
        store.ensure(feed.name, feed.url, now)
    return FeedJobs(feeds, FeedRunner(app=app, store=store, threads=min(len(feeds), MAX_THREADS)))
