"""Wall clock and UTC for schedules: the one place that knows about daylight-saving changes.

A schedule speaks in local wall-clock times ("07:00-23:00", "12:30"); plans are UTC instants.
Two kinds of mapping are used, and every schedule module goes through these helpers:

* **Sets of wall-clock times** (windows, quiet hours) are predicates: an instant is inside when
  its local wall time is. A repeated hour (clocks fall back) is inside twice; a missing hour
  (clocks spring forward) has no instants, so nothing is ever planned in it.
* **Points of wall-clock time** (slots, cron fire times) resolve to one instant each: an
  ambiguous time takes its first occurrence (``fold=0``), so a repeated hour carries one slot,
  not two; a time inside a spring-forward gap moves to the end of the gap (the first instant
  that exists), so no slot is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_SECONDS = 86_400
_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)

Interval = tuple[int, int]
"""Half-open ``[start, end)`` in seconds after local midnight; ``0 <= start < end <= 86400``."""


def require_aware(value: datetime, name: str) -> datetime:
    """``value`` in UTC; naive datetimes are refused (they would silently mean server time)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def wall(instant: datetime, tz: ZoneInfo) -> datetime:
    """The naive local wall-clock time of an aware instant."""
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)


def _offset(instant: datetime, tz: ZoneInfo) -> timedelta:
    offset = instant.astimezone(tz).utcoffset()
    assert offset is not None
    return offset


def transition_after(start: datetime, end: datetime, tz: ZoneInfo) -> datetime:
    """First UTC instant in ``(start, end]`` whose UTC offset differs from the one at ``start``.

    The caller knows the offsets at ``start`` and ``end`` differ; bisects to the second.
    """
    before = _offset(start, tz)
    lo, hi = start, end
    while hi - lo > _SECOND:
        mid = lo + (hi - lo) / 2
        if _offset(mid, tz) == before:
            lo = mid
        else:
            hi = mid
    # Offsets change on whole seconds: the change is the whole second in (lo, hi].
    whole = hi.replace(microsecond=0)
    return whole if whole > lo and _offset(whole, tz) != before else hi


def resolve_wall(local: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall time: first occurrence if repeated, gap end if missing."""
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if wall(first, tz) == local:
        return first
    # In a gap fold=1 reads the wall time with the later offset: that instant lies before the
    # jump, the fold=0 reading after it; the jump itself is the first instant that exists.
    early = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = min(early, first), max(early, first)
    if _offset(lo, tz) == _offset(hi, tz):  # pragma: no cover - a gap always has two offsets
        return first
    return transition_after(lo, hi, tz)


def resolve_date_time(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local date and wall time (see :func:`resolve_wall`)."""
    return resolve_wall(datetime.combine(day, at), tz)


def second_of_day(local: datetime) -> float:
    """Seconds since local midnight of a naive wall time, with fractions."""
    return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


def in_daily_set(intervals: Sequence[Interval], local: datetime) -> bool:
    """True when the naive wall time lies in one of the daily intervals."""
    sod = second_of_day(local)
    return any(a <= sod < b for a, b in intervals)


def _next_in_daily_set(intervals: Sequence[Interval], local: datetime) -> datetime | None:
    if not intervals:
        return None
    sod = second_of_day(local)
    midnight = datetime.combine(local.date(), time())
    for a, b in intervals:
        if sod < b:
            return local if sod >= a else midnight + timedelta(seconds=a)
    return midnight + _DAY + timedelta(seconds=intervals[0][0])


def next_in_set(intervals: Sequence[Interval], start: datetime, tz: ZoneInfo) -> datetime | None:
    """Earliest UTC instant at or after ``start`` whose local wall time lies in the daily set.

    Works one stretch of constant UTC offset at a time: inside one the wall clock runs with
    UTC, so the answer is arithmetic; when the answer would cross an offset change, the search
    restarts at the change. ``None`` when the set is empty.
    """
    current = start
    for _ in range(8):
        offset = _offset(current, tz)
        local = wall(current, tz)
        target = _next_in_daily_set(intervals, local)
        if target is None:
            return None
        candidate = current + (target - local)
        if _offset(candidate, tz) == offset:
            return candidate
        current = transition_after(current, candidate, tz)
    return None  # pragma: no cover - more offset changes in a few days than any real zone has


def merge(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    """Sorted, non-overlapping, non-touching union of intervals."""
    out: list[list[int]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)


def complement(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    """The rest of the day outside the (merged) intervals."""
    out: list[Interval] = []
    cursor = 0
    for a, b in merge(intervals):
        if a > cursor:
            out.append((cursor, a))
        cursor = b
    if cursor < DAY_SECONDS:
        out.append((cursor, DAY_SECONDS))
    return tuple(out)


def intersect(left: Sequence[Interval], right: Sequence[Interval]) -> tuple[Interval, ...]:
    """Wall-clock times inside both sets."""
    out: list[Interval] = []
    for a, b in merge(left):
        for c, d in merge(right):
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                out.append((lo, hi))
    return merge(out)


def fmt_utc(instant: datetime) -> str:
    """``2026-01-05 03:10 UTC``: how reasons name an instant."""
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def fmt_clock(seconds: int) -> str:
    """``07:00`` for a second of the day (``24:00`` for the end of the day)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def contains(intervals: Sequence[Interval], seconds: int) -> bool:
    """True when a second of the day lies in one of the daily intervals."""
    return any(a <= seconds < b for a, b in intervals)
