"""Planning proportional to the change: a horizon of timed places per target, the rest waiting
in rank order, and plans that never overwrite a newer state (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.daemon.planning import Planner, waiting_reason
from bot.daemon.runtime import Runtime
from bot.domain.models import ArticleDraft, DeliveryState, Priority
from bot.domain.ports import ManualClock
from bot.wiring import build_app
from tests.conftest import make_settings

S = DeliveryState
HORIZON = 4


def _app(tmp_path: Path, engine: Engine | None = None) -> tuple[Runtime, ManualClock]:
    """A runtime whose planner keeps a horizon of four places on a ten-minute pace."""
    clock = ManualClock()
    settings = make_settings(tmp_path, schedules={"paced": {"min_interval": "10m"}},
                             targets=[{"name": "tg", "platform": "telegram", "chat": "@news",
                                       "schedule": "paced"}])
    app = build_app(settings, clock=clock, engine=engine)
    app.planner = Planner(queue=app.queue, state=app.state, settings=settings, clock=clock,
                          horizon=HORIZON)
    app.intake.on_change = app.planner.replan
    return app, clock


def _add(app: Runtime, n: int, **fields: Any) -> int:
    """Queue story ``n``."""
    draft = ArticleDraft(url=f"https://news.example/{n}", title=f"Story {n}", text="Body.",
                         **fields)
    return app.intake.add(draft).article_id


def _plans(app: Runtime) -> dict[int, tuple[Any, str | None]]:
    """Article id → (planned time, reason) of its one delivery."""
    return {d.article_id: (d.planned_at, d.plan_reason)
            for _, found in app.queue.list_articles(limit=1000) for d in found
            if d.state is S.PENDING}


def test_only_the_horizon_gets_times(tmp_path: Path, engine: Engine) -> None:
    """Ten stories: the four newest hold the next four places; the rest wait with a reason and
    get a time, best first, as the horizon drains."""
    app, clock = _app(tmp_path, engine)
    ids = []
    for n in range(10):
        ids.append(_add(app, n))
        clock.advance(1)
    plans = _plans(app)
    timed = sorted((at, a) for a, (at, _) in plans.items() if at is not None)
    assert [a for _, a in timed] == ids[::-1][:HORIZON]
    assert [t for t, _ in timed] == [timed[0][0] + timedelta(minutes=10 * i)
                                     for i in range(HORIZON)]
    waiting = [a for a, (at, why) in plans.items() if at is None]
    assert sorted(waiting) == sorted(ids[:-HORIZON])
    assert {plans[a][1] for a in waiting} == {waiting_reason(HORIZON)}
    for a in ids[-HORIZON:][::-1][:3]:  # three leave: below half, it refills from the waiting
        app.intake.cancel(a)
    plans = _plans(app)
    timed_now = {a for a, (at, _) in plans.items() if at is not None}
    assert timed_now == {ids[-4], ids[-5], ids[-6]}  # refilled at half, newest first
    app.planner.replan(["tg"], refill=True)
    plans = _plans(app)
    timed_now = {a for a, (at, _) in plans.items() if at is not None}
    assert timed_now == {ids[-4], ids[-5], ids[-6], ids[-7]}
    app.dispose()


def test_adding_reads_the_horizon_not_the_queue(tmp_path: Path) -> None:
    """With hundreds waiting, adding a story never lists the waiting ones and leaves their
    rows untouched; the new story takes the next place as the newest."""
    app, clock = _app(tmp_path)
    app.intake.import_lines([
        f'{{"url": "https://news.example/w{i}", "title": "Old {i}", "text": "Body."}}'
        for i in range(300)])
    before = {d.id: d.updated_at for _, found in app.queue.list_articles(limit=1000)
              for d in found}
    listed: list[int] = []
    waiting = app.queue.waiting

    def spy(*args: Any, **kwargs: Any) -> Any:
        listed.append(1)
        return waiting(*args, **kwargs)

    app.queue.waiting = spy  # type: ignore[method-assign]
    clock.advance(60)
    new = _add(app, 1000)
    assert listed == []
    after = {d.id: d.updated_at for _, found in app.queue.list_articles(limit=1000)
             for d in found}
    assert {k: v for k, v in after.items() if k in before} == before
    plans = _plans(app)
    first = min((at, a) for a, (at, _) in plans.items() if at is not None)
    assert first[1] == new
    assert sum(1 for at, _ in plans.values() if at is not None) == HORIZON
    app.dispose()


def test_breaking_story_goes_first_even_when_the_horizon_is_full(tmp_path: Path) -> None:
    """A breaking story added behind a full horizon is planned at once."""
    app, clock = _app(tmp_path)
    for n in range(8):
        _add(app, n)
    clock.advance(5)
    urgent = _add(app, 99, priority=Priority.BREAKING)
    at, why = _plans(app)[urgent]
    assert at == clock.now() and why is not None and "breaking" in why
    app.dispose()


def test_a_stale_plan_never_overwrites_a_newer_state(tmp_path: Path, engine: Engine) -> None:
    """A plan computed before a delivery changed (here: it was claimed and sent back with a
    retry time) is dropped, not written over the newer retry time."""
    app, clock = _app(tmp_path, engine)
    article = _add(app, 1)
    _, (d,) = app.queue.get_article(article)
    snapshot = d.updated_at
    clock.advance(1)
    assert app.queue.claim(d.id, "a1", d.planned_at or clock.now())
    retry_at = clock.now() + timedelta(minutes=7)
    assert app.queue.finish(d.id, "a1", state=S.PENDING, now=clock.now(), outcome="transient",
                            error="timeout", error_kind="transient", planned_at=retry_at)
    written = app.queue.set_plans([(d.id, clock.now(), "stale plan")], seen={d.id: snapshot})
    assert written == 0
    assert not app.queue.expire(d.id, "stale expiry", clock.now(), seen=snapshot)
    _, (fresh,) = app.queue.get_article(article)
    assert fresh.planned_at == retry_at and fresh.state is S.PENDING
    app.dispose()


def test_waiting_stories_past_max_age_expire_on_refill(tmp_path: Path) -> None:
    """Stories that waited beyond the horizon until max_age passed expire when it refills."""
    clock = ManualClock()
    settings = make_settings(tmp_path, schedules={"paced": {"min_interval": "1h",
                                                            "max_age": "3h"}},
                             targets=[{"name": "tg", "platform": "telegram", "chat": "@news",
                                       "schedule": "paced"}])
    app = build_app(settings, clock=clock)
    app.planner = Planner(queue=app.queue, state=app.state, settings=settings, clock=clock,
                          horizon=2)
    app.intake.on_change = app.planner.replan
    for n in range(6):
        _add(app, n)
    clock.advance(4 * 3600)
    summary = app.planner.replan()
    assert summary.expired == 6
    states = [d.state for _, found in app.queue.list_articles() for d in found]
    assert states == [S.EXPIRED] * 6
    app.dispose()


def test_scheduled_stories_enter_the_horizon_soonest_first(tmp_path: Path) -> None:
    """Stories held by not_before fill the horizon soonest first, and one due sooner than the
    horizon's own is pulled in on the next pass (the horizon is full, but not of stories that
    may go now)."""
    app, clock = _app(tmp_path)
    start = clock.now()
    lines = [f'{{"url": "https://news.example/s{i}", "title": "Later {i}", "text": "Body.", '
             f'"not_before": "{(start + timedelta(hours=2 + i)).isoformat()}"}}'
             for i in range(8)]
    app.intake.import_lines(lines)
    firsts = {a for a, (at, _) in _plans(app).items() if at is not None}
    assert sorted(firsts) == [1, 2, 3, 4]  # the four soonest of the eight
    soon = f'{{"url": "https://news.example/soon", "title": "Sooner", "text": "Body.", ' \
           f'"not_before": "{(start + timedelta(hours=1)).isoformat()}"}}'
    app.intake.on_change = None  # queued elsewhere; the daemon's next pass plans it
    app.intake.import_lines([soon])
    app.intake.on_change = app.planner.replan
    app.planner.replan(["tg"])
    plans = _plans(app)
    sooner = next(a for a in plans if a not in firsts and plans[a][0] is not None)
    assert plans[sooner][0] == start + timedelta(hours=1)
    assert min(at for at, _ in plans.values() if at is not None) == start + timedelta(hours=1)
    app.dispose()
