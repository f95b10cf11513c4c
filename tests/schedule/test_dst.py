"""Slots, cron, windows and quiet hours across the Kyiv and New York daylight-saving changes."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from bot.domain.schedule import next_slots
from bot.domain.schedule.clock import next_in_set, resolve_wall

from .helpers import KYIV, NEW_YORK, local, rules, utc


def test_resolve_missing_time_moves_to_the_end_of_the_gap() -> None:
    """A wall time inside the spring-forward gap resolves to the first instant that exists."""
    assert resolve_wall(datetime(2026, 3, 29, 3, 30), KYIV) == utc(2026, 3, 29, 1, 0)
    assert resolve_wall(datetime(2026, 3, 8, 2, 30), NEW_YORK) == utc(2026, 3, 8, 7, 0)


def test_resolve_repeated_time_takes_the_first_occurrence() -> None:
    """A wall time in the repeated hour resolves to its first occurrence only."""
    assert resolve_wall(datetime(2026, 10, 25, 3, 30), KYIV) == utc(2026, 10, 25, 0, 30)
    assert resolve_wall(datetime(2026, 11, 1, 1, 30), NEW_YORK) == utc(2026, 11, 1, 5, 30)


def _per_local_day(times: list[datetime], tz: object) -> Counter[date]:
    return Counter(t.astimezone(tz).date() for t in times)  # type: ignore[arg-type]


def test_kyiv_daily_slots_across_spring_forward() -> None:
    """Every day keeps both slots; the 03:30 slot on the change day goes at 04:00, once."""
    r = rules(slots=["03:30", "12:00"])
    slots = next_slots(r, now=local(KYIV, 2026, 3, 25), count=20)
    assert len(set(slots)) == 20
    assert set(_per_local_day(slots, KYIV).values()) == {2}
    change_day = [t.astimezone(KYIV) for t in slots if t.astimezone(KYIV).day == 29]
    assert [t.strftime("%H:%M %Z") for t in change_day] == ["04:00 EEST", "12:00 EEST"]
    assert change_day[1].astimezone(UTC) == utc(2026, 3, 29, 9, 0)


def test_kyiv_daily_slots_across_fall_back() -> None:
    """The repeated 03:30 gets one slot (the first); no day loses or gains a slot."""
    r = rules(slots=["03:30", "12:00"])
    slots = next_slots(r, now=local(KYIV, 2026, 10, 22), count=20)
    assert len(set(slots)) == 20
    assert set(_per_local_day(slots, KYIV).values()) == {2}
    assert utc(2026, 10, 25, 0, 30) in slots
    assert utc(2026, 10, 25, 1, 30) not in slots
    assert utc(2026, 10, 25, 10, 0) in slots  # 12:00 EET


def test_new_york_slots_in_the_missing_and_repeated_hours() -> None:
    """New York's 02:30 (missing in March) and 01:30 (doubled in November) each go once a day."""
    spring = next_slots(rules("America/New_York", slots=["02:30"]), now=local(NEW_YORK, 2026, 3, 6),
                        count=5)
    assert [t.astimezone(NEW_YORK).strftime("%d %H:%M") for t in spring] == [
        "06 02:30", "07 02:30", "08 03:00", "09 02:30", "10 02:30",
    ]
    fall = next_slots(rules("America/New_York", slots=["01:30"]), now=local(NEW_YORK, 2026, 10, 30),
                      count=4)
    assert fall == [utc(2026, 10, 30, 5, 30), utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30),
                    utc(2026, 11, 2, 6, 30)]


def test_slot_in_gap_next_to_a_slot_at_gap_end_is_not_doubled() -> None:
    """Slots 03:30 and 04:00 meet at 04:00 on spring-forward day and carry one post there."""
    r = rules(slots=["03:30", "04:00"])
    slots = next_slots(r, now=local(KYIV, 2026, 3, 28, 12), count=3)
    assert slots == [utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30), utc(2026, 3, 30, 1, 0)]


