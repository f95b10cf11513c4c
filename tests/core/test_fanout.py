"""A story queued to many targets: composed once per distinct set of compose options, and
planned on all its targets with a number of store queries that does not grow with them
(SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.config.settings import TargetConfig
from bot.daemon.planning import Planner
from bot.daemon.runtime import Runtime
from bot.domain.models import ArticleDraft, DeliveryState, Post
from bot.domain.ports import ManualClock
from bot.intake.queueing import compose_post
from bot.wiring import build_app
from tests.conftest import emptied, make_settings

TEXT = ("The city council approved the new budget on Tuesday after a long debate. "
        "Officials said the plan funds schools, roads and a new library.")


def _draft(n: int) -> ArticleDraft:
    return ArticleDraft(url=f"https://news.example/{n}", title=f"Story {n}", text=TEXT,
                        image_url="https://news.example/photo.jpg")


def test_identical_compose_options_compose_once(tmp_path: Path) -> None:
    """Twelve targets in two option sets (six Telegram channels, six X accounts, differing only
    in what the composer does not read: chat, schedule, approval, link preview) compose two
    posts; targets with a different summary budget, length limit, hashtags, image policy or
    platform each get their own, and every delivery carries what ``compose_post`` makes for
    its target alone."""
    same = [{"name": f"tg{i}", "platform": "telegram", "chat": f"@c{i}",
             "schedule": "default" if i % 2 else "slow", "approval": False,
             "link_preview": "large" if i % 3 else "small"} for i in range(6)]
    same += [{"name": f"x{i}", "platform": "x", "schedule": "slow" if i % 2 else "default"}
             for i in range(6)]
    differ: list[dict[str, Any]] = [
        {"name": "tg-long", "platform": "telegram", "chat": "@long", "summary_chars": 60},
        {"name": "tg-photo", "platform": "telegram", "chat": "@photo", "photo": True},
        {"name": "x-short", "platform": "x", "max_length": 140},
        {"name": "x-tags", "platform": "x", "hashtags": ["budget"]},
    ]
    settings = make_settings(tmp_path, schedules={"slow": {"min_interval": "1h"}},
                             targets=same + differ)
    app = build_app(settings)
    calls: list[str] = []

    def counting(draft: ArticleDraft, target: TargetConfig) -> Post:
        calls.append(target.name)
        return compose_post(draft, target)

    app.intake.composer = counting
    added = app.intake.add(_draft(1))
    assert added.created and len(added.targets) == 16
    assert len(calls) == 2 + len(differ)
    assert {"tg-long", "tg-photo", "x-short", "x-tags"} <= set(calls)
    _, found = app.queue.get_article(added.article_id)
    by_name = {t.name: t for t in settings.targets}
    for d in found:
        assert d.post() == compose_post(_draft(1), by_name[d.target]), d.target
    posts = {d.target: d.post() for d in found}
    assert len({posts[f"tg{i}"] for i in range(6)}) == 1
    assert len({posts[f"x{i}"] for i in range(6)}) == 1
    assert len(set(posts.values())) == 2 + len(differ)
    app.dispose()


def _fresh(db_url: str, path: Path) -> str:
    """An empty database: a SQLite file at ``path``, or the PostgreSQL test database emptied."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{path}"
    return emptied(db_url)


def _network(n: int) -> list[dict[str, Any]]:
    """``n`` targets, Telegram and X in turn; every third on a schedule with ``max_age``."""
    return [{"name": f"t{i}", "platform": "x" if i % 2 else "telegram",
             **({} if i % 2 else {"chat": f"@c{i}"}),
             "schedule": "aged" if i % 3 == 0 else "default"} for i in range(n)]


def _queries_to_queue(tmp_path: Path, engine: Engine, n: int, backlog: int,
                      horizon: int) -> tuple[int, Runtime]:
    """Statements run while one story is queued to ``n`` targets that each hold ``backlog``
    pending stories (planned), with a planner horizon of ``horizon`` places."""
    clock = ManualClock()
    settings = make_settings(
        tmp_path, targets=_network(n),
        schedules={"default": {"min_interval": "10m"},
                   "aged": {"min_interval": "10m", "max_age": "6h"}})
    app = build_app(settings, clock=clock, engine=engine)
    app.planner = Planner(queue=app.queue, state=app.state, settings=settings, clock=clock,
                          horizon=horizon)
    app.intake.on_change = app.planner.replan
    for i in range(backlog):
        assert app.intake.add(_draft(100 + i)).created
    clock.advance(60)  # the new story is the newest: it goes first
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        added = app.intake.add(_draft(1))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert added.created and len(added.targets) == n
    return len(statements), app


@pytest.mark.parametrize(("backlog", "horizon"), [(0, 32), (6, 4)],
                         ids=["refilling-horizons", "full-horizons"])
def test_planning_many_targets_takes_a_bounded_number_of_queries(
        tmp_path: Path, db_url: str, backlog: int, horizon: int) -> None:
    """Queueing a story to 40 targets runs as many statements as queueing it to 4, whether the
    targets' horizons are short (the pass pulls waiting ones in and expires stale ones, on a
    mix of schedules with and without ``max_age``) or full (the new story is planned against
    them); and every target's new delivery gets a planned time."""
    from bot.store.db import make_engine, upgrade

    counts = {}
    for n in (4, 40):
        engine = make_engine(_fresh(db_url, tmp_path / f"n{n}.db"))
        upgrade(engine)
        counts[n], app = _queries_to_queue(tmp_path / f"n{n}", engine, n, backlog, horizon)
        found = [d for _, ds in app.queue.list_articles(limit=1) for d in ds]
        assert len(found) == n
        assert all(d.state is DeliveryState.PENDING and d.planned_at is not None
                   for d in found), [d.plan_reason for d in found]
        app.dispose()
    assert counts[40] == counts[4], counts
    assert counts[4] <= 16, counts
