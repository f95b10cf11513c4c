"""The validated form of one schedule, and the candidate posting times it offers.

How the keys combine:

* **Slot source.** ``slots`` and ``cron`` each name the exact times a post may go; they
  are mutually exclusive (a schedule with both is refused). Each slot carries at most one post.
  Without either the schedule is *continuous*: a post may go at any instant the other rules
  allow, as soon as it is allowed.
* **Windows restrict.** ``windows`` (default: the whole day) are the wall-clock ranges in which
  posting is allowed; slots and cron times outside every window are skipped. A window may cross
  midnight (``"22:00-02:00"``).
* **Quiet hours always hold**, for every post; breaking news too unless
  ``breaking_ignores_quiet_hours``. Slots, cron times and windows inside quiet hours are skipped.
* ``min_interval`` and the quotas apply on top, to slots and continuous schedules alike (a slot
  that comes too soon after the previous post, or over a quota, is left empty).

All wall-clock times are read in ``timezone``; see ``schedule.clock`` for daylight saving.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.schedule.clock import (
    DAY_SECONDS,
    Interval,
    complement,
    in_daily_set,
    intersect,
    merge,
    next_in_set,
    resolve_date_time,
    resolve_wall,
    wall,
)
from bot.domain.schedule.parse import (
    WeeklySlots,
    check_cron,
    clock_time,
    parse_duration,
    parse_ranges,
    parse_slots,
)

MISSED_SLOT_GRACE = timedelta(minutes=5)
"""A slot that passed less than this ago and carries no post yet is still used, at now."""

_LOOKBACK = timedelta(hours=3)
_SLOT_SEARCH_DAYS = 16
_CRON_FILTER_STEPS = 3000
_MICRO = timedelta(microseconds=1)


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ``ValueError`` naming it when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f'"{name}" is not an IANA time zone such as "Europe/Kyiv"') from None


@dataclass(frozen=True)
class ScheduleRules:
    """One target's schedule, parsed and checked: the input of every planning function."""

    timezone: str = "UTC"
    min_interval: timedelta = timedelta(0)
    windows: tuple[str, ...] = ()
    quiet_hours: tuple[str, ...] = ()
    slots: WeeklySlots | None = None
    cron: str | None = None
    max_per_hour: int | None = None
    max_per_day: int | None = None
    max_age: timedelta | None = None
    breaking_ignores_quiet_hours: bool = False
    tz: ZoneInfo = field(init=False, repr=False, compare=False)
    window_set: tuple[Interval, ...] = field(init=False, repr=False, compare=False)
    quiet_set: tuple[Interval, ...] = field(init=False, repr=False, compare=False)
    allowed: tuple[Interval, ...] = field(init=False, repr=False, compare=False)
    not_quiet: tuple[Interval, ...] = field(init=False, repr=False, compare=False)
    trigger: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.slots is not None and self.cron is not None:
            raise ValueError(
                "slots and cron are both set; a schedule takes its posting times from one of them"
            )
        if self.min_interval < timedelta(0):
            raise ValueError("min_interval: must not be negative")
        for key in ("max_per_hour", "max_per_day"):
            value = getattr(self, key)
            if value is not None and value < 1:
                raise ValueError(f"{key}: must be at least 1 (leave it out for no limit)")
        if self.max_age is not None and self.max_age <= timedelta(0):
            raise ValueError("max_age: must be longer than 0s")
        windows = merge(parse_ranges("windows", self.windows)) or ((0, DAY_SECONDS),)
        quiet = merge(parse_ranges("quiet_hours", self.quiet_hours))
        put = object.__setattr__
        put(self, "tz", load_zone(self.timezone))
        put(self, "window_set", windows)
        put(self, "quiet_set", quiet)
        put(self, "not_quiet", complement(quiet))
        put(self, "allowed", intersect(windows, complement(quiet)))
        try:
            trigger = check_cron(self.cron) if self.cron is not None else None
        except ValueError as exc:
            raise ValueError(f"cron: {exc}") from None
        put(self, "trigger", trigger)

    @classmethod
    def build(
        cls,
        *,
        timezone: str,
        min_interval: str | None = None,
        windows: Sequence[str] | None = None,
        slots: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
        max_per_hour: int | None = None,
        max_per_day: int | None = None,
        quiet_hours: Sequence[str] | None = None,
        cron: str | None = None,
        max_age: str | None = None,
        breaking_ignores_quiet_hours: bool = False,
    ) -> ScheduleRules:
        """Rules from the config's text values; ``ValueError`` naming the key on any mistake."""

        def duration(key: str, text: str | None) -> timedelta | None:
            if text is None:
                return None
            try:
                return parse_duration(text)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None

        try:
            zone = load_zone(timezone).key
        except ValueError as exc:
            raise ValueError(f"timezone: {exc}") from None
        return cls(
            timezone=zone,
            min_interval=duration("min_interval", min_interval) or timedelta(0),
            windows=tuple(windows or ()),
            quiet_hours=tuple(quiet_hours or ()),
            slots=parse_slots(slots) if slots is not None else None,
            cron=" ".join(cron.split()) if cron is not None else None,
            max_per_hour=max_per_hour,
            max_per_day=max_per_day,
            max_age=duration("max_age", max_age),
            breaking_ignores_quiet_hours=breaking_ignores_quiet_hours,
        )

    @property
    def has_slots(self) -> bool:
        """True when posts go only at slot or cron times (each carrying one post)."""
        return self.slots is not None or self.cron is not None

    @property
    def history_needed(self) -> int:
        """How many of the newest posts planning looks at: the last one (``min_interval``, a
        slot that just passed) or a full quota's worth (a rolling span counts its newest
        ``max_per_*`` posts); older posts never change a plan."""
        return max(1, self.max_per_hour or 0, self.max_per_day or 0)

    @property
    def history_span(self) -> timedelta:
        """How far back planning looks at posts: a post older than ``min_interval``, than a
        quota's span and than ``MISSED_SLOT_GRACE`` (for slots) never changes a plan."""
        return max(self.min_interval,
                   timedelta(hours=1) if self.max_per_hour else timedelta(0),
                   timedelta(days=1) if self.max_per_day else timedelta(0),
                   MISSED_SLOT_GRACE if self.has_slots else timedelta(0))


