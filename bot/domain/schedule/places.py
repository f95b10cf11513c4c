"""Finding the next free posting place of a schedule, given the posts already made or planned.

Quotas are **rolling**: ``max_per_hour`` holds for every 60-minute span and ``max_per_day`` for
every 24-hour span, counting published posts (history) and earlier plans. Rolling spans match
how platforms count (X counts posts per 24 hours) and do not depend on daylight saving; a
calendar day would let a full day's quota go out at 23:00 and again at 00:00. A span is
half-open: a post exactly one hour ago no longer counts towards ``max_per_hour``.

The search jumps from constraint to constraint (next allowed instant, end of ``min_interval``,
the moment the oldest post in a full quota span leaves it), so one place costs a handful of
steps whatever the distance in time.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.schedule.clock import fmt_clock, fmt_utc, in_daily_set, second_of_day, wall
from bot.domain.schedule.parse import WEEKDAYS, format_duration
from bot.domain.schedule.rules import ScheduleRules, candidate

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
_MAX_STEPS = 10_000


@dataclass(frozen=True)
class Place:
    """A free posting time: ``at`` (UTC), the slot it fills (if any) and why it is not earlier."""

    at: datetime
    slot: datetime | None
    causes: tuple[str, ...] = ()


@dataclass
class Placer:
    """Finds free places for one target; ``posts`` is kept sorted as places are taken."""

    rules: ScheduleRules
    posts: list[datetime] = field(default_factory=list)
    exhausted: bool = False

    def __post_init__(self) -> None:
        self.posts.sort()

    def take(self, at: datetime) -> None:
        """Record a post planned at ``at`` so later places respect it."""
        bisect.insort(self.posts, at)

    def find(self, start: datetime, floor: datetime, causes: tuple[str, ...] = ()) -> Place | None:
        """The first free place at or after ``start`` (never before ``floor``); ``None``: never.

        Slot sources may be searched from before ``floor`` (a slot that has just passed); such
        a slot is placed at ``floor``.
        """
        if self.exhausted:
            return None
        rules = self.rules
        why = list(causes)
        current = start
        for _ in range(_MAX_STEPS):
            point = candidate(rules, current)
            if point is None:
                self.exhausted = True
                return None
            if point > current and not rules.has_slots:
                why.append(self._closed_reason(current, point))
            at = max(point, floor)
            bump, reason = self._limit(at)
            if bump is None:
                return Place(at, point if rules.has_slots else None, tuple(why))
            why.append(reason)
            current = bump
        return None  # pragma: no cover - every step moves forward by a constraint's length

    def _closed_reason(self, current: datetime, opens: datetime) -> str:
        rules = self.rules
        local = wall(opens, rules.tz)
        clock = fmt_clock(int(second_of_day(local)))
        if in_daily_set(rules.quiet_set, wall(current, rules.tz)):
            return f"quiet hours until {clock}"
        return f"window opens {clock}"

    def _limit(self, at: datetime) -> tuple[datetime | None, str]:
        rules = self.rules
        posts = self.posts
        upto = bisect.bisect_right(posts, at)
        if rules.min_interval and upto:
            last = posts[upto - 1]
            if at < last + rules.min_interval:
                return last + rules.min_interval, (
                    f"min_interval {format_duration(rules.min_interval)} "
                    f"after last post at {fmt_utc(last)}"
                )
        for limit, span, name in (
            (rules.max_per_hour, _HOUR, "max_per_hour"),
            (rules.max_per_day, _DAY, "max_per_day"),
        ):
            if limit is None:
                continue
            since = bisect.bisect_right(posts, at - span)
            if upto - since >= limit:
                frees = posts[upto - limit] + span
                label = "hour" if span == _HOUR else "24 hours"
                return frees, (
                    f"{name} {limit} reached in the last {label}; next at {fmt_utc(frees)}"
                )
        return None, ""


def slot_label(rules: ScheduleRules, slot: datetime) -> str:
    """``slot Mon 12:30 Europe/Kyiv`` (or ``cron slot …``) for a slot instant."""
    local = slot.astimezone(rules.tz)
    kind = "cron slot" if rules.cron is not None else "slot"
    return f"{kind} {WEEKDAYS[local.weekday()].title()} {local:%H:%M} {rules.timezone}"
