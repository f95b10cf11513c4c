"""plan_target: slots, pacing, quotas, priorities, max_age, the breaking lane, not_before."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from bot.domain.models import Priority
from bot.domain.schedule import MISSED_SLOT_GRACE, Plan, plan_target

from .helpers import KYIV, item, local, never_posting_rules, rules, utc

NOW = utc(2026, 1, 5, 9, 0)  # Monday 11:00 in Kyiv


def _times(plans: list[Plan]) -> dict[int, object]:
    return {p.delivery_id: p.planned_at for p in plans}


def test_empty_schedule_posts_everything_now() -> None:
    """Without any rule every story is planned at now."""
    plans = plan_target(rules(), now=NOW, history=[], pending=[item(1, NOW), item(2, NOW)])
    assert [p.planned_at for p in plans] == [NOW, NOW]
    assert plans[0].reason == "free now"


def test_min_interval_counts_history_and_earlier_plans() -> None:
    """Posts are min_interval apart, starting from the last published post."""
    r = rules(min_interval="10m")
    plans = plan_target(r, now=NOW, history=[NOW - timedelta(minutes=4)],
                        pending=[item(i, NOW - timedelta(minutes=i)) for i in range(1, 4)])
    assert [p.planned_at for p in plans] == [NOW + timedelta(minutes=m) for m in (6, 16, 26)]
    assert plans[0].reason.startswith("min_interval 10m after last post at 2026-01-05 08:56 UTC")


def test_each_slot_carries_one_post_and_newest_goes_first() -> None:
    """Three stories fill three slots; the newest takes the first."""
    r = rules(slots=["12:30", "18:00"])
    pending = [item(1, NOW - timedelta(hours=3)), item(2, NOW - timedelta(hours=1)),
               item(3, NOW - timedelta(hours=2))]
    plans = plan_target(r, now=NOW, history=[], pending=pending)
    assert _times(plans) == {
        2: local(KYIV, 2026, 1, 5, 12, 30),
        3: local(KYIV, 2026, 1, 5, 18, 0),
        1: local(KYIV, 2026, 1, 6, 12, 30),
    }
    assert plans[0].reason == "slot Mon 12:30 Europe/Kyiv"


def test_priority_beats_newness() -> None:
    """A high-priority older story wins the earlier slot over a newer normal one."""
    r = rules(slots=["12:30", "18:00"])
    plans = plan_target(r, now=NOW, history=[], pending=[
        item(1, NOW - timedelta(hours=5), Priority.HIGH), item(2, NOW),
        item(3, NOW, Priority.LOW),
    ])
    assert [p.delivery_id for p in plans] == [1, 2, 3]


def test_windows_restrict_slots_and_quiet_hours_hold() -> None:
    """Slots outside windows or inside quiet hours stay empty."""
    r = rules(slots=["06:00", "12:30", "23:30"], windows=["07:00-23:59"],
              quiet_hours=["23:00-07:00"])
    plans = plan_target(r, now=NOW, history=[], pending=[item(1, NOW), item(2, NOW)])
    assert [p.planned_at for p in plans] == [local(KYIV, 2026, 1, 5, 12, 30),
                                            local(KYIV, 2026, 1, 6, 12, 30)]


def test_window_opens_later_reason() -> None:
    """Outside the window the story waits for it to open, and says so."""
    r = rules(windows=["14:00-16:00"])
    [plan] = plan_target(r, now=NOW, history=[], pending=[item(1, NOW)])
    assert plan.planned_at == local(KYIV, 2026, 1, 5, 14, 0)
    assert plan.reason == "window opens 14:00"


def test_quiet_hours_reason() -> None:
    """Inside quiet hours the story waits for them to end, and says so."""
    r = rules(quiet_hours=["22:00-07:00"])
    now = local(KYIV, 2026, 1, 5, 23, 0)
    [plan] = plan_target(r, now=now, history=[], pending=[item(1, now)])
    assert plan.planned_at == local(KYIV, 2026, 1, 6, 7, 0)
    assert plan.reason == "quiet hours until 07:00"


def test_rolling_hourly_quota() -> None:
    """max_per_hour holds in every 60-minute span, counting history."""
    r = rules(max_per_hour=2)
    history = [NOW - timedelta(minutes=50), NOW - timedelta(minutes=10)]
    plans = plan_target(r, now=NOW, history=history, pending=[item(i, NOW) for i in range(4)])
    assert [p.planned_at for p in plans] == [
        NOW + timedelta(minutes=10), NOW + timedelta(minutes=50),
        NOW + timedelta(minutes=70), NOW + timedelta(minutes=110),
    ]
    assert "max_per_hour 2 reached" in plans[0].reason


def test_daily_quota_short_newest_and_highest_win() -> None:
    """With max_per_day short, the highest-priority and newest stories take today's places."""
    r = rules(max_per_day=2, min_interval="1h")
    pending = [item(1, NOW - timedelta(hours=3)), item(2, NOW - timedelta(hours=1)),
               item(3, NOW - timedelta(hours=2)), item(4, NOW - timedelta(hours=4), Priority.HIGH)]
    plans = plan_target(r, now=NOW, history=[], pending=pending)
    assert _times(plans) == {4: NOW, 2: NOW + timedelta(hours=1),
                             3: NOW + timedelta(days=1), 1: NOW + timedelta(days=1, hours=1)}
    assert "max_per_day 2 reached in the last 24 hours" in plans[2].reason