def _probe(start: datetime, tz: ZoneInfo) -> datetime:
    """Where a forward search over wall-clock points must begin to see every point ≥ ``start``.

    Just after a spring-forward jump, a point inside the gap (earlier on the wall clock than
    ``start``) resolves to the jump itself, which may still be ≥ ``start``.
    """
    earlier = start - _LOOKBACK
    if earlier.astimezone(tz).utcoffset() != start.astimezone(tz).utcoffset():
        return earlier
    return start


def raw_slot(rules: ScheduleRules, start: datetime) -> datetime | None:
    """First slot instant at or after ``start``, before windows and quiet hours are applied."""
    assert rules.slots is not None
    first_day = wall(_probe(start, rules.tz), rules.tz).date()
    for offset in range(_SLOT_SEARCH_DAYS):
        day = first_day + timedelta(days=offset)
        for seconds in rules.slots[day.weekday()]:
            instant = resolve_date_time(day, clock_time(seconds), rules.tz)
            if instant >= start:
                return instant
    return None


def raw_cron(rules: ScheduleRules, start: datetime) -> datetime | None:
    """First cron fire instant at or after ``start`` (cron fields read the local wall clock)."""
    probe = wall(_probe(start, rules.tz), rules.tz).replace(tzinfo=UTC)
    for _ in range(_CRON_FILTER_STEPS):
        fire = rules.trigger.get_next_fire_time(None, probe)
        if fire is None:
            return None
        instant = resolve_wall(fire.replace(tzinfo=None), rules.tz)
        if instant >= start:
            return instant
        probe = fire + _MICRO
    return None  # pragma: no cover - a fire per second for three thousand seconds before start


def candidate(rules: ScheduleRules, start: datetime) -> datetime | None:
    """Earliest instant ≥ ``start`` that slots, windows and quiet hours allow; ``None``: never."""
    if not rules.has_slots:
        return next_in_set(rules.allowed, start, rules.tz)
    if not rules.allowed:
        return None
    raw = raw_slot if rules.slots is not None else raw_cron
    current = start
    for _ in range(_CRON_FILTER_STEPS):
        point = raw(rules, current)
        if point is None:
            return None
        if in_daily_set(rules.allowed, wall(point, rules.tz)):
            return point
        if rules.slots is not None and point - start > timedelta(days=_SLOT_SEARCH_DAYS):
            return None
        allowed = next_in_set(rules.allowed, point, rules.tz)
        if allowed is None:  # pragma: no cover - the allowed set is not empty here
            return None
        current = max(allowed, point + _MICRO)
    return None

