"""Planning: when each pending story goes out on one target, as a pure function of ``now``.

``plan_target`` gives every pending delivery a planned time (or an expiry, with the reason):

1. Stories older than ``max_age`` at ``now`` expire at once.
2. **Breaking lane** first: a breaking story ignores slots, windows, ``min_interval`` and quotas
   and is planned at ``max(now, not_before, blocked_until)``, moved past quiet hours unless
   ``breaking_ignores_quiet_hours``. Breaking posts count towards the quotas of the rest.
3. The rest take free places in time order (see ``schedule.rules`` for how slots, cron, windows
   and quiet hours combine, ``schedule.places`` for ``min_interval`` and the rolling quotas). At
   each place every story whose ``not_before`` has come competes, and the **highest priority,
   then the newest story** (by ``story_time``, else ``queued_at``) wins it; the rest wait. A
   newsroom's freshest story is worth most, and a backlog after downtime drains newest-first
   while ``max_age`` retires what went stale: a story that would be older than ``max_age`` at
   the place it would get expires instead.
4. A slot that passed less than ``MISSED_SLOT_GRACE`` ago and carries no post yet (no post in
   history since it) is still used, at ``now``: replanning a moment late does not lose it.

Plans never fall before ``now`` or ``blocked_until``. A plan with neither a time nor an expiry
means the schedule never opens (``schedule.warnings`` says why); the delivery stays pending.
The result is deterministic: ties are broken by ``delivery_id``.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.models import Priority
from bot.domain.schedule.clock import fmt_utc, next_in_set, require_aware
from bot.domain.schedule.parse import format_duration, parse_duration
from bot.domain.schedule.places import Place, Placer, slot_label
from bot.domain.schedule.rules import MISSED_SLOT_GRACE, ScheduleRules
from bot.domain.schedule.warnings import schedule_error, schedule_warnings

_MICRO = timedelta(microseconds=1)
_NEVER = "no posting time: the schedule never opens (see config check warnings)"

__all__ = [
    "MISSED_SLOT_GRACE",
    "PendingItem",
    "Plan",
    "ScheduleRules",
    "next_slots",
    "parse_duration",
    "plan_target",
    "schedule_error",
    "schedule_warnings",
]


@dataclass(frozen=True)
class PendingItem:
    """One pending delivery as the planner sees it."""

    delivery_id: int
    priority: Priority
    queued_at: datetime
    not_before: datetime | None = None
    story_time: datetime | None = None


@dataclass(frozen=True)
class Plan:
    """When a delivery goes (UTC) and why; ``planned_at`` is ``None``: expired or never."""

    delivery_id: int
    planned_at: datetime | None
    expired_reason: str | None = None
    reason: str = ""


def _story_time(item: PendingItem) -> datetime:
    return require_aware(item.story_time or item.queued_at, f"delivery {item.delivery_id} time")


def _stale(rules: ScheduleRules, item: PendingItem, at: datetime, *, planned: bool) -> str | None:
    if rules.max_age is None:
        return None
    story = _story_time(item)
    if at - story <= rules.max_age:
        return None
    where = f" at its planned time {fmt_utc(at)}" if planned else ""
    age = format_duration(rules.max_age)
    return f"older than max_age {age}{where} (story from {fmt_utc(story)})"


def _reason(rules: ScheduleRules, place: Place, now: datetime) -> str:
    if place.slot is not None:
        parts = [slot_label(rules, place.slot), *place.causes]
        if place.at > place.slot and not place.causes:
            parts.append("slot just passed; goes now" if place.at == now else "late slot")
        return "; ".join(parts)
    if place.causes:
        return "; ".join(place.causes)
    return "free now" if place.at == now else "right after the previous post"


def plan_target(
    rules: ScheduleRules,
    *,
    now: datetime,
    history: Sequence[datetime],
    pending: Sequence[PendingItem],
    blocked_until: datetime | None = None,
) -> list[Plan]:
    """Plan every pending delivery of one target; sorted by planned time, expired ones last."""
    now = require_aware(now, "now")
    floor = max(now, require_aware(blocked_until, "blocked_until")) if blocked_until else now
    posted = sorted(require_aware(t, "history") for t in history)
    placer = Placer(rules, list(posted))
    plans: list[Plan] = []
    breaking: list[PendingItem] = []
    ready: list[tuple[int, float, int, PendingItem]] = []
    waiting: list[tuple[datetime, int, PendingItem]] = []
    for item in pending:
        expired = _stale(rules, item, now, planned=False)
        if expired:
            plans.append(Plan(item.delivery_id, None, expired, "expired"))
        elif item.priority is Priority.BREAKING:
            breaking.append(item)
        else:
            not_before = require_aware(item.not_before, "not_before") if item.not_before else None
            if not_before is not None and not_before > floor:
                waiting.append((not_before, item.delivery_id, item))
            else:
                heapq.heappush(ready, _rank(item))
    for item in sorted(breaking, key=lambda i: i.delivery_id):
        plans.append(_plan_breaking(rules, placer, item, now, floor))
    waiting.sort(key=lambda entry: (entry[0], entry[1]))

    blocked = f"blocked until {fmt_utc(floor)} (platform rate limit)"
    blocked_cause = (blocked,) if floor > now else ()
    start = floor
    if rules.has_slots:
        start = floor - MISSED_SLOT_GRACE
        if posted and posted[-1] >= start:
            start = posted[-1] + _MICRO
    causes: tuple[str, ...] = blocked_cause
    place: Place | None = None
    next_waiting = 0
    while ready or next_waiting < len(waiting):
        if not ready:
            not_before, _, item = waiting[next_waiting]
            if not_before > start:
                start, causes, place = not_before, (f"not_before {fmt_utc(not_before)}",), None
        if place is None:
            place = placer.find(start, floor, causes)
        if place is None:
            break
        while next_waiting < len(waiting) and waiting[next_waiting][0] <= place.at:
            heapq.heappush(ready, _rank(waiting[next_waiting][2]))
            next_waiting += 1
        item = heapq.heappop(ready)[3]
        expired = _stale(rules, item, place.at, planned=True)
        if expired:
            plans.append(Plan(item.delivery_id, None, expired, "expired"))
            continue
        plans.append(Plan(item.delivery_id, place.at, None, _reason(rules, place, now)))
        placer.take(place.at)
        start = max(place.at, place.slot or place.at) + _MICRO if rules.has_slots else place.at
        causes, place = (), None
    leftovers = [entry[3] for entry in ready] + [entry[2] for entry in waiting[next_waiting:]]
    plans.extend(Plan(item.delivery_id, None, None, _NEVER) for item in leftovers)
    return sorted(plans, key=_plan_order)


def _rank(item: PendingItem) -> tuple[int, float, int, PendingItem]:
    return (-item.priority.rank, -_story_time(item).timestamp(), item.delivery_id, item)


def _plan_order(plan: Plan) -> tuple[int, datetime | None, int]:
    if plan.planned_at is None:
        return (1, None, plan.delivery_id)
    return (0, plan.planned_at, plan.delivery_id)


def _plan_breaking(
    rules: ScheduleRules, placer: Placer, item: PendingItem, now: datetime, floor: datetime
) -> Plan:
    at = max(floor, require_aware(item.not_before, "not_before")) if item.not_before else floor
    reasons = ["breaking lane"]
    if rules.quiet_set and not rules.breaking_ignores_quiet_hours:
        opens = next_in_set(rules.not_quiet, at, rules.tz)
        if opens is None:
            return Plan(item.delivery_id, None, None, "breaking lane: quiet hours never end")
        if opens > at:
            local = opens.astimezone(rules.tz)
            reasons.append(f"quiet hours until {local:%H:%M}")
        at = opens
    expired = _stale(rules, item, at, planned=True)
    if expired:
        return Plan(item.delivery_id, None, expired, "expired")
    if at == floor and floor > now:
        reasons.append(f"blocked until {fmt_utc(floor)} (platform rate limit)")
    placer.take(at)
    return Plan(item.delivery_id, at, None, "; ".join(reasons))


def next_slots(rules: ScheduleRules, *, now: datetime, count: int = 10) -> list[datetime]:
    """The next ``count`` posting times (UTC) if stories kept coming and nothing was posted lately.

    For slot and cron schedules these are the next usable slots; for continuous schedules the
    pace ``min_interval``, windows, quiet hours and quotas allow. Fewer when the schedule stops.
    """
    now = require_aware(now, "now")
    placer = Placer(rules)
    out: list[datetime] = []
    start = now
    while len(out) < count:
        place = placer.find(start, now)
        if place is None:
            break
        out.append(place.at)
        placer.take(place.at)
        start = place.at + _MICRO if rules.has_slots else place.at
        if not (rules.has_slots or rules.min_interval or rules.max_per_hour or rules.max_per_day):
            break  # a continuous schedule without pacing has no rhythm beyond its first time
    return out
