"""schedule_warnings: what config check tells admins about schedules that will not work."""

from __future__ import annotations

from bot.domain.schedule import schedule_warnings

from .helpers import never_posting_rules, rules, utc

NOW = utc(2026, 1, 5, 9, 0)


def test_sane_schedule_has_no_warnings() -> None:
    """A plain working schedule gives no warnings."""
    r = rules(windows=["07:00-23:00"], min_interval="10m", max_per_day=20)
    assert schedule_warnings(r, now=NOW, recent_daily_volume=12) == []


def test_window_inside_quiet_hours_never_opens() -> None:
    """A window entirely inside quiet hours is named; if it is the only one, nothing opens."""
    r = never_posting_rules(windows=["01:00-02:00"], quiet_hours=["23:00-07:00"])
    warnings = schedule_warnings(r, now=NOW)
    assert "every window lies inside quiet hours: the schedule never opens" in warnings
    assert 'windows[0] "01:00-02:00" never opens: it lies inside quiet hours' in warnings


def test_one_dead_window_among_live_ones() -> None:
    """A dead window is named even when other windows work."""
    r = rules(windows=["01:00-02:00", "09:00-18:00"], quiet_hours=["23:00-07:00"])
    assert schedule_warnings(r, now=NOW) == [
        'windows[0] "01:00-02:00" never opens: it lies inside quiet hours'
    ]


def test_slots_in_quiet_hours_or_outside_windows() -> None:
    """Slots that can never carry a post are named with their weekdays."""
    r = rules(slots={"mon-fri": ["03:00", "12:00"], "sat,sun": ["22:30"]},
              windows=["07:00-22:00"], quiet_hours=["00:00-06:00"])
    warnings = schedule_warnings(r, now=NOW)
    assert "slot 03:00 (mon,tue,wed,thu,fri) lies inside quiet hours and never carries a post" \
        in warnings
    assert "slot 22:30 (sat,sun) lies outside every window and never carries a post" in warnings


def test_all_slots_dead() -> None:
    """When no slot survives windows and quiet hours, the schedule never posts."""
    r = never_posting_rules(slots=["03:00"], quiet_hours=["00:00-06:00"])
    assert "no slot falls inside a window outside quiet hours: nothing is ever posted" in \
        schedule_warnings(r, now=NOW)


def test_cron_that_never_fires() -> None:
    """A cron for 30 February never fires; a cron only in quiet hours never posts."""
    assert schedule_warnings(never_posting_rules(cron="0 9 30 feb *"), now=NOW) == [
        'cron "0 9 30 feb *" never fires'
    ]
    quiet = never_posting_rules(cron="0 3 * * *", quiet_hours=["00:00-06:00"])
    assert schedule_warnings(quiet, now=NOW) == [
        'cron "0 3 * * *" never fires inside a window outside quiet hours'
    ]


def test_quiet_hours_all_day() -> None:
    """Quiet hours covering the whole day leave only the breaking lane, if allowed."""
    r = never_posting_rules(quiet_hours=["00:00-24:00"])
    assert schedule_warnings(r, now=NOW)[0].startswith("quiet_hours cover the whole day")


def test_daily_quota_below_recent_volume() -> None:
    """max_per_day below the recent daily volume is called out."""
    r = rules(max_per_day=5)
    [warning] = schedule_warnings(r, now=NOW, recent_daily_volume=12.0)
    assert warning.startswith("max_per_day 5 is below the recent daily volume of 12.0")


def test_slot_capacity_below_recent_volume() -> None:
    """Two slots a day cannot carry twelve stories a day."""
    r = rules(slots=["09:00", "18:00"])
    [warning] = schedule_warnings(r, now=NOW, recent_daily_volume=12.0)
    assert warning.startswith("the schedule carries about 2.0 posts a day")


def test_unreachable_daily_quota() -> None:
    """A daily quota above 24 times the hourly one can never be reached."""
    r = rules(max_per_hour=1, max_per_day=30)
    assert schedule_warnings(r, now=NOW) == [
        "max_per_day 30 is never reached: max_per_hour 1 allows at most 24 a day"
    ]