def test_weekday_slot_groups_over_weeks_keep_local_times_across_dst() -> None:
    """Over six weeks across a change, weekday and weekend slots keep their local wall times."""
    r = rules(slots={"mon-fri": ["08:00", "12:30", "18:00"], "sat,sun": ["10:00", "17:00"]})
    slots = next_slots(r, now=local(KYIV, 2026, 3, 9), count=6 * (5 * 3 + 2 * 2))
    assert len(set(slots)) == len(slots)
    for t in slots:
        wall = t.astimezone(KYIV)
        expected = {"08:00", "12:30", "18:00"} if wall.weekday() < 5 else {"10:00", "17:00"}
        assert wall.strftime("%H:%M") in expected
    per_day = _per_local_day(slots, KYIV)
    assert all(per_day[d] == (3 if d.weekday() < 5 else 2) for d in per_day)
    assert len(per_day) == 42


def test_cron_with_day_names_across_new_york_spring_forward() -> None:
    """Cron reads local wall time: 9-18/3 on weekdays keeps 09, 12, 15, 18 local across DST."""
    r = rules("America/New_York", cron="0 9-18/3 * * mon-fri")
    slots = next_slots(r, now=local(NEW_YORK, 2026, 3, 5), count=20)
    walls = [t.astimezone(NEW_YORK) for t in slots]
    assert all(w.weekday() < 5 and w.hour in (9, 12, 15, 18) and w.minute == 0 for w in walls)
    assert [w.day for w in walls[::4]] == [5, 6, 9, 10, 11]
    assert slots[8] == utc(2026, 3, 9, 13, 0)  # 09:00 EDT, the Monday after the change


def test_cron_every_half_hour_through_the_kyiv_changes() -> None:
    """A half-hourly cron skips the missing hour and fires once in the repeated hour."""
    r = rules(cron="*/30 * * * *")
    spring = next_slots(r, now=local(KYIV, 2026, 3, 29, 2, 0), count=4)
    assert spring == [utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 0),
                      utc(2026, 3, 29, 1, 30)]
    fall = next_slots(r, now=local(KYIV, 2026, 10, 25, 2, 30), count=6)
    gaps = {b - a for a, b in pairwise(fall)}
    assert len(set(fall)) == 6 and min(gaps) >= timedelta(minutes=30)


def test_window_across_midnight_and_dst() -> None:
    """A 22:00-02:00 window opens every night; the repeated hour makes one night longer."""
    r = rules("America/New_York", windows=["22:00-02:00"], min_interval="1h30m")
    times = next_slots(r, now=local(NEW_YORK, 2026, 10, 31, 12), count=9)
    walls = [t.astimezone(NEW_YORK).strftime("%d %H:%M %Z") for t in times]
    assert walls == [
        "31 22:00 EDT", "31 23:30 EDT", "01 01:00 EDT", "01 01:30 EST",
        "01 22:00 EST", "01 23:30 EST", "02 01:00 EST",
        "02 22:00 EST", "02 23:30 EST",
    ]
    spring = next_slots(r, now=local(NEW_YORK, 2026, 3, 7, 12), count=4)
    assert [t.astimezone(NEW_YORK).strftime("%d %H:%M %Z") for t in spring] == [
        "07 22:00 EST", "07 23:30 EST", "08 01:00 EST", "08 22:00 EDT",
    ]


def test_quiet_hours_hold_through_the_repeated_hour() -> None:
    """Quiet hours cover both passes through a repeated wall-clock hour."""
    r = rules(quiet_hours=["03:00-04:00"])
    first = local(KYIV, 2026, 10, 25, 3, 10)
    assert next_in_set(r.not_quiet, first, KYIV) == utc(2026, 10, 25, 2, 0)  # 04:00 EET


def test_window_inside_the_missing_hour_never_opens_that_day() -> None:
    """A window that lies in the spring-forward gap has no instants that night."""
    r = rules(windows=["03:00-03:45"])
    assert next_in_set(r.allowed, utc(2026, 3, 28, 23, 50), KYIV) == utc(2026, 3, 30, 0, 0)
