"""Weeks of simulated time through both DST changes: a fake daemon replans and posts on time."""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.models import Priority
from bot.domain.schedule import PendingItem, ScheduleRules, plan_target

from .helpers import KYIV, NEW_YORK, local, rules

_PRIORITIES = [Priority.LOW, Priority.NORMAL, Priority.NORMAL, Priority.NORMAL, Priority.HIGH,
               Priority.BREAKING]


@dataclass
class Run:
    """What the simulated daemon did: posts (time, item) and expiries."""

    posts: list[tuple[datetime, PendingItem]] = field(default_factory=list)
    expired: list[tuple[datetime, PendingItem, str]] = field(default_factory=list)


def simulate(r: ScheduleRules, start: datetime, days: int, seed: int, per_day: float) -> Run:
    """Queue stories at random, replan after every event and post whatever is due."""
    rng = random.Random(seed)
    end = start + timedelta(days=days)
    arrivals: list[PendingItem] = []
    t = start
    while t < end:
        t += timedelta(seconds=rng.expovariate(per_day / 86400))
        priority = rng.choice(_PRIORITIES)
        not_before = t + timedelta(hours=rng.randint(1, 5)) if rng.random() < 0.1 else None
        story = t - timedelta(hours=rng.randint(0, 3))
        arrivals.append(PendingItem(len(arrivals) + 1, priority, t, not_before, story))
    run = Run()
    pending: dict[int, PendingItem] = {}
    history: list[datetime] = []
    now = start
    next_arrival = 0
    for _ in range(100_000):
        while next_arrival < len(arrivals) and arrivals[next_arrival].queued_at <= now:
            pending[arrivals[next_arrival].delivery_id] = arrivals[next_arrival]
            next_arrival += 1
        plans = plan_target(r, now=now, history=history[-200:], pending=list(pending.values()))
        upcoming: list[datetime] = []
        for plan in plans:
            if plan.expired_reason is not None:
                run.expired.append((now, pending.pop(plan.delivery_id), plan.expired_reason))
            elif plan.planned_at is not None and plan.planned_at <= now:
                assert plan.planned_at == now, "the daemon wakes exactly at planned times"
                run.posts.append((now, pending.pop(plan.delivery_id)))
                history.append(now)
                break  # post one, then replan as the daemon does
            elif plan.planned_at is not None:
                upcoming.append(plan.planned_at)
        else:
            if next_arrival < len(arrivals):
                upcoming.append(arrivals[next_arrival].queued_at)
            if not upcoming or min(upcoming) > end:
                return run
            now = min(upcoming)
    raise AssertionError("simulation did not finish")  # pragma: no cover


def _check(run: Run, r: ScheduleRules, tz: ZoneInfo) -> None:
    times = [t for t, _ in run.posts]
    assert times == sorted(times)
    for index, (t, story) in enumerate(run.posts):
        wall = t.astimezone(tz)
        if story.not_before is not None:
            assert t >= story.not_before
        if r.max_age is not None:
            assert t - (story.story_time or story.queued_at) <= r.max_age
        minute = wall.hour * 60 + wall.minute
        in_quiet = any(a <= minute * 60 < b for a, b in r.quiet_set)
        if story.priority is Priority.BREAKING:
            assert not in_quiet or r.breaking_ignores_quiet_hours
            continue
        assert not in_quiet, f"post at {wall} inside quiet hours"
        assert any(a <= minute * 60 < b for a, b in r.window_set), f"post at {wall} outside windows"
        if index and r.min_interval:
            assert t - times[index - 1] >= r.min_interval
        for limit, span in ((r.max_per_hour, timedelta(hours=1)), (r.max_per_day, timedelta(1))):
            if limit is not None:
                since = bisect.bisect_right(times, t - span)
                assert index + 1 - since <= limit, f"quota {limit} broken at {wall}"


CONTINUOUS: list[tuple[str, ZoneInfo, datetime, dict[str, Any]]] = [
    ("Europe/Kyiv", KYIV, local(KYIV, 2026, 3, 15), {}),
    ("Europe/Kyiv", KYIV, local(KYIV, 2026, 10, 11), {}),
    ("America/New_York", NEW_YORK, local(NEW_YORK, 2026, 2, 22), {}),
    ("America/New_York", NEW_YORK, local(NEW_YORK, 2026, 10, 18), {}),
]


@pytest.mark.parametrize(("zone", "tz", "start", "_"), CONTINUOUS)
def test_weeks_of_windows_pacing_quotas_and_breaking(
    zone: str, tz: ZoneInfo, start: datetime, _: dict[str, Any]
) -> None:
    """Four weeks over a DST change: posts stay in windows, paced, within quotas, never stale."""
    r = rules(zone, windows=["07:00-12:00", "21:00-02:30"], quiet_hours=["01:30-03:30"],
              min_interval="25m", max_per_hour=2, max_per_day=14, max_age="18h")
    run = simulate(r, start, days=28, seed=len(zone) + start.month, per_day=20)
    _check(run, r, tz)
    assert len(run.posts) > 28 * 8
    assert run.expired, "a backlog beyond the daily quota expires instead of flooding"
    assert all("older than max_age 18h" in reason for _, _, reason in run.expired)
    assert any(s.priority is Priority.BREAKING for _, s in run.posts)


@pytest.mark.parametrize(("zone", "tz", "start", "_"), CONTINUOUS)
def test_weeks_of_weekday_slots_fill_every_slot_once(
    zone: str, tz: ZoneInfo, start: datetime, _: dict[str, Any]
) -> None:
    """Four weeks of slots with a steady backlog: each slot carries exactly one post, on time.

    The backlog outgrows the slots, so ``max_age`` keeps it short by expiring stale stories.
    """
    slots = {"mon-fri": ["02:30", "08:00", "12:30", "18:00"],
             "sat,sun": ["01:30", "02:30", "03:30", "10:00"]}
    gap_end = {"Europe/Kyiv": {"03:30": "04:00"}, "America/New_York": {"02:30": "03:00"}}[zone]
    r = rules(zone, slots=slots, max_age="36h")
    run = simulate(r, start, days=28, seed=7, per_day=12)
    non_breaking = [t for t, s in run.posts if s.priority is not Priority.BREAKING]
    assert len(non_breaking) == len(set(non_breaking))
    by_day: dict[Any, list[str]] = {}
    for t in non_breaking:
        wall = t.astimezone(tz)
        by_day.setdefault(wall.date(), []).append(wall.strftime("%H:%M"))
    days = sorted(by_day)[1:-1]  # whole days only
    assert len(days) >= 25
    moved = 0
    for day in days:
        expected = slots["mon-fri"] if day.weekday() < 5 else slots["sat,sun"]
        got = by_day[day]
        assert len(got) == len(expected), (day, got)
        for wanted, actual in zip(expected, got, strict=True):
            # a slot in the missing hour moves to the gap's end; every other keeps its time
            assert actual == wanted or actual == gap_end.get(wanted), (day, got)
            moved += actual != wanted
    assert moved == (1 if start.month < 6 else 0)


def test_breaking_lane_goes_within_seconds_and_ignores_quota() -> None:
    """Breaking stories queued during the day go out the moment they arrive."""
    r = rules(slots=["12:00"], max_per_day=1, min_interval="2h")
    run = simulate(r, local(KYIV, 2026, 3, 20), days=14, seed=3, per_day=10)
    breaking = [(t, s) for t, s in run.posts if s.priority is Priority.BREAKING]
    assert breaking
    for t, story in breaking:
        assert t == max(story.queued_at, story.not_before or story.queued_at)