def test_max_age_expires_stale_stories_now_and_at_their_place() -> None:
    """Stories older than max_age now, or by the place they would get, expire with the reason."""
    r = rules(max_age="12h", max_per_day=1)
    stale = item(1, NOW - timedelta(hours=1), story_time=utc(2026, 1, 4, 20, 10))
    fresh = item(2, NOW)
    older = item(3, NOW - timedelta(hours=2))
    plans = {p.delivery_id: p for p in plan_target(r, now=NOW, history=[],
                                                    pending=[stale, fresh, older])}
    assert plans[1].planned_at is None
    assert plans[1].expired_reason == "older than max_age 12h (story from 2026-01-04 20:10 UTC)"
    assert plans[2].planned_at == NOW
    assert plans[3].planned_at is None
    assert plans[3].expired_reason is not None
    assert "at its planned time 2026-01-06 09:00 UTC" in plans[3].expired_reason


def test_breaking_ignores_slots_interval_and_quotas() -> None:
    """A breaking story goes now although slots, min_interval and a full quota say otherwise."""
    r = rules(slots=["12:30"], min_interval="1h", max_per_day=1)
    plans = plan_target(r, now=NOW, history=[NOW - timedelta(minutes=5)],
                        pending=[item(1, NOW), item(2, NOW, Priority.BREAKING)])
    assert plans[0].delivery_id == 2 and plans[0].planned_at == NOW
    assert plans[0].reason == "breaking lane"
    assert plans[1].planned_at == local(KYIV, 2026, 1, 6, 12, 30)


def test_breaking_waits_for_quiet_hours_unless_allowed() -> None:
    """Quiet hours hold for breaking news unless breaking_ignores_quiet_hours is set."""
    now = local(KYIV, 2026, 1, 5, 2, 0)
    pending = [item(1, now, Priority.BREAKING)]
    [held] = plan_target(rules(quiet_hours=["23:00-07:00"]), now=now, history=[], pending=pending)
    assert held.planned_at == local(KYIV, 2026, 1, 5, 7, 0)
    assert held.reason == "breaking lane; quiet hours until 07:00"
    [free] = plan_target(rules(quiet_hours=["23:00-07:00"], breaking_ignores_quiet_hours=True),
                         now=now, history=[], pending=pending)
    assert free.planned_at == now


def test_breaking_posts_count_towards_quotas() -> None:
    """A planned breaking post uses up quota for the normal stories after it."""
    r = rules(max_per_hour=1)
    plans = plan_target(r, now=NOW, history=[],
                        pending=[item(1, NOW), item(2, NOW, Priority.BREAKING)])
    assert _times(plans) == {2: NOW, 1: NOW + timedelta(hours=1)}


def test_not_before_is_respected_and_others_fill_earlier_places() -> None:
    """A story held by not_before does not block others from earlier places."""
    r = rules(min_interval="30m")
    later = NOW + timedelta(hours=2)
    plans = plan_target(r, now=NOW, history=[], pending=[
        item(1, NOW, not_before=later), item(2, NOW - timedelta(hours=1)),
    ])
    assert _times(plans) == {2: NOW, 1: later}
    assert plans[1].reason == "not_before 2026-01-05 11:00 UTC"


def test_blocked_until_is_a_floor_for_everything() -> None:
    """No plan, breaking or not, falls before blocked_until."""
    r = rules(min_interval="1m")
    blocked = NOW + timedelta(minutes=7)
    plans = plan_target(r, now=NOW, history=[], blocked_until=blocked,
                        pending=[item(1, NOW), item(2, NOW, Priority.BREAKING)])
    assert all(p.planned_at is not None and p.planned_at >= blocked for p in plans)
    assert "blocked until" in plans[0].reason


