"""Warnings about a schedule that is valid but will not do what its author likely meant."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.schedule.clock import contains, fmt_clock, intersect, require_aware
from bot.domain.schedule.parse import WEEKDAYS, parse_range
from bot.domain.schedule.places import Placer
from bot.domain.schedule.rules import ScheduleRules, raw_cron

_WEEK = timedelta(days=7)
_MICRO = timedelta(microseconds=1)
_MAX_SIMULATED = 5_000


def schedule_warnings(
    rules: ScheduleRules, *, now: datetime, recent_daily_volume: float | None = None
) -> list[str]:
    """Human warnings for ``config check``: parts that never open, quotas below the volume."""
    now = require_aware(now, "now")
    out: list[str] = []
    out.extend(_never_opens(rules, now))
    out.extend(_dead_parts(rules))
    hourly, daily = rules.max_per_hour, rules.max_per_day
    if hourly is not None and daily is not None and hourly * 24 < daily:
        out.append(
            f"max_per_day {daily} is never reached: max_per_hour "
            f"{hourly} allows at most {hourly * 24} a day"
        )
    if recent_daily_volume and recent_daily_volume > 0:
        out.extend(_capacity(rules, now, recent_daily_volume))
    return out


def schedule_error(rules: ScheduleRules, *, now: datetime) -> str | None:
    """Why a schedule can never post an ordinary story (every window inside quiet hours, no
    slot inside a window, a cron that never fires), or ``None``. Quiet hours all day with
    ``breaking_ignores_quiet_hours`` is a deliberate breaking-only schedule, not an error."""
    found = _never_opens(rules, require_aware(now, "now"))
    if not found:
        return None
    if not rules.not_quiet and rules.breaking_ignores_quiet_hours:
        return None
    return found[0]


def _never_opens(rules: ScheduleRules, now: datetime) -> list[str]:
    if Placer(rules).find(now, now) is not None:
        return []
    if not rules.not_quiet:
        return ["quiet_hours cover the whole day: only breaking news could ever post"]
    if not rules.allowed:
        return ["every window lies inside quiet hours: the schedule never opens"]
    if rules.slots is not None:
        return ["no slot falls inside a window outside quiet hours: nothing is ever posted"]
    if raw_cron(rules, now) is None:
        return [f'cron "{rules.cron}" never fires']
    return [f'cron "{rules.cron}" never fires inside a window outside quiet hours']


def _dead_parts(rules: ScheduleRules) -> list[str]:
    out: list[str] = []
    for index, text in enumerate(rules.windows):
        if rules.not_quiet and not intersect(parse_range(text), rules.not_quiet):
            out.append(f'windows[{index}] "{text}" never opens: it lies inside quiet hours')
    if rules.slots is not None:
        dead: dict[int, list[str]] = {}
        for day, times in enumerate(rules.slots):
            for seconds in times:
                if not contains(rules.allowed, seconds):
                    dead.setdefault(seconds, []).append(WEEKDAYS[day])
        for seconds, days in sorted(dead.items()):
            where = (
                "inside quiet hours"
                if contains(rules.quiet_set, seconds)
                else "outside every window"
            )
            out.append(
                f"slot {fmt_clock(seconds)} ({','.join(days)}) lies {where} "
                "and never carries a post"
            )
    return out


def _capacity(rules: ScheduleRules, now: datetime, volume: float) -> list[str]:
    if rules.max_per_day is not None and rules.max_per_day < volume:
        return [
            f"max_per_day {rules.max_per_day} is below the recent daily volume of {volume:.1f}: "
            "stories will wait and may expire"
        ]
    placer = Placer(rules)
    limit = min(_MAX_SIMULATED, int(volume * 7) + 1)
    end = now + _WEEK
    start = now
    count = 0
    while count < limit:
        place = placer.find(start, now)
        if place is None or place.at >= end:
            break
        placer.take(place.at)
        count += 1
        start = place.at + _MICRO if rules.has_slots else place.at
    if count >= limit:
        return []
    return [
        f"the schedule carries about {count / 7:.1f} posts a day, below the recent daily volume "
        f"of {volume:.1f}: stories will wait and may expire"
    ]
