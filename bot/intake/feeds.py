"""Feed intake: conditional GET, parse, dedupe, filter, fetch full text, queue through Intake.

``collect`` does the network work and only reads the store (safe in a worker thread);
``commit`` queues the stories and records what was seen (run where the queue's writers run).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.config.settings import FeedConfig
from bot.domain.errors import ConfigError, FetchError, InputError, NotFoundError
from bot.domain.models import ArticleDraft
from bot.domain.ports import Clock
from bot.domain.schedule import parse_duration
from bot.domain.urls import canonical_url
from bot.ingest.feeds import FeedItem, parse_feed
from bot.ingest.fetch import Fetched, Fetcher
from bot.ingest.filters import matches_any
from bot.ingest.story import read_page
from bot.intake.queueing import Intake
from bot.store.feeds import FeedState, FeedStore, SeenItem

log = logging.getLogger("crosspost.feeds")

MAX_PAGES_PER_POLL = 20
"""Article pages fetched per poll at most; further summary-only items wait for the next poll."""
MAX_BACKOFF = timedelta(hours=6)


def feed_interval(feed: FeedConfig, index: int | None = None) -> timedelta:
    """The feed's polling interval; ``ConfigError`` naming the key when it is not a duration."""
    key = f"feeds[{index}].interval" if index is not None else f"feeds.{feed.name}.interval"
    try:
        value = parse_duration(feed.interval)
    except ValueError as exc:
        raise ConfigError(str(exc), key=key) from None
    if value < timedelta(seconds=10):
        raise ConfigError(f"{feed.interval!r} is too short (at least 10s)", key=key)
    return value


def backoff(interval: timedelta, failures: int) -> timedelta:
    """How long to wait after ``failures`` failures in a row: doubling, capped at 6 hours."""
    return max(interval, min(interval * (1 << min(max(failures - 1, 0), 20)), MAX_BACKOFF))


@dataclass
class Collected:
    """What one poll found, before anything is queued."""

    feed: FeedConfig
    state: FeedState
    now: datetime
    fetched: Fetched | None = None
    drafts: list[tuple[FeedItem, ArticleDraft]] = field(default_factory=list)
    seen: list[tuple[SeenItem, str]] = field(default_factory=list)
    edits: list[tuple[FeedItem, ArticleDraft, int]] = field(default_factory=list)
    deferred: int = 0
    error: str | None = None


@dataclass
class PollResult:
    """What one poll did: stories queued, duplicates, skips by reason, or the error."""

    feed: str
    queued: list[tuple[int, str]] = field(default_factory=list)
    existing: list[int] = field(default_factory=list)
    edited: list[int] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    not_modified: bool = False
    deferred: int = 0
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        """A stable JSON shape for ``feeds poll --json``."""
        return {"feed": self.feed, "queued": [{"id": i, "title": t} for i, t in self.queued],
                "existing": self.existing, "edited": self.edited, "skipped": self.skipped,
                "not_modified": self.not_modified, "deferred": self.deferred, "error": self.error}


EditStory = Callable[[int, str, str], object]
"""``edit_story(article_id, title, text)``: a followed feed item changed (``follow_edits``)."""


