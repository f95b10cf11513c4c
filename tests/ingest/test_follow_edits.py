"""A feed with ``follow_edits``: an item whose text or title changed edits its story."""

from __future__ import annotations

from pathlib import Path

from bot.domain.revisions import RevisionKind
from bot.store.revisions import RevisionStore
from tests.ingest.feeddocs import LONG, Entry
from tests.ingest.helpers import T0, Env, make_env
from tests.ingest.server import PageServer
from tests.ingest.test_poller import serve, story


def follow(env: Env) -> RevisionStore:
    """The app's revisions (the env's poller, built by the daemon's ``make_poller``, edits
    through the app's corrections)."""
    return env.app.revisions


def updated(i: int) -> Entry:
    """Item ``i`` with a new headline and text (same guid and link)."""
    old = story(i, 1)
    return Entry(old.guid, old.link, f"Story number {i} (updated)", old.summary,
                 f"<p>Updated: the count was 12. {LONG}</p>", old.published)


def test_changed_item_edits_its_story_once(tmp_path: Path, server: PageServer) -> None:
    """Same guid, new text: the story takes the new title and text; the next poll, unchanged,
    edits nothing; a feed without ``follow_edits`` ignores the change."""
    env = make_env(tmp_path, server, [{"name": "top", "url": "/rss.xml", "follow_edits": True}])
    try:
        revisions = follow(env)
        env.store.ensure("top", env.feed().url, T0)
        serve(env, [story(1, 1)])
        (article_id, _), = env.poll().queued
        serve(env, [updated(1)])
        result = env.poll()
        assert result.edited == [article_id] and result.queued == []
        article, deliveries = env.app.queue.get_article(article_id)
        assert article.title == "Story number 1 (updated)" and "count was 12" in article.text
        assert all("updated" in " ".join(d.parts).lower() for d in deliveries), deliveries
        made = revisions.for_articles([article_id])
        assert {r.kind for rs in made.values() for r in rs} == {RevisionKind.RECORD}
        assert env.poll().edited == []
    finally:
        env.close()


def test_without_follow_edits_changes_are_ignored(tmp_path: Path, server: PageServer) -> None:
    """The default: an edited item is neither queued again nor followed."""
    env = make_env(tmp_path, server, [{"name": "top", "url": "/rss.xml"}])
    try:
        follow(env)
        env.store.ensure("top", env.feed().url, T0)
        serve(env, [story(1, 1)])
        (article_id, _), = env.poll().queued
        serve(env, [updated(1)])
        result = env.poll()
        assert result.edited == [] and result.queued == []
        assert env.app.queue.get_article(article_id)[0].title == "Story number 1"
    finally:
        env.close()
