"""Polling feeds from the local server into the real queue (SQLite): dedupe, first poll, filters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.ingest.feeddocs import LONG, Entry, atom, rss
from tests.ingest.helpers import RSS_TYPE, T0, Env, make_env
from tests.ingest.pages import article_html
from tests.ingest.server import PageServer, Route

HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def env(tmp_path: Path, server: PageServer) -> Iterator[Env]:
    """One feed ``top`` at /rss.xml, polled every 5 minutes, going to target ``tg`` only."""
    e = make_env(tmp_path, server, [{"name": "top", "url": "/rss.xml", "interval": "5m",
                                     "targets": ["tg"], "priority": "high"}])
    yield e
    e.close()


def story(i: int, minutes: float, **kw: object) -> Entry:
    """Item ``i`` published ``minutes`` after T0 (negative: before), with full text."""
    defaults: dict[str, object] = {"content": f"<p>Story {i}. {LONG}</p>"}
    defaults.update(kw)
    return Entry(f"guid-{i}", f"https://citytimes.example/n/{i}", f"Story number {i}",
                 published=T0 + timedelta(minutes=minutes), **defaults)  # type: ignore[arg-type]


def serve(env: Env, entries: list[Entry]) -> None:
    """Serve ``entries`` as the feed (no validators)."""
    env.server.routes["/rss.xml"] = Route(body=rss(entries), headers=RSS_TYPE)


def test_first_poll_takes_only_items_after_the_feed_was_added(env: Env) -> None:
    """Items published before the feed was first seen are remembered, not queued."""
    env.store.ensure("top", env.feed().url, T0)
    env.clock.advance(600)
    serve(env, [story(1, -60), story(2, -1), story(3, 5), story(4, 9)])
    result = env.poll()
    assert [t for _, t in result.queued] == ["Story number 3", "Story number 4"]
    assert result.skipped == {"older": 2}
    article, deliveries = env.app.queue.get_article(result.queued[0][0])
    assert article.source == "top" and article.priority.value == "high"
    assert [d.target for d in deliveries] == ["tg"]
    assert article.published_at == T0 + timedelta(minutes=5)


def test_backfill_takes_the_newest_n(tmp_path: Path, server: PageServer) -> None:
    """``backfill = 2`` queues the two newest old items on the first poll, oldest first."""
    e = make_env(tmp_path, server, [{"name": "top", "url": "/rss.xml", "backfill": 2}])
    try:
        serve(e, [story(i, -10 * i) for i in range(1, 8)])
        result = e.poll()
        assert [t for _, t in result.queued] == ["Story number 2", "Story number 1"]
        serve(e, [story(i, -10 * i) for i in range(0, 8)])
        assert e.poll().queued == []
    finally:
        e.close()


def test_second_poll_queues_nothing_and_edits_are_not_reposted(env: Env) -> None:
    """The same feed twice queues nothing new; an edited item (same guid) is not queued again."""
    env.store.ensure("top", env.feed().url, T0)
    entries = [story(1, 1), story(2, 2)]
    serve(env, entries)
    assert len(env.poll().queued) == 2
    assert env.poll().queued == []
    edited = story(2, 2, content=f"<p>Updated: {LONG}</p>", summary="Now with a new teaser.")
    edited = Entry(edited.guid, edited.link, "Story number 2 (updated)", edited.summary,
                   edited.content, edited.published)
    serve(env, [story(1, 1), edited])
    result = env.poll()
    assert result.queued == [] and result.existing == []
    assert env.titles() == ["Story number 1", "Story number 2"]


def test_same_story_under_new_guid_or_new_link_is_not_reposted(env: Env) -> None:
    """A new guid with a known link, or a new guid and link with the same text, is a duplicate."""
    env.store.ensure("top", env.feed().url, T0)
    serve(env, [story(1, 1)])
    env.poll()
    again_link = Entry("guid-1-v2", "https://citytimes.example/n/1?utm_source=rss", "Other title",
                       content=f"<p>{LONG} more</p>", published=T0 + timedelta(minutes=3))
    same_text = Entry("guid-1-v3", "https://citytimes.example/n/1-moved", "Story number 1",
                      content=f"<p>Story 1. {LONG}</p>", published=T0 + timedelta(minutes=4))
    serve(env, [story(1, 1), again_link, same_text])
    result = env.poll()
    assert result.queued == []
    assert result.skipped == {"duplicate": 1, "same text": 1}
    assert env.titles() == ["Story number 1"]


def test_conditional_get_and_304(env: Env) -> None:
    """ETag and Last-Modified are sent back; a 304 queues nothing and counts as success."""
    body = rss([story(1, 1)])
    stamp = "Tue, 14 Apr 2026 09:00:00 GMT"

    def feed(headers: dict[str, str]) -> Route:
        if headers.get("if-none-match") == '"v1"' and headers.get("if-modified-since") == stamp:
            return Route(304, headers={"ETag": '"v1"'})
        return Route(body=body, headers={**RSS_TYPE, "ETag": '"v1"', "Last-Modified": stamp})

    env.server.routes["/rss.xml"] = feed
    env.store.ensure("top", env.feed().url, T0)
    assert len(env.poll().queued) == 1
    second = env.poll()
    assert second.not_modified and second.queued == [] and second.error is None
    assert [r.headers.get("if-none-match") for r in env.server.requests] == [None, '"v1"']
    state = env.store.get("top")
    assert state is not None and state.etag == '"v1"' and state.last_modified == stamp
    assert state.failures == 0 and state.next_poll_at == T0 + timedelta(minutes=5)


def test_include_and_exclude_keywords(tmp_path: Path, server: PageServer) -> None:
    """Only items naming an include keyword are queued; an exclude keyword always wins."""
    e = make_env(tmp_path, server, [{"name": "top", "url": "/rss.xml",
                                     "include": ["budget", "city council"],
                                     "exclude": ["sponsored"]}])
    try:
        e.store.ensure("top", e.feed().url, T0)
        serve(e, [
            Entry("a", "https://c.example/a", "City Council votes on budget", content=LONG,
                  published=T0 + timedelta(minutes=1)),
            Entry("b", "https://c.example/b", "Budgeting tips", content=LONG,
                  published=T0 + timedelta(minutes=2)),
            Entry("c", "https://c.example/c", "Budget holidays", content=LONG, category="Sponsored",
                  published=T0 + timedelta(minutes=3)),
        ])
        result = e.poll()
        assert [t for _, t in result.queued] == ["City Council votes on budget"]
        assert result.skipped == {"filtered": 1, "excluded": 1}
    finally:
        e.close()


def test_summary_only_items_fetch_the_article_page(env: Env) -> None:
    """A teaser item gets the page's full text and canonical URL through the guarded fetcher."""
    env.store.ensure("top", env.feed().url, T0)
    paragraphs = [f"Paragraph {n} of the night bus story, with enough words to be a paragraph "
                  f"that trafilatura keeps as part of the main text of the article." for n in range(5)]
    env.server.routes["/n/bus"] = Route(body=article_html(
        "Night buses extended", paragraphs,
        canonical="https://citytimes.example/transport/night-buses").encode(), headers=HTML)
    serve(env, [Entry("bus", env.server.url("/n/bus"), "Night buses extended",
                      summary="Six new routes from June.", published=T0 + timedelta(minutes=1))])
    (queued,) = env.poll().queued
    article, _ = env.app.queue.get_article(queued[0])
    assert paragraphs[4] in article.text and "Related stories" not in article.text
    assert article.canonical_url == "https://citytimes.example/transport/night-buses"
    assert article.source == "top" and article.title == "Night buses extended"


