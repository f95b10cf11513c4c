"""Feed jobs in the daemon: one job per feed, independence of slow feeds, backoff, status lines."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.daemon.feeds import FeedRunner, feed_jobs
from bot.domain.errors import ConfigError
from bot.reports.feeds import feed_problems, feed_rows
from bot.store.feeds import FeedStore
from tests.ingest.feeddocs import LONG, Entry, rss
from tests.ingest.helpers import RSS_TYPE, T0, Env, make_env
from tests.ingest.server import PageServer, Route


@pytest.fixture
def env(tmp_path: Path, server: PageServer) -> Iterator[Env]:
    """Two feeds: ``slow`` (answers after 1 s) and ``fast``."""
    e = make_env(tmp_path, server, [{"name": "slow", "url": "/slow.xml", "interval": "1m"},
                                    {"name": "fast", "url": "/fast.xml", "interval": "30s"}])
    for name, delay in (("slow", 1.0), ("fast", 0.0)):
        body = rss([Entry(f"{name}-1", f"https://c.example/{name}/1", f"{name} story",
                          content=LONG, published=T0 + timedelta(minutes=1))])
        server.routes[f"/{name}.xml"] = Route(body=body, headers=RSS_TYPE, delay=delay)
    yield e
    e.close()


def test_no_feeds_no_jobs(tmp_path: Path, server: PageServer) -> None:
    """Without ``[[feeds]]`` there is nothing to add to the scheduler."""
    e = make_env(tmp_path, server, [])
    try:
        assert feed_jobs(e.app) is None
    finally:
        e.close()


def test_one_interval_job_per_feed(env: Env) -> None:
    """Each feed gets its own interval job; first sight records ``added_at``."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    add = feed_jobs(env.app)
    assert add is not None
    scheduler = AsyncIOScheduler()
    add(scheduler)
    jobs = {j.id: j for j in scheduler.get_jobs()}
    assert set(jobs) == {"feed:slow", "feed:fast"}
    assert jobs["feed:fast"].trigger.interval == timedelta(seconds=30)
    assert jobs["feed:slow"].max_instances == 1
    assert {s.name: s.added_at for s in env.store.all()} == {"slow": T0, "fast": T0}


@pytest.mark.parametrize(("feeds", "fragment"), [
    ([{"name": "a", "url": "https://a.example/f", "interval": "often"}], "feeds[0].interval"),
    ([{"name": "a", "url": "https://a.example/f", "interval": "1s"}], "too short"),
    ([{"name": "a", "url": "https://a.example/f"}, {"name": "a", "url": "https://b.example/f"}],
     "used twice"),
])
def test_bad_feed_config_is_refused(tmp_path: Path, server: PageServer, feeds: list[dict[str, str]],
                                    fragment: str) -> None:
    """A non-duration or too short interval, or a repeated name, is a config error naming the key."""
    e = make_env(tmp_path, server, feeds)
    try:
        with pytest.raises(ConfigError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
            feed_jobs(e.app)
    finally:
        e.close()


def test_a_slow_feed_does_not_delay_another(env: Env) -> None:
    """Polled together, the fast feed is queued long before the slow one answers."""
    runner = FeedRunner(app=env.app, store=env.store, threads=2)
    done: dict[str, float] = {}

    async def both() -> None:
        start = time.monotonic()

        async def one(name: str) -> None:
            await runner.run(name)
            done[name] = time.monotonic() - start

        await asyncio.gather(one("slow"), one("fast"))

    try:
        asyncio.run(both())
    finally:
        runner.close()
    assert done["fast"] < 0.7 <= 1.0 <= done["slow"]
    assert sorted(a.source for a, _ in env.app.queue.list_articles()) == ["fast", "slow"]


def test_backing_off_feed_is_skipped_and_reported(env: Env) -> None:
    """After failures a feed waits for ``next_poll_at``; two failures in a row show in status."""
    env.server.routes["/fast.xml"] = Route(500, b"boom", {"Content-Type": "text/plain"})
    runner = FeedRunner(app=env.app, store=env.store, threads=1)
    try:
        asyncio.run(runner.run("fast"))
        assert feed_problems(env.app.settings.feeds, FeedStore(engine=env.app.engine)) == []
        env.clock.advance(31)
        asyncio.run(runner.run("fast"))
        asyncio.run(runner.run("fast"))  # still backing off: no request
    finally:
        runner.close()
    assert env.server.paths() == ["/fast.xml", "/fast.xml"]
    (problem,) = feed_problems(env.app.settings.feeds, FeedStore(engine=env.app.engine))
    assert problem.startswith("feed fast: failed 2 times in a row") and "HTTP 500" in problem
    rows = {r["name"]: r for r in feed_rows(env.app.settings.feeds, FeedStore(engine=env.app.engine))}
    assert rows["fast"]["failures"] == 2 and rows["slow"]["last_polled_at"] is None
