"""Feed state for people: ``feeds list`` rows and the problems ``status`` shows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.store.feeds import FeedStore
from bot.views import iso as _iso

if TYPE_CHECKING:
    from bot.wiring import App

FAILING_AFTER = 2
"""Failures in a row after which a feed is reported as a problem."""


def feed_rows(app: App) -> list[dict[str, Any]]:
    """One row per configured feed: URL, interval, last and next poll, failures, last error."""
    known = {s.name: s for s in FeedStore(engine=app.engine).all()}
    rows = []
    for feed in app.settings.feeds:
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


def feed_problems(app: App) -> list[str]:
    """A line per configured feed failing ``FAILING_AFTER`` times or more in a row."""
    problems = []
    for row in feed_rows(app):
        if row["failures"] >= FAILING_AFTER:
            problems.append(f"feed {row['name']}: failed {row['failures']} times in a row "
                            f"({row['last_error']}); backing off, next try {row['next_poll_at']}")
    return problems
