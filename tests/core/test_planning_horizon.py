"""Planning proportional to the change: a horizon of timed places per target, the rest waiting
in rank order, and plans that never overwrite a newer state (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.daemon.planning import Planner, waiting_reason
from bot.daemon.runtime import Runtime
from bot.domain.models import ArticleDraft, Delivery, DeliveryState, Priority
from bot.domain.ports import ManualClock
from bot.reports.views import in_line
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


def _delivery(app: Runtime, article_id: int) -> Delivery:
    """The story's one delivery."""
    return app.queue.get_article(article_id)[1][0]


def _shown(app: Runtime, article_id: int) -> str | None:
    """The plan reason staff read for the story's one delivery."""
    _, found = app.queue.get_article(article_id)
    return in_line(app.queue, found, app.clock.now())[0].plan_reason


def test_a_waiting_story_shows_its_place_in_line(tmp_path: Path, engine: Engine) -> None:
    """Beyond the horizon each delivery reads its own place (the next to get a time is 1st);
    a breaking story that jumps ahead pushes the horizon's last one out, and everyone in line
    moves back one place; a planned delivery has no place in line."""
    app, clock = _app(tmp_path, engine)
    ids = []
    for n in range(6):
        ids.append(_add(app, n))
        clock.advance(1)
    # the four newest hold the horizon; the two oldest wait, the newer of them first
    assert app.queue.place_in_line(_delivery(app, ids[1]).id, clock.now()) == (1, HORIZON)
    assert app.queue.place_in_line(_delivery(app, ids[0]).id, clock.now()) == (2, HORIZON)
    assert app.queue.place_in_line(_delivery(app, ids[5]).id, clock.now()) is None
    assert _shown(app, ids[1]) == ("waiting: 1st in line for tg (4 posts planned ahead); "
                                   "it gets a time as places free up")
    assert _shown(app, ids[0]) is not None and _shown(app, ids[0]).startswith(
        "waiting: 2nd in line for tg (4 posts planned ahead)")
    assert _shown(app, ids[5]) == _plans(app)[ids[5]][1]  # a planned one keeps its reason
    urgent = _add(app, 99, priority=Priority.BREAKING)
    assert _plans(app)[urgent][0] is not None
    places = {a: app.queue.place_in_line(_delivery(app, a).id, clock.now()) for a in ids}
    assert places == {ids[0]: (3, HORIZON), ids[1]: (2, HORIZON), ids[2]: (1, HORIZON),
                      ids[3]: None, ids[4]: None, ids[5]: None}
    app.dispose()


def test_place_in_line_follows_the_planners_order(tmp_path: Path, engine: Engine) -> None:
    """The place is counted in the order the planner pulls waiting ones in: a high-priority
    story first, then the newest; one held by not_before after every one that may go now,
    soonest first; once its not_before has passed it counts as ready."""
    app, clock = _app(tmp_path, engine)
    start = clock.now()
    for n in range(HORIZON):
        _add(app, n, priority=Priority.BREAKING)  # the horizon: stories better than any below
        clock.advance(1)
    later = _add(app, 10, not_before=start + timedelta(hours=30))
    sooner = _add(app, 11, not_before=start + timedelta(hours=20))
    old = _add(app, 12)
    clock.advance(1)
    new = _add(app, 13)
    clock.advance(1)
    high = _add(app, 14, priority=Priority.HIGH)
    order = [high, new, old, sooner, later]
    assert {a: _plans(app)[a][0] for a in order} == dict.fromkeys(order)
    expected = [app.queue.place_in_line(_delivery(app, a).id, clock.now()) for a in order]
    assert expected == [(i, HORIZON) for i in range(1, 6)]
    waiting = [d.article_id for d, _ in app.queue.waiting("tg", clock.now(), 10)]
    assert waiting == order  # the same order the planner pulls them in
    clock.advance(25 * 3600)  # ``sooner`` may go now: it counts among the ready, by age
    moved = app.queue.place_in_line(_delivery(app, sooner).id, clock.now())
    assert moved is not None and moved[0] < 4
    assert [d.article_id for d, _ in app.queue.waiting("tg", clock.now(), 10)][moved[0] - 1] \
        == sooner
    app.dispose()


def test_a_place_in_line_is_one_query(tmp_path: Path) -> None:
    """Showing a waiting story's place costs one counting statement, however long the line;
    stories of a batch the planner never read (only the best of it is ranked) have theirs too."""
    from sqlalchemy import event

    app, clock = _app(tmp_path)
    app.intake.import_lines([  # queued at the same moment: the line is the order queued
        f'{{"url": "https://news.example/w{i}", "title": "Old {i}", "text": "Body."}}'
        for i in range(200)])
    _, found = app.queue.get_article(200)
    assert found[0].plan_reason is None
    statements: list[str] = []
    event.listen(app.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_a: statements.append(statement))
    shown = in_line(app.queue, found, clock.now())
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("SELECT COUNT")
    assert shown[0].plan_reason is not None
    assert shown[0].plan_reason.startswith("waiting: 196th in line for tg (4 posts planned")
    app.dispose()