def test_slot_that_just_passed_is_still_used_once() -> None:
    """A slot passed less than the grace ago and not yet used goes now; a used one does not."""
    r = rules(slots=["12:30"])
    now = local(KYIV, 2026, 1, 5, 12, 31)
    [late] = plan_target(r, now=now, history=[], pending=[item(1, now)])
    assert late.planned_at == now
    assert "slot just passed" in late.reason
    used = [local(KYIV, 2026, 1, 5, 12, 30, 1)]
    [next_day] = plan_target(r, now=now, history=used, pending=[item(1, now)])
    assert next_day.planned_at == local(KYIV, 2026, 1, 6, 12, 30)
    gone = now + MISSED_SLOT_GRACE
    [missed] = plan_target(r, now=gone, history=[], pending=[item(1, now)])
    assert missed.planned_at == local(KYIV, 2026, 1, 6, 12, 30)


def test_schedule_that_never_opens_leaves_items_unplanned() -> None:
    """When no place exists, plans carry neither time nor expiry, and say why."""
    r = never_posting_rules(windows=["01:00-02:00"], quiet_hours=["00:00-03:00"])
    [plan] = plan_target(r, now=NOW, history=[], pending=[item(1, NOW)])
    assert plan.planned_at is None and plan.expired_reason is None
    assert "never opens" in plan.reason


def test_naive_now_is_refused() -> None:
    """Naive datetimes are a bug in the caller and are refused."""
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_target(rules(), now=NOW.replace(tzinfo=None), history=[], pending=[])


def test_deterministic() -> None:
    """The same input gives the same plans, whatever the order of pending items."""
    r = rules(slots=["09:00", "13:00"], max_per_day=1)
    pending = [item(i, NOW - timedelta(minutes=i % 3)) for i in range(20)]
    first = plan_target(r, now=NOW, history=[], pending=pending)
    second = plan_target(r, now=NOW, history=[], pending=list(reversed(pending)))
    assert first == second


def test_thousands_of_items_plan_fast() -> None:
    """Three thousand pending stories on a paced, windowed, quota'd schedule plan in well under 1 s."""
    r = rules(windows=["07:00-23:00"], quiet_hours=["13:00-14:00"], min_interval="10m",
              max_per_hour=4, max_per_day=40)
    pending = [item(i, NOW - timedelta(seconds=i), Priority.HIGH if i % 7 == 0 else Priority.NORMAL)
               for i in range(3000)]
    started = time.perf_counter()
    plans = plan_target(r, now=NOW, history=[], pending=pending)
    elapsed = time.perf_counter() - started
    assert len(plans) == 3000 and all(p.planned_at for p in plans)
    assert elapsed < 1.0


def test_thousands_of_items_on_slots_plan_fast() -> None:
    """Three thousand stories on three daily slots plan (years ahead) in well under 1 s."""
    r = rules(slots={"mon-fri": ["08:00", "12:30", "18:00"], "sat,sun": ["10:00"]})
    pending = [item(i, NOW - timedelta(seconds=i)) for i in range(3000)]
    started = time.perf_counter()
    plans = plan_target(r, now=NOW, history=[], pending=pending)
    assert time.perf_counter() - started < 1.0
    assert len({p.planned_at for p in plans}) == 3000


@pytest.mark.parametrize("keys", [
    {}, {"min_interval": "7m"}, {"max_per_hour": 3}, {"max_per_day": 5, "min_interval": "2m"},
    {"max_per_hour": 2, "max_per_day": 4}, {"slots": ["09:00", "11:00", "11:05", "16:30"]},
    {"windows": ["10:00-12:00"], "max_per_hour": 4},
])
def test_only_the_newest_posts_a_schedule_needs_change_a_plan(keys: dict[str, object]) -> None:
    """The planner reads only the ``rules.history_needed`` newest posts per target within
    ``rules.history_span``: with every other post left out, each plan (times, reasons,
    expiries) is the same as with the full history (random histories dense enough to fill
    every quota)."""
    import random

    r = rules(**keys)
    rng = random.Random(7)
    for _ in range(40):
        history = sorted(NOW - timedelta(minutes=rng.uniform(0, 36 * 60))
                         for _ in range(rng.randrange(0, 30)))
        pending = [item(i, NOW - timedelta(minutes=rng.randrange(0, 600)))
                   for i in range(rng.randrange(1, 12))]
        full = plan_target(r, now=NOW, history=history, pending=pending)
        newest = [t for t in history if t >= NOW - r.history_span][-r.history_needed:]
        assert plan_target(r, now=NOW, history=newest, pending=pending) == full
        assert len(newest) <= r.history_needed