def test_item_pages_pass_the_ssrf_guard(tmp_path: Path, server: PageServer) -> None:
    """A feed on an allowed host linking to 127.0.0.1 keeps its summary; the page is not fetched."""
    e = make_env(tmp_path, server, [{"name": "top", "url": server.url("/rss.xml", "feeds.example")}],
                 allow_hosts=["feeds.example"])
    e.fetcher.guard.resolver = lambda host, port: ["127.0.0.1"]
    try:
        e.store.ensure("top", e.feed().url, T0)
        serve(e, [Entry("x", server.url("/internal/admin"), "Inside job",
                        summary="Teaser only.", published=T0 + timedelta(minutes=1))])
        (queued,) = e.poll().queued
        article, _ = e.app.queue.get_article(queued[0])
        assert article.text == "Teaser only."
        assert server.paths() == ["/rss.xml"]
    finally:
        e.close()


def test_atom_feed_and_a_500_item_feed(env: Env) -> None:
    """An Atom feed polls like RSS; 500 old items queue nothing and the newest new one is queued."""
    env.server.routes["/rss.xml"] = Route(body=atom([story(1, 1)]), headers={
        "Content-Type": "application/atom+xml"})
    env.store.ensure("top", env.feed().url, T0)
    assert [t for _, t in env.poll().queued] == ["Story number 1"]
    many = [story(i, -i) for i in range(10, 510)]
    serve(env, [story(2, 2), *many])
    result = env.poll()
    assert [t for _, t in result.queued] == ["Story number 2"]
    assert result.skipped == {"older": 500}
    assert env.poll().queued == []


def test_failures_back_off_and_recover(env: Env) -> None:
    """A malformed feed records the error and backs off, doubling; a good poll clears it."""
    env.store.ensure("top", env.feed().url, T0)
    env.server.routes["/rss.xml"] = Route(body=b"<rss><channel><item><title>A & B", headers=RSS_TYPE)
    first = env.poll()
    assert first.error is not None and "malformed feed XML" in first.error
    state = env.store.get("top")
    assert state is not None and state.failures == 1
    assert state.next_poll_at == T0 + timedelta(minutes=5)
    env.poll()
    state = env.store.get("top")
    assert state is not None and state.failures == 2
    assert state.next_poll_at == T0 + timedelta(minutes=10)
    assert state.last_error is not None and "malformed" in state.last_error
    serve(env, [story(1, 1)])
    assert len(env.poll().queued) == 1
    state = env.store.get("top")
    assert state is not None and state.failures == 0 and state.last_error is None