def _reads(app: Runtime) -> list[tuple[str, set[str] | None]]:
    """Record which targets the planner asks the store about, per call (``None``: every
    target but some, as a full pass's ``unplan`` does)."""
    calls: list[tuple[str, set[str] | None]] = []
    for name in ("planned", "waiting", "unplan"):
        real = getattr(app.queue, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            targets = {args[0]} if isinstance(args[0], str) else set(args[0])
            calls.append((_name, None if kwargs.get("exclude") else targets))
            return _real(*args, **kwargs)

        setattr(app.queue, name, spy)
    return calls


def _only(calls: list[tuple[str, set[str] | None]], *targets: str) -> bool:
    """Did the planner read the horizon of ``targets``, and ask about no other target?"""
    return (("planned", set(targets)) in calls
            and all(t is not None and t <= set(targets) for _, t in calls))


def _three(tmp_path: Path, approval: dict[str, Any]) -> Runtime:
    """Three targets, with ``[approval]`` settings."""
    settings = make_settings(tmp_path, approval=approval, targets=[
        {"name": "tg", "platform": "telegram", "chat": "@news"},
        {"name": "xa", "platform": "x"},
        {"name": "xb", "platform": "x"}])
    return build_app(settings, clock=ManualClock())


def test_a_decision_plans_only_the_story_on_its_targets(tmp_path: Path) -> None:
    """Approving plans the story against its own targets' horizon only, no pass over every
    target; so do a rejection and the approval timeout."""
    app = _three(tmp_path, {"sources": ["cli"], "timeout": "1h", "on_timeout": "approve"})
    approved = app.intake.add(ArticleDraft(url="https://news.example/a", title="A",
                                           text="Body.", targets=["xa"])).article_id
    rejected = app.intake.add(ArticleDraft(url="https://news.example/r", title="R",
                                           text="Body.", targets=["tg", "xa"])).article_id
    app.clock.advance(1800)
    timed_out = app.intake.add(ArticleDraft(url="https://news.example/t", title="T",
                                            text="Body.", targets=["xb"])).article_id
    calls = _reads(app)
    app.review.approve(approved, by="cli:ann", via="cli")
    assert _only(calls, "xa")
    (d,) = app.queue.get_article(approved)[1]
    assert d.state is S.PENDING and d.planned_at == app.clock.now()
    calls.clear()
    app.review.reject(rejected, by="cli:ann", via="cli", target="tg")
    assert _only(calls, "tg")
    calls.clear()
    app.clock.advance(1800)
    assert app.review.settle_timeouts() == [rejected]  # its xa delivery: approved by the timeout
    assert _only(calls, "tg", "xa")
    calls.clear()
    app.clock.advance(1800)
    assert app.review.settle_timeouts() == [timed_out]
    assert _only(calls, "xb")
    (d,) = app.queue.get_article(timed_out)[1]
    assert d.planned_at is not None
    app.dispose()


def test_a_correction_plans_only_the_story_on_its_targets(tmp_path: Path) -> None:
    """An edit, a takedown and a confirmation plan the story's own targets, not every one."""
    from bot.domain.revisions import StoryChange

    app = _three(tmp_path, {})
    article = app.intake.add(ArticleDraft(url="https://news.example/c", title="C",
                                          text="Body.", targets=["xb"])).article_id
    (d,) = app.queue.get_article(article)[1]
    assert d.planned_at is not None and app.queue.claim(d.id, "a1", app.clock.now())
    app.queue.finish(d.id, "a1", state=S.NEEDS_REVIEW, now=app.clock.now(), outcome="unknown")
    calls = _reads(app)
    app.corrections.confirm(article, "xb", not_posted=True, requested_by="cli")
    assert _only(calls, "xb")
    (d,) = app.queue.get_article(article)[1]
    assert d.state is S.PENDING and d.planned_at is not None
    calls.clear()
    app.corrections.edit(article, StoryChange(title="C, corrected"))
    assert _only(calls, "xb")
    calls.clear()
    app.corrections.takedown(article, reason=None, requested_by="cli")
    assert _only(calls, "xb")
    app.dispose()


def test_a_pass_reads_the_waiting_only_when_one_may_go_sooner(tmp_path: Path) -> None:
    """A daemon pass over a full horizon of stories scheduled for later does not rank the
    waiting ones while none of them may go before the horizon's last planned time; once one
    may (queued elsewhere, for sooner), the next pass pulls it in."""
    app, clock = _app(tmp_path)
    start = clock.now()
    app.intake.import_lines([
        f'{{"url": "https://news.example/s{i}", "title": "Later {i}", "text": "Body.", '
        f'"not_before": "{(start + timedelta(hours=2 + i)).isoformat()}"}}' for i in range(8)])
    listed: list[int] = []
    waiting = app.queue.waiting

    def spy(*args: Any, **kwargs: Any) -> Any:
        listed.append(1)
        return waiting(*args, **kwargs)

    app.queue.waiting = spy  # type: ignore[method-assign]
    clock.advance(60)
    app.planner.replan(["tg"])
    assert listed == []
    app.intake.on_change = None  # queued by another process: the daemon's pass plans it
    sooner = _add(app, 99, not_before=start + timedelta(hours=4, minutes=30))
    app.planner.replan(["tg"])
    assert listed == [1]
    assert _plans(app)[sooner][0] == start + timedelta(hours=4, minutes=30)
    app.dispose()
