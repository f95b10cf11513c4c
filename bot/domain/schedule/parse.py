"""Parsing the text of a schedule: durations, clock times, ranges, weekday groups, cron.

Every parser raises ``ValueError`` with a message that quotes the bad text and says what was
expected; callers prefix the key (``windows[1]: ...``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, time, timedelta
from typing import Any

from bot.domain.schedule.clock import DAY_SECONDS, Interval

_DURATION = re.compile(r"(\d+)\s*(w|d|h|m|s)")
_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_ALIASES = {"daily": tuple(range(7)), "*": tuple(range(7)), "weekdays": (0, 1, 2, 3, 4),
                    "weekends": (5, 6)}


def parse_duration(text: str) -> timedelta:
    """``"90s"``, ``"10m"``, ``"1h30m"``, ``"2d"``, ``"1w"`` or ``"0s"`` → a timedelta."""
    cleaned = text.strip().lower()
    pos = 0
    seconds = 0
    units: list[str] = []
    for match in _DURATION.finditer(cleaned):
        if cleaned[pos : match.start()].strip():
            break
        value, unit = match.groups()
        if unit in units:
            raise ValueError(f'"{text}" repeats the unit "{unit}"')
        units.append(unit)
        seconds += int(value) * _UNIT_SECONDS[unit]
        pos = match.end()
    if not units or cleaned[pos:].strip():
        hint = " (add a unit: s, m, h, d or w)" if cleaned.isdigit() else ""
        raise ValueError(f'"{text}" is not a duration like "90s", "10m", "1h30m" or "2d"{hint}')
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The compact form ``parse_duration`` reads: ``1h30m``, ``10m``, ``2d``, ``0s``."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    parts: list[str] = []
    for unit in ("d", "h", "m", "s"):
        count, seconds = divmod(seconds, _UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def parse_clock(text: str, *, allow_24: bool = False) -> int:
    """``"HH:MM"`` → seconds after midnight; ``"24:00"`` only where ``allow_24`` (a range's end)."""
    match = _CLOCK.fullmatch(text.strip())
    if not match:
        raise ValueError(f'"{text}" is not HH:MM')
    hours, minutes = int(match.group(1)), int(match.group(2))
    if allow_24 and hours == 24 and minutes == 0:
        return DAY_SECONDS
    if hours > 23 or minutes > 59:
        raise ValueError(f'"{text}" is not HH:MM')
    return hours * 3600 + minutes * 60


def clock_time(seconds: int) -> time:
    """A ``datetime.time`` for a second of the day below 24:00."""
    return time(seconds // 3600, seconds % 3600 // 60, seconds % 60)


def parse_range(text: str) -> tuple[Interval, ...]:
    """``"07:00-23:00"`` → one interval; ``"22:00-02:00"`` (crossing midnight) → two."""
    pieces = text.split("-")
    if len(pieces) != 2:
        raise ValueError(f'"{text}" is not HH:MM-HH:MM')
    try:
        start = parse_clock(pieces[0])
        end = parse_clock(pieces[1], allow_24=True)
    except ValueError:
        raise ValueError(f'"{text}" is not HH:MM-HH:MM') from None
    if start == end or (start == 0 and end == DAY_SECONDS):
        if start == end:
            raise ValueError(f'"{text}" is empty; write "00:00-24:00" for the whole day')
        return ((0, DAY_SECONDS),)
    if start < end:
        return ((start, end),)
    parts = [(start, DAY_SECONDS)]
    if end:
        parts.append((0, end))
    return tuple(parts)


def parse_ranges(key: str, values: Sequence[str]) -> tuple[Interval, ...]:
    """Every range of a list, messages prefixed ``key[i]: ``."""
    out: list[Interval] = []
    for index, text in enumerate(values):
        try:
            out.extend(parse_range(text))
        except ValueError as exc:
            raise ValueError(f"{key}[{index}]: {exc}") from None
    return tuple(out)


def _weekday(name: str, group: str) -> int:
    key = name.strip().lower()
    if key in WEEKDAYS:
        return WEEKDAYS.index(key)
    if key in _LONG_NAMES:
        return _LONG_NAMES.index(key)
    raise ValueError(
        f'"{group}": "{name.strip()}" is not a day name (mon, tue, wed, thu, fri, sat, sun)'
    )


_LONG_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_weekdays(group: str) -> tuple[int, ...]:
    """``"mon-fri"``, ``"sat,sun"``, ``"fri-mon"``, ``"daily"`` → Monday=0 weekday numbers."""
    text = group.strip().lower()
    if text in _WEEKDAY_ALIASES:
        return _WEEKDAY_ALIASES[text]
    days: list[int] = []
    for part in text.split(","):
        if "-" in part:
            first, _, last = part.partition("-")
            a, b = _weekday(first, group), _weekday(last, group)
            span = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
            days.extend(span)
        else:
            days.append(_weekday(part, group))
    if len(set(days)) != len(days):
        raise ValueError(f'"{group}" names a day twice')
    return tuple(sorted(days))


WeeklySlots = tuple[tuple[int, ...], ...]
"""Seven sorted tuples of slot seconds-of-day, Monday first."""


def parse_slots(value: Sequence[str] | Mapping[str, Sequence[str]]) -> WeeklySlots:
    """A daily ``HH:MM`` list or a ``{"mon-fri": [...], "sat,sun": [...]}`` table → weekly slots."""
    if isinstance(value, Mapping):
        groups: list[tuple[str, Sequence[str]]] = list(value.items())
    else:
        groups = [("daily", value)]
    week: list[list[int]] = [[] for _ in range(7)]
    owner: dict[int, str] = {}
    for group, times in groups:
        label = f'slots."{group}"' if isinstance(value, Mapping) else "slots"
        try:
            days = parse_weekdays(group)
        except ValueError as exc:
            raise ValueError(f"slots: {exc}") from None
        for day in days:
            if day in owner:
                raise ValueError(
                    f'slots: {WEEKDAYS[day]} is in both "{owner[day]}" and "{group}"'
                )
            owner[day] = group
        seconds: list[int] = []
        for index, text in enumerate(times):
            try:
                seconds.append(parse_clock(text))
            except ValueError as exc:
                raise ValueError(f"{label}[{index}]: {exc}") from None
        duplicates = sorted({s for s in seconds if seconds.count(s) > 1})
        if duplicates:
            names = ", ".join(f'"{s // 3600:02d}:{s % 3600 // 60:02d}"' for s in duplicates)
            raise ValueError(f"{label}: {names} listed twice (each slot carries one post)")
        for day in days:
            week[day].extend(seconds)
    if not any(week):
        raise ValueError("slots: no slot times given")
    return tuple(tuple(sorted(day)) for day in week)


_DOW_PART = re.compile(r"(\*|[a-z]{3}(-[a-z]{3})?)(/\d+)?")


def check_cron(expr: str) -> Any:
    """Validate a 5-field crontab and build its APScheduler ``CronTrigger`` over wall-clock time.

    The trigger runs in UTC on naive wall-clock values; the schedule maps its fire times to
    instants (see ``schedule.clock``). ``day_of_week`` must use names: APScheduler 3 counts
    Monday as 0 where crontab counts Sunday as 0, so a number there is a trap.
    """
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(
            f'"{expr}" has {len(fields)} fields; expected 5 '
            "(minute hour day month day_of_week), e.g. \"0 9-18/3 * * mon-fri\""
        )
    dow = fields[4].lower()
    for part in dow.split(","):
        if not _DOW_PART.fullmatch(part):
            if any(ch.isdigit() for ch in part.split("/")[0]):
                raise ValueError(
                    f'day_of_week "{fields[4]}" is numeric; use day names such as '
                    '"mon-fri" or "sat,sun": APScheduler counts Monday as 0 while crontab '
                    "counts Sunday as 0, so numbers would post on the wrong days"
                )
            raise ValueError(
                f'day_of_week "{fields[4]}" is not a list of day names '
                'like "mon-fri" or "sat,sun"'
            )
    try:
        return CronTrigger(
            minute=fields[0], hour=fields[1], day=fields[2], month=fields[3],
            day_of_week=dow, second="0", timezone=UTC,
        )
    except ValueError as exc:
        raise ValueError(f'"{expr}": {exc}') from None