class FeedPoller:
    """Polls feeds and queues their new stories through ``Intake`` with ``source = feed name``.

    With ``follow_edits`` on a feed, an item seen before (same guid, or same canonical URL)
    whose title or text changed is handed to ``edit_story`` instead of being ignored.
    """

    def __init__(self, *, intake: Intake, store: FeedStore, fetcher: Fetcher, clock: Clock,
                 find_story: Callable[[str], int | None],
                 edit_story: EditStory | None = None) -> None:
        self.intake = intake
        self.store = store
        self.fetcher = fetcher
        self.clock = clock
        self.find_story = find_story
        self.edit_story = edit_story

    def poll(self, feed: FeedConfig) -> PollResult:
        """Collect and commit in one go (the CLI and tests)."""
        return self.commit(self.collect(feed))

    def collect(self, feed: FeedConfig) -> Collected:
        """Fetch and sort the feed's items; a failure is recorded and backs the feed off."""
        now = self.clock.now()
        state = self.store.ensure(feed.name, feed.url, now)
        found = Collected(feed=feed, state=state, now=now)
        try:
            self._collect(found)
        except FetchError as exc:
            found.error = str(exc)
            wait = backoff(feed_interval(feed), state.failures + 1)
            self.store.record_failure(feed.name, now=now, error=found.error, next_poll_at=now + wait)
            log.warning("feed poll failed", extra={"feed": feed.name, "error": found.error})
        return found

    def _collect(self, found: Collected) -> None:
        feed, state = found.feed, found.state
        headers = {}
        if state.url == feed.url and state.etag:
            headers["If-None-Match"] = state.etag
        if state.url == feed.url and state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        fetched = found.fetched = self.fetcher.get(feed.url, kind="feed", headers=headers)
        if fetched.not_modified:
            return
        items = parse_feed(fetched.body, url=fetched.url, content_type=fetched.content_type)
        first = not self.store.has_items(feed.name)
        seen = self.store.seen_guids(feed.name, [i.guid for i in items])
        if feed.follow_edits and self.edit_story is not None:
            self._changed_items(found, [i for i in items if i.guid in seen])
        unique: dict[str, FeedItem] = {}
        for item in items:
            if item.guid not in seen:
                unique.setdefault(item.guid, item)
        fresh = list(unique.values())
        backfill = set(_newest(fresh, feed.backfill)) if first else set()
        pages = 0
        for item in sorted(fresh, key=_oldest_first):
            if item.guid not in backfill and not _after(item, state.added_at, first):
                found.seen.append((SeenItem(item.guid, None, item.content_hash, None), "older"))
                continue
            pages += int(item.summary_only)
            if item.summary_only and pages > MAX_PAGES_PER_POLL:
                found.deferred += 1
                continue
            self._sort_item(found, item)

    def _changed_items(self, found: Collected, items: list[FeedItem]) -> None:
        """Items seen before whose content changed: edits of the stories they became."""
        known = self.store.seen_hashes(found.feed.name, [i.guid for i in items])
        done: set[str] = set()
        for item in items:
            digest, article = known.get(item.guid, (None, None))
            if item.guid in done or not article or digest in (None, item.content_hash):
                continue
            done.add(item.guid)
            found.edits.append((item, self._edited_draft(item), int(article)))

    def _edited_draft(self, item: FeedItem) -> ArticleDraft:
        draft = ArticleDraft(url=item.url, title=item.title, text=item.text)
        return self._full_text(draft, item) if item.summary_only else draft

    def _sort_item(self, found: Collected, item: FeedItem) -> None:
        feed = found.feed
        try:
            canonical = canonical_url(item.url)
        except InputError:
            found.seen.append((SeenItem(item.guid, None, item.content_hash, None), "bad link"))
            return
        if feed.follow_edits and self.edit_story is not None:
            before = self.store.url_hash(canonical)
            if before is not None and before[1] and before[0] != item.content_hash:
                found.edits.append((item, self._edited_draft(item), int(before[1])))
                found.seen.append((SeenItem(item.guid, canonical, item.content_hash,
                                            int(before[1])), "edited"))
                return
        reason = self._duplicate(canonical, item.content_hash)
        words = (item.title, item.text, *item.tags)
        if reason is None and feed.exclude and matches_any(feed.exclude, words):
            reason = "excluded"
        if reason is not None:
            article = self.find_story(canonical) if reason == "duplicate" else None
            found.seen.append((SeenItem(item.guid, canonical, item.content_hash, article), reason))
            return
        draft = ArticleDraft(
            url=item.url, title=item.title, text=item.text, image_url=item.image_url,
            language=item.language, priority=feed.priority, source=feed.name,
            targets=tuple(feed.targets) if feed.targets is not None else None,
            published_at=item.published_at, tags=item.tags,
        )
        if item.summary_only:
            draft = self._full_text(draft, item)
            page_canonical = canonical_url(draft.canonical_url or draft.url)
            if page_canonical != canonical and self._duplicate(page_canonical, None):
                found.seen.append((SeenItem(item.guid, page_canonical, item.content_hash,
                                            self.find_story(page_canonical)), "duplicate"))
                return
            canonical = page_canonical
        words = (draft.title, draft.text, *item.tags)
        if (feed.exclude and matches_any(feed.exclude, words)) or \
                (feed.include and not matches_any(feed.include, words)):
            found.seen.append((SeenItem(item.guid, canonical, item.content_hash, None), "filtered"))
            return
        found.drafts.append((item, replace(draft, canonical_url=canonical)))

    def _duplicate(self, canonical: str, content_hash: str | None) -> str | None:
        if self.store.known_url(canonical) or self.find_story(canonical) is not None:
            return "duplicate"
        if content_hash is not None and self.store.known_hash(content_hash) is not None:
            return "same text"
        return None

    def _full_text(self, draft: ArticleDraft, item: FeedItem) -> ArticleDraft:
        """The article page's text, image, language and canonical URL (the feed's headline stays)."""
        try:
            page = read_page(self.fetcher.get(item.url, kind="html"))
        except FetchError as exc:
            log.info("feed item page not used; keeping the summary",
                     extra={"url": item.url, "error": str(exc)})
            return draft
        return replace(
            draft, text=page.text if len(page.text) > len(draft.text) else draft.text,
            image_url=draft.image_url or page.image_url, language=draft.language or page.language,
            image_alt=draft.image_alt or (page.image_alt if not draft.image_url else None),
            canonical_url=page.canonical_url, published_at=draft.published_at or page.published_at,
        )

    def commit(self, found: Collected) -> PollResult:
        """Queue the collected stories, remember every item seen and schedule the next poll."""
        feed = found.feed
        result = PollResult(feed=feed.name, error=found.error, deferred=found.deferred)
        if found.error is not None or found.fetched is None:
            return result
        remembered: list[SeenItem] = []
        for seen, reason in found.seen:
            if reason != "edited":
                result.skipped[reason] = result.skipped.get(reason, 0) + 1
            remembered.append(seen)
        for item, draft, article_id in found.edits:
            self._follow_edit(feed.name, item, draft, article_id, result, found.now)
        for item, draft in found.drafts:
            try:
                added = self.intake.add(draft)
            except InputError as exc:
                log.warning("feed item refused", extra={"feed": feed.name, "url": item.url,
                                                        "error": str(exc)})
                result.skipped["refused"] = result.skipped.get("refused", 0) + 1
                remembered.append(SeenItem(item.guid, draft.canonical_url, item.content_hash, None))
                continue
            if added.created:
                result.queued.append((added.article_id, draft.title))
            else:
                result.existing.append(added.article_id)
            remembered.append(SeenItem(item.guid, draft.canonical_url, item.content_hash,
                                       added.article_id))
        self.store.remember(feed.name, remembered, found.now)
        fetched = found.fetched
        result.not_modified = fetched.not_modified
        etag = found.state.etag if fetched.not_modified else fetched.headers.get("etag")
        modified = (found.state.last_modified if fetched.not_modified
                    else fetched.headers.get("last-modified"))
        self.store.record_success(feed.name, now=found.now, etag=etag, last_modified=modified,
                                  next_poll_at=found.now + feed_interval(feed))
        return result


    def _follow_edit(self, feed: str, item: FeedItem, draft: ArticleDraft, article_id: int,
                     result: PollResult, now: datetime) -> None:
        assert self.edit_story is not None
        try:
            self.edit_story(article_id, draft.title, draft.text)
        except (InputError, NotFoundError) as exc:
            log.warning("feed item edit not followed", extra={"feed": feed, "url": item.url,
                                                               "error": str(exc)})
            result.skipped["edit refused"] = result.skipped.get("edit refused", 0) + 1
        else:
            result.edited.append(article_id)
            log.info("feed item edited", extra={"feed": feed, "article": article_id})
        self.store.update_hash(feed, item.guid, item.content_hash, now)


def _oldest_first(item: FeedItem) -> tuple[int, datetime]:
    return (1, datetime.max) if item.published_at is None else (0, item.published_at)


def _newest(items: list[FeedItem], n: int) -> list[str]:
    dated = sorted((i for i in items if i.published_at is not None), key=_oldest_first, reverse=True)
    undated = [i for i in items if i.published_at is None]
    return [i.guid for i in (dated + undated)[:n]]


def _after(item: FeedItem, added_at: datetime, first: bool) -> bool:
    if item.published_at is None:
        return not first
    return item.published_at > added_at
