"""Feed state for people: ``feeds list`` rows and the problems ``status`` shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.config.settings import FeedConfig
from bot.reports.views import iso as _iso
from bot.store.feeds import FeedStore

FAILING_AFTER = 2
"""Failures in a row after which a feed is reported as a problem."""


def feed_rows(feeds: Sequence[FeedConfig], store: FeedStore) -> list[dict[str, Any]]:
    """One row per configured feed: URL, interval, last and next poll, failures, last error."""
    known = {s.name: s for s in store.all()}
    rows = []
    for feed in feeds:
        st = known.get(feed.name)
        rows.append({
            "name": feed.name, "url": feed.url, "interval": feed.interval,
            "targets": feed.targets, "priority": feed.priority.value,
            "added_at": _iso(st.added_at if st else None),
            "last_polled_at": _iso(st.last_polled_at if st else None),
            "next_poll_at": _iso(st.next_poll_at if st else None),
            "failures": st.failures if st else 0,
            "last_error": st.last_error if st else None,
        })
    return rows


def feed_problems(feeds: Sequence[FeedConfig], store: FeedStore) -> list[str]:
    """A line per configured feed failing ``FAILING_AFTER`` times or more in a row."""
    problems = []
    for row in feed_rows(feeds, store):
        if row["failures"] >= FAILING_AFTER:
            problems.append(f"feed {row['name']}: failed {row['failures']} times in a row "
                            f"({row['last_error']}); backing off, next try {row['next_poll_at']}")
    return problems
