"""Feed state (conditional-GET validators, failures, backoff) and the items each feed has shown."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.store.tables import feed_items, feeds


@dataclass(frozen=True)
class FeedState:
    """What the store knows about one feed."""

    name: str
    url: str
    added_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: datetime | None = None
    next_poll_at: datetime | None = None
    failures: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class SeenItem:
    """An item to remember: its guid, canonical URL and hash, and the story it became (if any)."""

    guid: str
    canonical_url: str | None
    content_hash: str | None
    article_id: int | None


class FeedStore:
    """Feeds and feed items in SQL; every method is one short transaction."""

    def __init__(self, *, engine: Engine) -> None:
        self.engine = engine

    def ensure(self, name: str, url: str, now: datetime) -> FeedState:
        """The feed's state; first sight records ``added_at = now`` (a changed URL is updated)."""
        state = self.get(name)
        if state is None:
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(feeds).values(name=name, url=url, added_at=now, failures=0))
            except IntegrityError:
                pass
        elif state.url != url:
            with self.engine.begin() as conn:
                conn.execute(update(feeds).where(feeds.c.name == name).values(
                    url=url, etag=None, last_modified=None))
        found = self.get(name)
        assert found is not None
        return found

    def get(self, name: str) -> FeedState | None:
        """One feed's state, or ``None`` before it was first seen."""
        with self.engine.connect() as conn:
            row = conn.execute(select(feeds).where(feeds.c.name == name)).mappings().first()
        return _state(row) if row else None

    def all(self) -> list[FeedState]:
        """Every feed ever seen, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(feeds).order_by(feeds.c.name)).mappings().all()
        return [_state(r) for r in rows]

    def record_success(self, name: str, *, now: datetime, next_poll_at: datetime,
                       etag: str | None, last_modified: str | None) -> None:
        """A poll worked: keep the validators, clear failures."""
        with self.engine.begin() as conn:
            conn.execute(update(feeds).where(feeds.c.name == name).values(
                etag=etag, last_modified=last_modified, last_polled_at=now,
                next_poll_at=next_poll_at, failures=0, last_error=None))

    def record_failure(self, name: str, *, now: datetime, error: str,
                       next_poll_at: datetime) -> None:
        """A poll failed: count it, keep the reason, and wait until ``next_poll_at``."""
        with self.engine.begin() as conn:
            conn.execute(update(feeds).where(feeds.c.name == name).values(
                failures=feeds.c.failures + 1, last_error=error[:1000], last_polled_at=now,
                next_poll_at=next_poll_at))

    def has_items(self, feed: str) -> bool:
        """True once any item of ``feed`` was recorded (its first poll is over)."""
        with self.engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(feed_items)
                             .where(feed_items.c.feed == feed)).scalar_one()
        return bool(n)

    def seen_guids(self, feed: str, guids: Sequence[str]) -> set[str]:
        """Which of ``guids`` this feed has shown before."""
        found: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(guids), 500):
                chunk = list(guids[start:start + 500])
                found.update(conn.execute(select(feed_items.c.guid).where(
                    feed_items.c.feed == feed, feed_items.c.guid.in_(chunk))).scalars())
        return found

    def seen_hashes(self, feed: str, guids: Sequence[str]) -> dict[str, tuple[str | None, int | None]]:
        """For items this feed has shown: the content hash last seen and the story it became."""
        found: dict[str, tuple[str | None, int | None]] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(guids), 500):
                chunk = list(guids[start:start + 500])
                for guid, digest, article in conn.execute(
                        select(feed_items.c.guid, feed_items.c.content_hash,
                               feed_items.c.article_id)
                        .where(feed_items.c.feed == feed, feed_items.c.guid.in_(chunk))):
                    found[guid] = (digest, article)
        return found

    def url_hash(self, canonical_url: str) -> tuple[str | None, int | None] | None:
        """The newest content hash and story of an item with this canonical URL, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(select(feed_items.c.content_hash, feed_items.c.article_id).where(
                feed_items.c.canonical_url == canonical_url).order_by(feed_items.c.id.desc())
                .limit(1)).first()
        return None if row is None else (row[0], row[1])

    def update_hash(self, feed: str, guid: str, content_hash: str, now: datetime) -> None:
        """Remember an item's new content (after its edit was followed)."""
        with self.engine.begin() as conn:
            conn.execute(update(feed_items).where(feed_items.c.feed == feed,
                                                  feed_items.c.guid == guid)
                         .values(content_hash=content_hash, seen_at=now))

    def known_url(self, canonical_url: str) -> bool:
        """True when any feed has shown an item with this canonical URL."""
        with self.engine.connect() as conn:
            return conn.execute(select(feed_items.c.id).where(
                feed_items.c.canonical_url == canonical_url).limit(1)).first() is not None

    def known_hash(self, content_hash: str) -> int | None:
        """The story an item with this content hash became (0 when it was not queued)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(feed_items.c.article_id).where(
                feed_items.c.content_hash == content_hash).limit(1)).first()
        if row is None:
            return None
        return int(row[0] or 0)

    def remember(self, feed: str, items: Iterable[SeenItem], now: datetime) -> None:
        """Record items as seen (an item already recorded for this feed is left as it was)."""
        rows: list[dict[str, Any]] = [{"feed": feed, "guid": i.guid, "canonical_url": i.canonical_url,
                 "content_hash": i.content_hash, "article_id": i.article_id, "seen_at": now}
                for i in items]
        if not rows:
            return
        known = self.seen_guids(feed, [r["guid"] for r in rows])
        fresh: dict[str, dict[str, Any]] = {}
        for r in rows:
            if r["guid"] not in known:
                fresh.setdefault(str(r["guid"]), r)
        if not fresh:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(feed_items), list(fresh.values()))
        except IntegrityError:  # another poller got there first: insert one by one
            for r in fresh.values():
                try:
                    with self.engine.begin() as conn:
                        conn.execute(insert(feed_items).values(**r))
                except IntegrityError:
                    continue


def _state(row: object) -> FeedState:
    r = dict(row)  # type: ignore[call-overload]
    return FeedState(
        name=r["name"], url=r["url"], added_at=r["added_at"], etag=r["etag"],
        last_modified=r["last_modified"], last_polled_at=r["last_polled_at"],
        next_poll_at=r["next_poll_at"], failures=r["failures"] or 0, last_error=r["last_error"],
    )
